"""The failure-analysis engine: log bytes in, ranked excerpt blocks, known causes and a fingerprint out.

How it stays fast and bounded on multi-gigabyte logs:

1. The input is regrouped into blocks of whole lines (:func:`reader.iter_blocks`).
2. Each block is scanned once by the *trigger* patterns (everything that can make a line evidence, plus the
   structure markers) compiled into one Hyperscan database; the few lines they hit are then scanned again,
   together, with every pattern (weights, caps, causes). Python never iterates over the lines of a block.
3. Matched lines ("hits") are grouped into candidate blocks and extended with the lines that continue their
   message (stack frames, indented detail), taken from the current block or the ring of lines kept from the
   previous ones; the result does not depend on where blocks were cut. Only a bounded number of candidates is kept: the best ones by
   evidence, and the most recent ones (failures are usually near the end).
4. Structure markers (a CI step starting, a command exiting non-zero, ``Finished: FAILURE``) tell which step
   failed; blocks inside a failed step rank higher, blocks in steps that succeeded rank lower.
5. With the last green build's log, lines that appear there too (after normalisation) are noise.
"""

from __future__ import annotations

import heapq
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from worker.analysis.blocks import (
    MAX_SECTION_LINES,
    SECTION_END,
    STEP_FAIL,
    STEP_OK,
    STEP_UNKNOWN,
    Candidate,
    Hit,
    announces_detail,
    compiled,
    digest,
    echo_lines,
    ends_section,
    is_blank,
    is_continuation,
    max_lines,
)
from worker.analysis.category import decide as decide_category
from worker.analysis.fastpath import select_lines
from worker.analysis.kb import KnowledgeBase, build_scanner, load_knowledge_base
from worker.analysis.lines import BlockLines
from worker.analysis.models import Analysis, Category, Cause, ExcerptBlock, Stats
from worker.analysis.ranking import rank
from worker.analysis.reader import BLOCK_SIZE, clean_line, iter_blocks, open_chunks, strip_ansi, strip_prefix
from worker.analysis.redact import redact
from worker.analysis.repeats import merge_repeats
from worker.analysis.selection import REPEAT_KEYS, LineRule, LineRules
from worker.analysis.similarity import fingerprint_text, normalize_line

# Fixed context lines above the evidence. Measured on LogChunks: extra context only lowers precision, the
# continuation lines below and the message's header above already carry the detail a human needs.
CONTEXT_BEFORE = 0
# Evidence inside a message's continuation starts its block at most this many lines above, at the header.
MAX_HEADER_LINES = 5
# A message's continuation (stack trace, indented detail) is followed at most this far.
MAX_CONTINUATION = 40
# A blank line does not end a message when the line after it still continues it (test failure details).
ALLOW_BLANK_IN_MESSAGE = True
# Hits closer than this (in lines) belong to the same block.
MERGE_GAP = 3
# Bounded state: the best candidates by evidence and the most recent ones.
KEEP_BEST = 200
KEEP_RECENT = 64
TAIL_LINES = 100
# The output of a failed step that is kept as a candidate even without any matching rule.
FAIL_TAIL_LINES = 20
FAIL_TAIL_PARAGRAPH = 4
FAIL_TAIL_EVIDENCE = 2.5


class _State:
    """Everything the engine keeps while streaming; bounded regardless of the log's size."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.lines = 0  # number of '\n' seen so far
        self.bytes = 0
        self.ends_with_newline = True
        self.step = 0
        self.step_status = bytearray([STEP_UNKNOWN])
        self.step_cause = bytearray([0])  # per step: 1 once a known cause matched in it
        self.step_start_line = 0
        self.step_fail_lines: deque[int] = deque(maxlen=KEEP_BEST)
        self.build_failed_at: int | None = None
        # The step running when Declarative's post { } actions began (None until they do).
        self.step_before_post_build: int | None = None
        # Jenkins Pipeline reports which shell step (sh, bat, powershell) failed only after it: a later stage
        # "skipped due to earlier failure(s)", or "ERROR: script returned exit code N" at the very end. The last
        # lines of the recent shell steps are kept until then (step -> (first line, lines)).
        self.command_step: int | None = None
        self.command_line = 0
        self.command_tails: dict[int, tuple[int, list[str]]] = {}
        self.last_evidence_step = 0
        self.best: list[tuple[float, int, Candidate]] = []  # min-heap by evidence
        self.recent: deque[Candidate] = deque(maxlen=KEEP_RECENT)
        self.counter = 0
        self.last_end = 0  # last line of the candidates closed so far: a new one starts after it
        self.open: Candidate | None = None
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.first_cause_line: dict[int, int] = {}
        self.seq_last_first: dict[int, int] = {}  # sequence index -> last line where ``first`` matched
        self.rules = LineRules(kb)
        # The first occurrence of each failure seen (rule -> repeat key -> its hit): later ones are counted on it.
        self.repeats: dict[LineRule, dict[bytes, Hit]] = {}
        self.repeat_keys = 0
        # Repeats not yet known to be alone (line, rule): new evidence just after them makes them part of its
        # block again (a repeated "Traceback (most recent call last):" above a new exception).
        self.ghosts: deque[_Ghost] = deque()

    # -- candidates ---------------------------------------------------------------------------------

    def close_open(self) -> None:
        cand = self.open
        if cand is None:
            return
        self.open = None
        self.add_candidate(cand)

    def add_candidate(self, cand: Candidate) -> None:
        self.last_end = max(self.last_end, cand.end)
        self.counter += 1
        self.recent.append(cand)
        item = (cand.evidence(), self.counter, cand)
        if len(self.best) < KEEP_BEST:
            heapq.heappush(self.best, item)
        elif item[0] > self.best[0][0]:
            heapq.heapreplace(self.best, item)

    def candidates(self) -> list[Candidate]:
        seen: dict[int, Candidate] = {}
        for _, _, cand in self.best:
            seen[id(cand)] = cand
        for cand in self.recent:
            seen[id(cand)] = cand
        return sorted(seen.values(), key=lambda c: c.start)


def _scan_block(state: _State, data: bytes) -> None:
    kb = state.kb
    first_line = state.lines + 1  # line n starts after the (n-1)-th newline, even mid-line after a cut
    # Stage 1: the trigger patterns (anything that can make a line evidence, and the structure markers) over the
    # whole block, and the distinct lines their matches end on, in one walk over the matches (compiled).
    newlines, numbers, starts, raw_lines, repeat_keys = select_lines(data, kb.trigger_ends(data))
    ends_with_newline = data.endswith(b"\n")
    last_line = first_line + newlines - (1 if ends_with_newline else 0)
    lines = BlockLines(data, first_line, max(first_line, last_line))

    # Stage 2: what each selected line means (every pattern scanned only over lines not seen before); a repeat
    # of a failure already seen is counted on its first occurrence before any block work.
    repeats = state.repeats
    for number, start, masked, rule in zip(
        numbers, starts, repeat_keys, state.rules.rules(raw_lines), strict=True
    ):
        if rule.plain and state.open is None:
            # The hot path of a dense log: a repeat with no open block to extend is counted and remembered.
            known = repeats.get(rule)
            first = known.get(masked) if known is not None else None
            if first is not None:
                line_no = first_line + number
                step = state.last_evidence_step = state.step
                first.repeated(line_no, step)
                ghosts = state.ghosts
                if ghosts and line_no - ghosts[-1][0] > ghosts[-1][5]:
                    ghosts.clear()
                ghosts.append((line_no, rule, first, step, start, _reach(rule)))
                while line_no - ghosts[0][0] > MAX_SECTION_LINES:
                    ghosts.popleft()
                continue
        if not rule.evidence:
            continue  # selected by a trigger's cheaper superset form only (kb.TRIGGER_FORMS): not evidence
        line_no = first_line + number
        causes = rule.causes
        weight = rule.weight
        if rule.markers or not rule.repeatable:
            lines.add_anchor(line_no, start)
            weight, causes = _structure(state, lines, rule, line_no)
        if min(weight, rule.cap) < 1.0:
            for cause in causes:
                state.first_cause_line.setdefault(cause, line_no)
            continue
        seen: dict[bytes, Hit] | None = None
        if rule.repeatable:
            seen = repeats.get(rule)
            if seen is None:
                seen = repeats[rule] = {}
            first = seen.get(masked)
            if first is not None:
                if state.open is not None:
                    lines.add_anchor(line_no, start)
                if state.open is None or not _joins_open(state, lines, line_no, rule.section):
                    # Counted: no block of its own, unless new evidence follows it closely.
                    step = state.last_evidence_step = state.step
                    first.repeated(line_no, step)
                    if state.open is not None:
                        state.close_open()  # as a hit here would: the open block ends above it
                    ghosts = state.ghosts
                    if ghosts and line_no - ghosts[-1][0] > ghosts[-1][5]:
                        ghosts.clear()  # the repeats before are out of reach of anything to come
                    ghosts.append((line_no, rule, first, step, start, _reach(rule)))
                    while line_no - ghosts[0][0] > MAX_SECTION_LINES:
                        ghosts.popleft()
                    continue
                seen = None  # next to the open block: it still extends it
        lines.add_anchor(line_no, start)
        _materialise_ghosts(state, lines, line_no, rule.section)
        hit = Hit(line_no, min(weight, rule.cap), list(causes), rule.section, rule.until)
        _on_hit(state, lines, hit)
        if seen is not None and state.repeat_keys < REPEAT_KEYS:
            seen[masked] = hit
            state.repeat_keys += 1
        for cause in causes:
            state.first_cause_line.setdefault(cause, line_no)

    # Extend the open candidate with lines of this block up to its needed end.
    if state.open is not None:
        _extend_open(state, lines, last_line)
    # Keep the last lines of this block: context for a hit at the start of the next one, and the tail.
    tail_first = max(first_line, last_line - max(CONTEXT_BEFORE, TAIL_LINES) + 1)
    tail_lines = lines.get(tail_first, last_line)
    state.tail.extend(tail_lines)
    state.lines += newlines
    state.bytes += len(data)
    state.ends_with_newline = ends_with_newline


def _structure(
    state: _State, lines: BlockLines, rule: LineRule, line_no: int
) -> tuple[float, tuple[int, ...]]:
    """A selected line's sequences and markers; its weight and causes once its sequences are known."""
    weight = rule.weight
    causes = rule.causes
    for sequence in rule.seq_first:
        state.seq_last_first[sequence] = line_no
    for sequence, cause, cause_weight in rule.seq_then:
        started = state.seq_last_first.get(sequence)
        within = state.kb.sequences[sequence].within
        if started is not None and 0 <= line_no - started <= within and cause not in causes:
            weight += cause_weight
            causes = (*causes, cause)
    if state.ghosts and not _STEP_MARKERS.isdisjoint(rule.markers):
        state.ghosts.clear()  # a repeat's block would end at the next step: they stay counted
    for marker in rule.markers:
        _on_marker(state, lines, marker, line_no)
    return weight, causes


# Markers that start a step: the open block ends there.
_STEP_MARKERS = frozenset({"step_start", "command_start", "stage", "post_build"})


def _reach(rule: LineRule) -> int:
    """How far below a hit of ``rule`` its block can still take in the next evidence."""
    return MAX_SECTION_LINES if rule.section or rule.until else MAX_CONTINUATION + MERGE_GAP


#: A repeat that starts no block: counted on ``first``, its first occurrence, unless new evidence follows it
#: within ``reach`` lines. (line, rule, first, step, start offset in its block, reach); a tuple, as one is made
#: per repeated line (thousands per MB of a dense log).
_Ghost = tuple[int, LineRule, Hit, int, int, int]


def _materialise_ghosts(state: _State, lines: BlockLines, line_no: int, section: bool) -> None:
    """New evidence on ``line_no``: the repeats just above it that its block takes in (a repeated header, the
    same first lines of a different failure) become hits again; the others stay counted.

    The repeats within reach are replayed as hits, as if they had never been counted; a block they form that
    ends before the new evidence (it would not take the new hit in) is dropped again, so only the block the
    new hit joins keeps them. ``section``: the new hit heads a report."""
    ghosts = state.ghosts
    if not ghosts:
        return
    chain = len(ghosts) - 1
    if line_no - ghosts[chain][0] <= ghosts[chain][5]:
        while chain > 0 and ghosts[chain][0] - ghosts[chain - 1][0] <= ghosts[chain - 1][5]:
            chain -= 1
        replayed: dict[int, _Ghost] = {}
        for ghost in list(ghosts)[chain:]:
            ghost_line, rule, first, step, start, _reach = ghost
            if ghost_line >= lines.first_line:
                lines.add_anchor(ghost_line, start)
            if state.open is not None and not _joins_open(state, lines, ghost_line, rule.section):
                _drop_replayed(state, replayed)
            first.not_repeated(ghost_line, step)
            replayed[ghost_line] = ghost
            _on_hit(
                state,
                lines,
                Hit(ghost_line, min(rule.weight, rule.cap), list(rule.causes), rule.section, rule.until),
            )
        if state.open is not None and not _joins_open(state, lines, line_no, section):
            _drop_replayed(state, replayed)
    ghosts.clear()


def _drop_replayed(state: _State, replayed: dict[int, _Ghost]) -> None:
    """The open block, made of replayed repeats only, does not reach the new evidence: counted again."""
    cand = state.open
    assert cand is not None
    state.open = None
    for hit in cand.hits:
        ghost = replayed.pop(hit.line, None)
        if ghost is not None:
            ghost[2].repeated(ghost[0], ghost[3])


def _joins_open(state: _State, lines: BlockLines, line_no: int, section: bool) -> bool:
    """Whether a hit on ``line_no`` extends the open candidate (the test :func:`_on_hit` makes): it does when
    it is close to the candidate's end once the output that continues it (a stack trace, an indented message)
    is followed up to the hit, unless the candidate is full, the hit heads a report (a report header starts its
    own block), or the candidate is a report whose last line was seen."""
    cand = state.open
    if cand is None:
        return False
    _continue(cand, lines, line_no - 1, state)
    complete = cand.until is not None and cand.settled
    return (
        line_no - cand.end <= MERGE_GAP
        and line_no - cand.start < max_lines(cand)
        and not section
        and not complete
    )


def _on_marker(state: _State, lines: BlockLines, kind: str, line_no: int) -> None:
    if kind in _STEP_BOUNDARIES and state.command_step == state.step:
        _keep_command_tail(state, lines, line_no)
    if kind in ("post_build", "pipeline_end") and state.step_before_post_build is None:
        # Blame the step that last showed evidence, or the last shell step when it came later (a failure no
        # rule recognised): wrappers (dir, withEnv, node) close between it and post { }.
        state.step_before_post_build = max(state.last_evidence_step, state.command_step or 0)
    if kind in ("step_start", "command_start", "stage", "post_build", "pipeline_end"):
        if state.open is not None:
            # Whatever continued the open block ends here: finish it as if the next block had started.
            _continue(state.open, lines, line_no - 1, state)
        state.close_open()
        state.step += 1
        state.step_status.append(STEP_UNKNOWN)
        state.step_cause.append(0)
        state.step_start_line = line_no
        if kind == "command_start":
            state.command_step, state.command_line = state.step, line_no
    elif kind == "after_failure":
        blamed = (
            state.step_before_post_build if state.step_before_post_build is not None else state.command_step
        )
        if blamed is not None:
            _blame_command(state, blamed)
    elif kind == "step_fail":
        if state.step_before_post_build is not None:
            # After post { }, Jenkins repeats the error of the step that failed before the post actions.
            _blame_command(state, state.step_before_post_build)
            return
        state.step_status[state.step] = STEP_FAIL
        state.step_fail_lines.append(line_no)
        _add_failed_step_tail(state, lines, line_no)
    elif kind == "step_ok":
        if state.step_status[state.step] != STEP_FAIL:
            state.step_status[state.step] = STEP_OK
    elif kind == "build_fail" and state.build_failed_at is None:
        state.build_failed_at = line_no


# Markers that end the output of the shell step before them.
_STEP_BOUNDARIES = frozenset(
    {"step_start", "command_start", "stage", "post_build", "pipeline_end", "after_failure"}
)
# Jenkins' own lines around a step's output ("[Pipeline] }", "[Pipeline] // stage").
_PIPELINE_LINE = re.compile(r"^\[Pipeline\] ")
# How many of the recent shell steps' last lines are kept until the pipeline says which one failed.
KEEP_COMMAND_TAILS = 16


def _keep_command_tail(state: _State, lines: BlockLines, line_no: int) -> None:
    """Keep the last output lines of the shell step that ends before ``line_no``."""
    first = max(state.command_line + 1, line_no - 1 - FAIL_TAIL_LINES - 5)
    text = [_line(state, lines, n) for n in range(first, line_no)]
    kept = [t[0] if t else "" for t in text]
    while kept and (is_blank(kept[-1]) or _PIPELINE_LINE.match(strip_prefix(kept[-1]))):
        kept.pop()
    if kept and state.command_step is not None:
        state.command_tails[state.command_step] = (first, kept)
        if len(state.command_tails) > KEEP_COMMAND_TAILS:
            del state.command_tails[min(state.command_tails)]


def _blame_command(state: _State, step: int) -> None:
    """The pipeline said step ``step`` failed: its output is a candidate even when no rule matched it."""
    if state.step_status[step] == STEP_FAIL:
        return
    state.step_status[step] = STEP_FAIL
    kept = state.command_tails.pop(step, None)
    if kept is not None and not state.step_cause[step]:  # else the block of the cause that matched says it
        first, text = kept
        state.step_fail_lines.append(first + len(text))  # evidence just above its end counts more
        _tail_candidate(state, list(text), first, step)


def _add_failed_step_tail(state: _State, lines: BlockLines, fail_line: int) -> None:
    """The last output of a step that exited non-zero: the cause is there even when no rule matched it."""
    first = max(state.step_start_line + 1, fail_line - FAIL_TAIL_LINES, 1)
    if first >= fail_line:
        return
    text: list[str] = []
    if first < lines.first_line:
        text.extend(_before_block(state, lines.first_line - first))
    text.extend(lines.get(max(first, lines.first_line), fail_line - 1))
    _tail_candidate(state, text, fail_line - len(text), state.step)


def _tail_candidate(state: _State, text: list[str], start: int, step: int) -> None:
    """A candidate from the last output lines ``text`` (starting at line ``start``) of a step that failed."""
    # Trim blank lines and echoes of the failure at the end (the runner's "The command ... exited with 1", the
    # tools' trailers: the knowledge base's capped signals, and Travis' helper lines), then keep the last
    # paragraph(s) up to the limit.
    echo = echo_lines(state.kb, text)
    while text and (echo[len(text) - 1] or _TRAVIS_HELPER.match(text[-1])):
        text.pop()
    # The output of the command that failed starts at its echo ("+ make" in a shell trace, ">>> go vet"): what
    # came before belongs to earlier commands of the step.
    for index in range(len(text) - 2, -1, -1):
        if _COMMAND_ECHO.match(strip_prefix(text[index])):
            del text[:index]
            start += index
            break
    if not text:
        return
    kept: list[str] = []
    for line in reversed(text):
        if is_blank(line) and len(kept) >= FAIL_TAIL_PARAGRAPH:
            break
        kept.append(line)
    kept.reverse()
    while kept and is_blank(kept[0]):
        kept.pop(0)
    if not kept:
        return
    end = start + len(text) - 1
    block_start = end - len(kept) + 1
    cand = Candidate(start=block_start, first_hit=end, last_hit=end, step=step)
    cand.lines = kept
    cand.hits.append(Hit(end, FAIL_TAIL_EVIDENCE, []))
    state.add_candidate(cand)


_COMMAND_ECHO = re.compile(r"^(?:\+{1,3} |>>> )\S")
# Travis' helper lines ("travis_retry make", "travis_time:end:..." when not blanked): never the failure.
_TRAVIS_HELPER = re.compile(r"^\s*travis_")


def _on_hit(state: _State, lines: BlockLines, hit: Hit) -> None:
    state.last_evidence_step = state.step
    if hit.causes:
        state.step_cause[state.step] = 1
    cand = state.open
    if cand is not None:
        if _joins_open(state, lines, hit.line, hit.section):
            _extend_to(cand, lines, hit.line, state)
            cand.last_hit = hit.line
            if not (announces_detail(cand.last_text) and strip_prefix(cand.lines[-1])[:1].isspace()):
                cand.last_text = cand.lines[
                    -1
                ]  # else the hit is detail under a header: the header still rules
            cand.hits.append(hit)
            cand.settled = ends_section(cand, cand.lines[-1])
            cand.section = cand.section or hit.section
            return
        state.close_open()
    start = min(max(1, hit.line - CONTEXT_BEFORE), _message_start(state, lines, hit.line))
    cand = Candidate(start=start, first_hit=hit.line, last_hit=hit.line, step=state.step)
    cand.lines = _text(state, lines, start, hit.line)  # from the previous block's tail too
    cand.start = hit.line - len(cand.lines) + 1
    cand.last_text = cand.lines[-1] if cand.lines else ""
    cand.hits.append(hit)
    cand.section = hit.section
    cand.until = compiled(hit.until) if hit.until else None
    state.open = cand


def _message_start(state: _State, lines: BlockLines, line_no: int) -> int:
    """The first line of the message that line ``line_no`` belongs to: evidence found in indented detail or a
    stack frame starts the block at the header it continues (a lint report's file name, the exception line
    above "Caused by"), at most MAX_HEADER_LINES above it, never inside the previous block or above the
    step's command."""
    first = line_no
    current = _line(state, lines, line_no)
    floor = max(state.last_end, state.step_start_line)  # not above the step's own command line
    while current and line_no - first < MAX_HEADER_LINES and first - 1 > floor:
        above = _line(state, lines, first - 1)
        if not above or is_blank(above[0]) or not is_continuation(above[0], current[0]):
            break
        first -= 1
        current = above
    return first


def _before_block(state: _State, count: int) -> list[str]:
    """The last ``count`` lines before the current block (kept in the tail ring)."""
    if count <= 0:
        return []
    tail = state.tail
    return [tail[i] for i in range(max(0, len(tail) - count), len(tail))]


def _text(state: _State, lines: BlockLines, first: int, last: int) -> list[str]:
    """Lines ``first..last`` from this block or the tail ring before it (leading lines older than the ring are
    left out)."""
    out: list[str] = []
    if first < lines.first_line:
        tail = state.tail
        oldest = lines.first_line - len(tail)
        out = [tail[n - oldest] for n in range(max(first, oldest), min(last, lines.first_line - 1) + 1)]
    out.extend(lines.get(max(first, lines.first_line), last))
    return out


def _extend_to(cand: Candidate, lines: BlockLines, upto: int, state: _State) -> None:
    if upto > cand.end:
        cand.lines.extend(_text(state, lines, cand.end + 1, upto))


def _line(state: _State, lines: BlockLines, number: int) -> list[str]:
    """Line ``number`` (as a 0- or 1-element list): from this block, or from the tail ring just before it."""
    if number >= lines.first_line:
        text = lines.line(number)
        return [text] if text is not None else []
    back = lines.first_line - number
    return [state.tail[-back]] if back <= len(state.tail) else []


def _continue(cand: Candidate, lines: BlockLines, last_line: int, state: _State) -> None:
    """Append the lines that continue the block's last message, up to ``last_line``.

    Once a line that is not a continuation is seen the block is *settled*: later calls (after a block boundary,
    or at the next hit) do not look again, so the result never depends on where blocks were cut.
    """
    while not cand.settled and cand.end < last_line:
        if len(cand.lines) >= max_lines(cand) or (
            cand.until is None and cand.end - cand.last_hit >= MAX_CONTINUATION
        ):
            cand.settled = True
            return
        text = _line(state, lines, cand.end + 1)
        if text and is_blank(text[0]) and ALLOW_BLANK_IN_MESSAGE:
            # A blank line inside a message (test failure details, diffs) when what follows still continues it.
            if cand.end + 2 > last_line:
                return  # decide when the next line is available
            following = _line(state, lines, cand.end + 2)
            if (
                following
                and not is_blank(following[0])
                and (
                    (cand.section and not SECTION_END.match(strip_prefix(following[0])))
                    or is_continuation(cand.last_text, following[0], after_blank=True)
                )
            ):
                cand.lines.extend([text[0], following[0]])
                cand.settled = ends_section(cand, following[0])
                continue
        if cand.section and text and not is_blank(text[0]):
            if SECTION_END.match(strip_prefix(text[0])):
                cand.settled = True  # the next report, or the next part of the run ("--- Captured log ---")
                return
            cand.lines.append(text[0])  # inside a report section every line is part of the report
            cand.settled = ends_section(cand, text[0])
            continue
        if not text or not is_continuation(cand.last_text, text[0]):
            cand.settled = True
            return
        cand.lines.append(text[0])


def _extend_open(state: _State, lines: BlockLines, last_line: int) -> None:
    """At the end of a block: follow the open block's continuation; it stays open for a nearby next hit."""
    cand = state.open
    assert cand is not None
    _continue(cand, lines, last_line, state)


# ------------------------------------------------------------------------------------------------------
# Green-log comparison


def _normalized_bytes_lines(text_lines: Iterable[str]) -> set[bytes]:
    return {normalize_line(t).encode("utf-8") for t in text_lines if t.strip()}


# Words this long are rare enough in a log to make good anchors; shorter ones ("INFO") are everywhere.
_ANCHOR_WORD = re.compile(r"[A-Za-z_]{7,}")


def _seen_in_previous(previous: Iterable[bytes], wanted: set[bytes]) -> set[bytes]:
    """Which of ``wanted`` (normalised lines) occur in the green log; streams it, keeps only matches.

    Normalising every line of a large green log in Python would dominate the analysis, so each wanted line
    contributes its longest word (normalisation never changes words) to a small literal scanner; only green
    lines containing one of those words are normalised and compared.
    """
    anchors = {max(_ANCHOR_WORD.findall(w.decode("utf-8", "replace")), key=len, default="") for w in wanted}
    anchors.discard("")  # a line without a long word is never found in the green log: it stays evidence
    if not anchors:
        return set()
    # A one-off scanner: not written to the compiled-database cache.
    scanner = build_scanner([(re.escape(word), False) for word in sorted(anchors)], cache=False)
    found: set[bytes] = set()
    for block in iter_blocks(previous):
        text = strip_ansi(block)
        last_start = -1
        for _pattern, end in scanner.scan(text):
            start = text.rfind(b"\n", 0, max(end - 1, 0)) + 1
            if start == last_start:
                continue
            last_start = start
            stop = text.find(b"\n", start)
            norm = normalize_line(clean_line(text[start : stop if stop >= 0 else len(text)])).encode("utf-8")
            if norm in wanted:
                found.add(norm)
        if len(found) == len(wanted):
            break
    return found


# ------------------------------------------------------------------------------------------------------


def analyze_stream(
    chunks: Iterable[bytes],
    *,
    previous: Iterable[bytes] | None = None,
    knowledge_base: KnowledgeBase | None = None,
    max_blocks: int = 5,
    progress: Callable[[int], object] | None = None,
) -> Analysis:
    """Analyse a console log given as an iterable of byte chunks (any sizes).

    ``previous`` is the log of the last successful build of the same job, if known: lines that also appear
    there (after normalising numbers, times, ids and paths) are treated as noise. ``progress`` is called with
    the number of log bytes analysed so far after each block of a few megabytes.
    """
    if max_blocks < 1:
        raise ValueError("max_blocks must be >= 1")
    started = time.perf_counter()
    kb = knowledge_base or load_knowledge_base()
    state = _State(kb)
    for block in iter_blocks(chunks, BLOCK_SIZE):
        _scan_block(state, strip_ansi(block))
        del block  # freed before the next block is read, so its memory is reused (see reader._read_file)
        if progress is not None:
            progress(state.bytes)
    state.close_open()
    total_lines = state.lines + (0 if state.ends_with_newline or state.bytes == 0 else 1)
    candidates = state.candidates()

    noise: set[bytes] = set()
    if previous is not None and candidates:
        # Evidence lines found in the green log are noise (ranking reads only those); the other lines of the
        # candidates are looked up in the same pass so the excerpt can say which lines are new.
        wanted = _normalized_bytes_lines(line for c in candidates for line in c.lines)
        noise = _seen_in_previous(previous, wanted)

    # The same failure shown once, with a count; then the blocks after the first are cut to their end.
    shown = merge_repeats(rank(state, candidates, total_lines, noise))
    ranked = [s.cand for s in shown]
    for cand in ranked[1:max_blocks]:
        digest(cand)
    excerpt = [
        ExcerptBlock(
            start_line=s.cand.start,
            end_line=s.cand.end,
            text=redact("\n".join(s.cand.lines)),
            score=round(s.cand.score, 3),
            new_lines=None if previous is None else _new_lines(s.cand.start, s.cand.lines, noise),
            count=s.count,
            first_line=min(s.first_line, s.cand.start),
        )
        for s in shown[:max_blocks]
    ]
    if not excerpt and total_lines:
        tail = list(state.tail)
        start_line = max(1, total_lines - len(tail) + 1)
        excerpt = [
            ExcerptBlock(
                start_line=start_line,
                end_line=total_lines,
                text=redact("\n".join(tail)),
                score=0.0,
                first_line=start_line,
            )
        ]
    order = _cause_order(state, ranked)
    # A cause that names a category beats a generic one ("the build failed", a wrapper) ranked above it; with
    # none, the first block's words decide. Every cause that matched has its say, shown in a block or not.
    matched = [_cause(kb, c, state.first_cause_line[c]) for c in order[:10]]
    category: Category = decide_category(kb, matched, ranked[0].lines if ranked else [])
    causes = _causes(state, order, ranked[:max_blocks])
    summary = _summary(ranked, causes)
    fingerprint = fingerprint_text(
        "\n".join([*(c.id for c in causes[:3]), *(_key_lines(ranked[0]) if ranked else [])])
    )
    return Analysis(
        category=category,
        summary=summary,
        excerpt=excerpt,
        causes=causes,
        fingerprint=fingerprint,
        stats=Stats(lines=total_lines, bytes=state.bytes, seconds=round(time.perf_counter() - started, 4)),
    )


def _new_lines(start: int, lines: list[str], seen: set[bytes]) -> list[int]:
    """Line numbers of ``lines`` (from ``start``) not found in the green log. Only lines the lookup can find
    count: one without a long word (``[INFO]``, a row of dashes) is never looked up, so it is not called new."""
    return [
        start + i
        for i, line in enumerate(lines)
        if _ANCHOR_WORD.search(line) and normalize_line(line).encode("utf-8") not in seen
    ]


def _cause_order(state: _State, ranked: list[Candidate]) -> list[int]:
    """Every cause that matched: those found in the best blocks first, then the others by weight."""
    kb = state.kb
    order: dict[int, float] = {}
    for position, cand in enumerate(ranked):
        for hit in cand.hits:
            for cause in hit.causes:
                order.setdefault(cause, position - kb.causes[cause].weight / 100.0)
    for cause in state.first_cause_line:
        order.setdefault(cause, 1000 - kb.causes[cause].weight)
    return sorted(order, key=lambda c: order[c])


def _causes(state: _State, order: list[int], shown: list[Candidate]) -> list[Cause]:
    """The causes seen in the blocks shown, in ``order``, each cited at its first line in them: a cause is
    never cited at a line the reader cannot see."""
    cited: dict[int, int] = {}
    for cand in shown:
        for hit in cand.hits:
            if cand.start <= hit.line <= cand.end:
                for cause in hit.causes:
                    cited[cause] = min(cited.get(cause, hit.line), hit.line)
    # A cause can match a line that is no evidence by itself (a capped echo) but is shown in a block.
    for cause, line in state.first_cause_line.items():
        if any(cand.start <= line <= cand.end for cand in shown):
            cited[cause] = min(cited.get(cause, line), line)
    return [_cause(state.kb, cause, cited[cause]) for cause in [c for c in order if c in cited][:10]]


def _cause(kb: KnowledgeBase, cause: int, line: int) -> Cause:
    rule = kb.causes[cause]
    return Cause(
        id=rule.id,
        category=rule.category,
        description=redact(rule.description),
        fix=redact(rule.fix),
        line=line,
    )


def _key_lines(cand: Candidate) -> list[str]:
    """The strongest evidence lines of a block, in log order (the fingerprint's input)."""
    hits = sorted(cand.hits, key=lambda h: -h.weight)[:3]
    out = []
    for hit in sorted(hits, key=lambda h: h.line):
        index = hit.line - cand.start
        if 0 <= index < len(cand.lines):
            out.append(_strip_prefix(cand.lines[index]))
    return out


def _strip_prefix(text: str) -> str:
    return strip_prefix(text).strip()


def _summary(ranked: list[Candidate], causes: list[Cause]) -> str:
    line = ""
    if ranked:
        best = max(ranked[0].hits, key=lambda h: (h.weight, -h.line))
        index = best.line - ranked[0].start
        if 0 <= index < len(ranked[0].lines):
            # Redacted before it is cut: a cut through a secret would leave a prefix no rule recognises.
            line = redact(_strip_prefix(ranked[0].lines[index]))
    if len(line) > 200:
        line = line[:200] + "…"
    if causes:
        text = f"{causes[0].description.rstrip('.')}" + (f": {line}" if line else "")
    else:
        text = line or "no failure evidence found in the log"
    return redact(" ".join(text.split()))


def analyze_path(
    path: str | Path,
    *,
    previous: str | Path | None = None,
    knowledge_base: KnowledgeBase | None = None,
    max_blocks: int = 5,
    progress: Callable[[int], object] | None = None,
) -> Analysis:
    """Analyse a log file (``.gz`` decompressed on the fly; ``-`` reads stdin); ``progress`` as for
    :func:`analyze_stream` (bytes of the log, decompressed)."""
    return analyze_stream(
        open_chunks(path),
        previous=open_chunks(previous) if previous is not None else None,
        knowledge_base=knowledge_base,
        max_blocks=max_blocks,
        progress=progress,
    )
