"""The log's structure while streaming: steps starting and ending, which step failed, and the output of a
failed step kept as a candidate even when no rule matched it.

Structure markers (a CI step starting, a command exiting non-zero, ``Finished: FAILURE``, Jenkins Pipeline's
``[Pipeline] sh``) come from the knowledge base; a marker closes the block growing in the step before it.
"""

from __future__ import annotations

import re

from worker.analysis.blocks import STEP_FAIL, STEP_OK, STEP_UNKNOWN, Candidate, Hit, echo_lines, is_blank
from worker.analysis.growth import before_block, continue_block, line_at
from worker.analysis.lines import BlockLines
from worker.analysis.reader import strip_prefix
from worker.analysis.selection import LineRule
from worker.analysis.stream_state import StreamState

# The output of a failed step that is kept as a candidate even without any matching rule.
FAIL_TAIL_LINES = 20
FAIL_TAIL_PARAGRAPH = 4
FAIL_TAIL_EVIDENCE = 2.5


def structure(
    state: StreamState, lines: BlockLines, rule: LineRule, line_no: int
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


def _on_marker(state: StreamState, lines: BlockLines, kind: str, line_no: int) -> None:
    if kind in _STEP_BOUNDARIES and state.command_step == state.step:
        _keep_command_tail(state, lines, line_no)
    if kind in ("post_build", "pipeline_end") and state.step_before_post_build is None:
        # Blame the step that last showed evidence, or the last shell step when it came later (a failure no
        # rule recognised): wrappers (dir, withEnv, node) close between it and post { }.
        state.step_before_post_build = max(state.last_evidence_step, state.command_step or 0)
    if kind in ("step_start", "command_start", "stage", "post_build", "pipeline_end"):
        if state.open is not None:
            # Whatever continued the open block ends here: finish it as if the next block had started.
            continue_block(state.open, lines, line_no - 1, state)
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


def _keep_command_tail(state: StreamState, lines: BlockLines, line_no: int) -> None:
    """Keep the last output lines of the shell step that ends before ``line_no``."""
    first = max(state.command_line + 1, line_no - 1 - FAIL_TAIL_LINES - 5)
    text = [line_at(state, lines, n) for n in range(first, line_no)]
    kept = [t if t is not None else "" for t in text]
    while kept and (is_blank(kept[-1]) or _PIPELINE_LINE.match(strip_prefix(kept[-1]))):
        kept.pop()
    if kept and state.command_step is not None:
        state.command_tails[state.command_step] = (first, kept)
        if len(state.command_tails) > KEEP_COMMAND_TAILS:
            del state.command_tails[min(state.command_tails)]


def _blame_command(state: StreamState, step: int) -> None:
    """The pipeline said step ``step`` failed: its output is a candidate even when no rule matched it."""
    if state.step_status[step] == STEP_FAIL:
        return
    state.step_status[step] = STEP_FAIL
    kept = state.command_tails.pop(step, None)
    if kept is not None and not state.step_cause[step]:  # else the block of the cause that matched says it
        first, text = kept
        state.step_fail_lines.append(first + len(text))  # evidence just above its end counts more
        _tail_candidate(state, list(text), first, step)


def _add_failed_step_tail(state: StreamState, lines: BlockLines, fail_line: int) -> None:
    """The last output of a step that exited non-zero: the cause is there even when no rule matched it."""
    first = max(state.step_start_line + 1, fail_line - FAIL_TAIL_LINES, 1)
    if first >= fail_line:
        return
    text: list[str] = []
    if first < lines.first_line:
        text.extend(before_block(state, lines.first_line - first))
    text.extend(lines.get(max(first, lines.first_line), fail_line - 1))
    _tail_candidate(state, text, fail_line - len(text), state.step)


#: Step tails whose echo lines are remembered (the same failure repeated has the same last lines).
ECHO_MEMO = 256


def _echoes(state: StreamState, text: list[str]) -> list[bool]:
    """:func:`blocks.echo_lines` of ``text`` (it scans them with every pattern), remembered per text."""
    key = tuple(text)
    memo = state.echo_memo
    echo = memo.get(key)
    if echo is None:
        if len(memo) >= ECHO_MEMO:
            memo.clear()
        echo = memo[key] = echo_lines(state.kb, text)
    return echo


def _tail_candidate(state: StreamState, text: list[str], start: int, step: int) -> None:
    """A candidate from the last output lines ``text`` (starting at line ``start``) of a step that failed."""
    # Trim blank lines and echoes of the failure at the end (the runner's "The command ... exited with 1", the
    # tools' trailers: the knowledge base's capped signals, and Travis' helper lines), then keep the last
    # paragraph(s) up to the limit.
    echo = _echoes(state, text)
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
