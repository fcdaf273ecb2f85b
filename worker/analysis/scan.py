"""One block of a log (a few megabytes of whole lines) through the engine: the hot loop.

1. The trigger patterns (everything that can make a line evidence, plus the structure markers), compiled into
   one Hyperscan database, scan the whole block; :func:`fastpath.select_lines` turns their matches into the
   distinct lines they end on. Python never iterates over the lines of a block.
2. Each selected line gets its rule (:class:`selection.LineRules`: every pattern scanned only over lines not
   seen before). A repeat of a failure already seen (same rule, same bytes once digits are masked) is counted on
   its first occurrence before any block work; structure markers move the step state (:mod:`steps`); the other
   evidence grows candidate blocks (:mod:`growth`).
3. The block still open is extended to the end of this block, and the last lines are kept for the next one.
"""

from __future__ import annotations

from worker.analysis.blocks import MAX_SECTION_LINES, Hit
from worker.analysis.fastpath import count_repeats, select_lines
from worker.analysis.ghosts import materialise_ghosts, reach
from worker.analysis.growth import (
    CONTEXT_BEFORE,
    MAX_CONTINUATION,
    MERGE_GAP,
    extend_open,
    joins_open,
    on_hit,
)
from worker.analysis.lines import block_lines
from worker.analysis.selection import REPEAT_KEYS
from worker.analysis.steps import structure
from worker.analysis.stream_state import TAIL_LINES, StreamState

#: How far below a repeat its block could take in new evidence (:func:`ghosts.reach` of a rule heading no section).
CONTINUATION_REACH = MAX_CONTINUATION + MERGE_GAP


def scan_block(state: StreamState, data: bytes) -> None:
    kb = state.kb
    first_line = state.lines + 1  # line n starts after the (n-1)-th newline, even mid-line after a cut
    # Stage 1: the trigger patterns (anything that can make a line evidence, and the structure markers) over the
    # whole block, and the distinct lines their matches end on, in one walk over the matches (compiled).
    newlines, numbers, starts, raw_lines, repeat_keys = select_lines(data, kb.trigger_ends(data))
    ends_with_newline = data.endswith(b"\n")
    last_line = first_line + newlines - (1 if ends_with_newline else 0)
    lines = block_lines(data, first_line, max(first_line, last_line))

    # Stage 2: what each selected line means (every pattern scanned only over lines not seen before); a repeat
    # of a failure already seen is counted on its first occurrence before any block work.
    repeats = state.repeats
    rules = state.rules.rules(raw_lines)
    count = len(numbers)
    index = 0
    while index < count:
        if state.open is None and rules[index].plain:
            # The hot path of a dense log: repeats with no open block to extend are counted and remembered,
            # a run at a time (compiled; a run starts with a plain rule, else there is none).
            done = count_repeats(
                numbers, starts, repeat_keys, rules, index, first_line, state.step, repeats, state.ghosts,
                MAX_SECTION_LINES, CONTINUATION_REACH,
            )  # fmt: skip
            if done > index:
                state.last_evidence_step = state.step
                index = done
                if index == count:
                    break
        number, start, masked, rule = numbers[index], starts[index], repeat_keys[index], rules[index]
        index += 1
        if not rule.evidence:
            continue  # selected by a trigger's cheaper superset form only (kb.TRIGGER_FORMS): not evidence
        line_no = first_line + number
        causes = rule.causes
        weight = rule.weight
        if rule.markers or not rule.repeatable:
            lines.add_anchor(line_no, start)
            weight, causes = structure(state, lines, rule, line_no)
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
                if state.open is None or not joins_open(state, lines, line_no, rule.section):
                    # Counted: no block of its own, unless new evidence follows it closely.
                    step = state.last_evidence_step = state.step
                    first.repeated(line_no, step)
                    if state.open is not None:
                        state.close_open()  # as a hit here would: the open block ends above it
                    ghosts = state.ghosts
                    if ghosts and line_no - ghosts[-1][0] > ghosts[-1][5]:
                        ghosts.clear()  # the repeats before are out of reach of anything to come
                    ghosts.append((line_no, rule, first, step, start, reach(rule)))
                    while line_no - ghosts[0][0] > MAX_SECTION_LINES:
                        ghosts.popleft()
                    continue
                seen = None  # next to the open block: it still extends it
        lines.add_anchor(line_no, start)
        materialise_ghosts(state, lines, line_no, rule.section)
        hit = Hit(line_no, min(weight, rule.cap), list(causes), rule.section, rule.until)
        on_hit(state, lines, hit)
        if seen is not None and state.repeat_keys < REPEAT_KEYS:
            seen[masked] = hit
            state.repeat_keys += 1
        for cause in causes:
            state.first_cause_line.setdefault(cause, line_no)

    # Extend the open candidate with lines of this block up to its needed end.
    if state.open is not None:
        extend_open(state, lines, last_line)
    # Keep the last lines of this block: context for a hit at the start of the next one, and the tail.
    tail_first = max(first_line, last_line - max(CONTEXT_BEFORE, TAIL_LINES) + 1)
    tail_lines = lines.get(tail_first, last_line)
    state.tail.extend(tail_lines)
    state.lines += newlines
    state.bytes += len(data)
    state.ends_with_newline = ends_with_newline
