"""Ranking candidate blocks: which one a reader sees first.

Evidence (the knowledge base's weights) is scaled by structure (the step that failed, the lines just above a
failing exit); then a few rules about how tools report failures reorder the best blocks: the first report of a
message before its repeats and summaries, a final report before the inline marks that named it, the first of
several tests failing the same way, and a block for every step that failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from worker.analysis.blocks import (
    STEP_FAIL,
    STEP_OK,
    STEP_UNKNOWN,
    Candidate,
    is_blank,
    is_verdict,
    trim_edges,
)
from worker.analysis.kb import KnowledgeBase
from worker.analysis.reader import strip_prefix
from worker.analysis.similarity import normalize_line


class Structure(Protocol):
    """What the ranking needs to know of the log's structure (the engine's streaming state)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    @property
    def step_status(self) -> bytearray:  # per step: STEP_UNKNOWN, STEP_OK or STEP_FAIL
        ...

    @property
    def step_fail_lines(self) -> Iterable[int]:  # lines where a step reported its failure
        ...


# How much later evidence is preferred over earlier evidence. Measured: the step structure below already
# says where the failure is; a position prior on top of it does not help.
RECENCY = 0.0


# Structure: evidence inside a step that exited non-zero counts more; evidence in steps that succeeded (or
# outside any step when some step failed) counts less; evidence just above the failing exit counts more.
FAILED_STEP_BOOST = 2.0


OTHER_STEP_FACTOR = 0.5


NEAR_FAIL_LINES = 40


NEAR_FAIL_BOOST = 1.5


# How many blocks a reader sees together (the first ones): every failed step has one of them when it can.
SHOWN_TOGETHER = 3


# Blocks scoring at least this fraction of the best one compete on position: the earliest is shown first.
FIRST_AMONG = 0.9


# Blocks reporting the same kind of test failure as the best one, in the step that failed, with at least this
# fraction of its evidence: the earliest is shown first (see _first_of_same_failure).
SAME_FAILURE_AMONG = 0.7


# A block repeating a better one further away than this is a rerun of the same failure (ranked last).
REPEAT_DISTANCE = 60


def rank(
    state: Structure, candidates: list[Candidate], total_lines: int, noise: set[bytes]
) -> list[Candidate]:
    for cand in candidates:
        trim_edges(state.kb, cand)
    fail_lines = sorted(state.step_fail_lines)
    any_failed_step = any(s == STEP_FAIL for s in state.step_status)
    for cand in candidates:
        if noise:
            for hit in cand.hits:
                text = (
                    cand.lines[hit.line - cand.start] if 0 <= hit.line - cand.start < len(cand.lines) else ""
                )
                if normalize_line(text).encode("utf-8") in noise:
                    hit.weight *= 0.05
        # A failure repeated later (counted on its first occurrence) is placed where it shows best.
        places = cand.places()
        score = cand.evidence() * max(
            _placement(state, step, line, fail_lines, any_failed_step) for step, line in places
        )
        position = cand.last_hit / total_lines if total_lines else 1.0
        score *= 1.0 - RECENCY + RECENCY * position
        cand.score = score
    ordered = sorted(candidates, key=lambda c: (-c.score, c.last_hit))
    # A block that mostly repeats a better one (a failed step's tail around a rule's hit) adds nothing.
    picked: list[Candidate] = []
    spans: list[tuple[int, int]] = []  # (start, end) of the picked blocks
    for cand in ordered:
        # Overlap of line ranges by arithmetic (sets of line numbers made this quadratic in lines); a negative
        # "overlap" (disjoint ranges) never exceeds half a block.
        start, end = cand.start, cand.end
        length = max(0, end - start + 1)
        if any((min(end, e) - max(start, s) + 1) * 2 > length for s, e in spans):
            continue
        picked.append(cand)
        spans.append((start, end))
    _prefer_first_occurrence(picked)
    _report_over_marks(picked)
    _first_of_same_failure(state, picked)
    # The first of several comparable blocks is the one to read: later ones are often repeats or consequences
    # (the second failing test, the summary that lists them again).
    if picked and FIRST_AMONG < 1.0:
        best = picked[0].score
        close = [c for c in picked if c.score >= FIRST_AMONG * best and not c.mark]
        first = min(close, key=lambda c: c.start)
        if first is not picked[0]:
            picked.remove(first)
            picked.insert(0, first)
    _report_before_verdict(state, picked)
    return _each_failed_step(state, _repeats_last(picked))


# How far before a verdict its report may be (in lines), in the same step.
VERDICT_REACH = 400


def _only_verdicts(cand: Candidate) -> bool:
    """Every line of evidence of ``cand`` is a verdict or a tally."""
    lines = [cand.lines[h.line - cand.start] for h in cand.hits if 0 <= h.line - cand.start < len(cand.lines)]
    return bool(lines) and all(is_verdict(text) for text in lines)


def _report_before_verdict(state: Structure, ranked: list[Candidate], depth: int = 10) -> None:
    """A verdict or tally shown first points at the report it counts: the nearest block before it in the same
    step, with evidence of its own, goes first; the verdict follows it (it says which step failed). A verdict
    printed after its step ended (Jenkins' "ERROR: ..." after "End of Pipeline") points at the nearest block
    before it in the step just before (unless that one passed) or in a step that failed.

    The verdict often weighs more than the report (an error word, "failed", a count, just above the failing
    exit), and some reports hold no error word at all (a crashed test's name, a link checker's list).
    """
    if len(ranked) < 2 or not _only_verdicts(ranked[0]):
        return
    top = ranked[0]
    status = state.step_status
    before = [
        c
        for c in ranked[1:depth]
        if c.end < top.start
        and top.start - c.end <= VERDICT_REACH
        and c.evidence() > 0
        and not _only_verdicts(c)
    ]
    same = [c for c in before if c.step == top.step]
    if not same:
        # Printed after its step ended: the step before it, unless that one is known to have passed, or the
        # steps that failed.
        same = [
            c
            for c in before
            if (c.step == top.step - 1 and c.step < len(status) and status[c.step] != STEP_OK)
            or (c.step < len(status) and status[c.step] == STEP_FAIL)
        ]
    if not same:
        return
    before = same
    report = max(before, key=lambda c: c.end)
    ranked.remove(report)
    ranked.insert(0, report)


def _placement(state: Structure, step: int, line: int, fail_lines: list[int], any_failed_step: bool) -> float:
    """How much the structure says about evidence on ``line`` in step ``step``."""
    factor = 1.0
    status = state.step_status[step] if step < len(state.step_status) else STEP_UNKNOWN
    if status == STEP_FAIL:
        factor *= FAILED_STEP_BOOST
    elif status == STEP_OK or (any_failed_step and status == STEP_UNKNOWN):
        factor *= OTHER_STEP_FACTOR
    # Close before a failing exit: the output just above "exited with 1" is what broke the step.
    for fail_line in fail_lines:
        if 0 <= fail_line - line <= NEAR_FAIL_LINES:
            factor *= NEAR_FAIL_BOOST
            break
    return factor


def _each_failed_step(state: Structure, ranked: list[Candidate]) -> list[Candidate]:
    """When several steps failed, each one's best block is among the first ones shown: the reader must see
    every failure of the build, not three views of one of them."""
    if len(ranked) <= SHOWN_TOGETHER:
        return ranked
    # A step whose failure repeats one shown (counted on it) is shown too.
    shown = {step for c in ranked[:SHOWN_TOGETHER] for step, _line in c.places()}
    missing: list[Candidate] = []
    for cand in ranked[SHOWN_TOGETHER:]:
        failed = cand.step < len(state.step_status) and state.step_status[cand.step] == STEP_FAIL
        if failed and cand.step not in shown:
            shown.add(cand.step)
            missing.append(cand)
    if not missing:
        return ranked
    # They take the places after the first block, before the other blocks of the first block's step.
    keep = SHOWN_TOGETHER - min(len(missing), SHOWN_TOGETHER - 1)
    head = ranked[:keep]
    rest = [c for c in ranked[keep:] if c not in missing]
    return head + missing + rest


# A test reporter's inline mark for a failing test, printed while the run goes on: xcpretty's "✗ testName,
# XCTAssertTrue failed", mocha's "    1) title", Pester's "[-] title", a link checker's "23. url Failed ...".
_MARK = re.compile(r"^\s*(?:[✗✖\u00d7✘❌]|\[-\]|\d+[.)] )")


# Words any mark or report holds: they do not name the test.
_MARK_STOP = frozenset({"failed", "failure", "error", "fail", "test", "tests", "passed"})


# A block is a run of marks when at least this share of its lines are evidence (no message, no stack).
MARK_HIT_SHARE = 0.8


def _report_over_marks(ranked: list[Candidate], depth: int = 30) -> None:
    """A run of inline failure marks whose first test is repeated later in a longer block gives its place to
    that block: the final report, with the message, the diff and the location; the mark only names the test.

    Marks often weigh more than the report (several evidence lines close together, a ✗ and "failed" on each)
    and come first, so the "earliest first" rules would prefer them; the mark is flagged so that they do not.
    """
    top = ranked[:depth]
    changed = False
    for early in top:
        texts = [t for t in early.lines if not is_blank(t)]
        if early.mark or not texts or len({h.line for h in early.hits}) < MARK_HIT_SHARE * len(texts):
            continue
        index = min(h.line for h in early.hits) - early.start
        first = early.lines[index] if 0 <= index < len(early.lines) else ""
        if not _MARK.match(strip_prefix(first)):
            continue
        words = _words(first) - _MARK_STOP
        if len(words) < 2:
            continue
        for later in sorted(top, key=lambda c: c.start):
            if (
                later.start > early.end
                and len(later.lines) > len(early.lines)
                and any(words <= _words(text) for text in later.lines)
            ):
                early.mark = True
                later.score = max(later.score, early.score * 1.001)
                changed = True
                break
    if changed:
        ranked[:depth] = sorted(top, key=lambda c: (-c.score, c.last_hit))


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(normalize_line(strip_prefix(text)).lower()))


def _first_of_same_failure(state: Structure, ranked: list[Candidate], depth: int = 10) -> None:
    """Several tests failing the same way in the step that failed: the first one reported goes first.

    A test run reports its failures in order and later ones are often consequences of the first (a shared
    fixture, a server that died, a timeout that cascades); the boost for evidence just above the failing exit
    would otherwise favour the last one reported. Only for test failures (the same cause, by rule) inside a
    step known to have failed: an earlier compile error in the same shell step can be a tolerated one (a
    setup script building examples), and outside a failed step the order says nothing.
    """
    if not ranked:
        return
    top = ranked[0]
    if top.step >= len(state.step_status) or state.step_status[top.step] != STEP_FAIL:
        return
    causes = state.kb.causes
    kinds = {c for hit in top.hits for c in hit.causes if causes[c].category == "test"}
    if not kinds:
        return
    bar = SAME_FAILURE_AMONG * top.evidence()
    same = [
        cand
        for cand in ranked[:depth]
        if not cand.mark
        and cand.step == top.step
        and cand.evidence() >= bar
        and any(kinds.intersection(hit.causes) for hit in cand.hits)
    ]
    if not same:
        return  # the best block is a mark (_report_over_marks): the report it repeats is close behind
    first = min(same, key=lambda c: c.start)
    if first is not top:
        ranked.remove(first)
        ranked.insert(0, first)


def _repeats_last(ranked: list[Candidate], depth: int = 10) -> list[Candidate]:
    """Blocks that repeat a better-ranked block as a whole, far from it (the same failure again from a rerun,
    a retry or another matrix entry), move behind the others: the next places are worth more for a different
    message. A repeat right after the block is the tool's own summary of it (Maven's "Failed to execute goal"
    after the compiler errors) and keeps its place: it says which step failed."""
    top = ranked[:depth]
    fresh: list[tuple[Candidate, list[frozenset[str]]]] = []
    repeats: list[Candidate] = []
    for cand in top:
        keys = _key_words(cand)
        if keys and any(
            len(keys) == len(other_keys)
            and min(abs(cand.start - other.end), abs(other.start - cand.end)) > REPEAT_DISTANCE
            and all(len(a & b) >= 0.8 * min(len(a), len(b)) for a, b in zip(keys, other_keys, strict=True))
            for other, other_keys in fresh
        ):
            repeats.append(cand)
            continue
        fresh.append((cand, keys))
    return [c for c, _ in fresh] + repeats + ranked[depth:]


_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")


def _key_words(cand: Candidate) -> list[frozenset[str]]:
    """Word sets of a block's strongest lines (normalised), to recognise the same message printed twice."""
    out = []
    for hit in sorted(cand.hits, key=lambda h: -h.weight)[:3]:
        index = hit.line - cand.start
        if 0 <= index < len(cand.lines):
            words = _words(cand.lines[index])
            if len(words) >= 4:
                out.append(words)
    return out


def _prefer_first_occurrence(ranked: list[Candidate], depth: int = 30) -> None:
    """When a later block repeats an earlier block's message (a summary listing the failures again, an error
    echoed by a wrapper), the earlier one, where the message appears with its details, takes the better score.

    Not when the earlier one is a bare one-line mark and the later one has more: a test reporter's inline
    "✗ test" or "1) test" during the run, and its final report with the assertion and the stack."""
    top = ranked[:depth]
    keys = {id(c): _key_words(c) for c in top}
    changed = False
    for later in top:
        for earlier in top:
            if earlier.start >= later.start or earlier.score >= later.score or earlier.end >= later.first_hit:
                continue  # not earlier, already better, or the same lines (a failed step's tail around a hit)
            if len(earlier.lines) == 1 < len(later.lines):
                continue  # a progress mark; the later block is the report with the details
            if any(
                len(a & b) >= 0.8 * min(len(a), len(b)) for a in keys[id(later)] for b in keys[id(earlier)]
            ):
                earlier.score = later.score * 1.001
                changed = True
    if changed:
        ranked[:depth] = sorted(top, key=lambda c: (-c.score, c.last_hit))
