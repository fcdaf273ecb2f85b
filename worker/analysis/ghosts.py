"""Repeats that start no block ("ghosts"): counted on their first occurrence, unless new evidence follows them.

A repeated line of evidence (the same failure again, see :mod:`worker.analysis.selection`) is counted where the
failure first occurred and builds no block. When new evidence follows it within reach (a repeated
"Traceback (most recent call last):" above a new exception) it was the start of that evidence's block after all:
the repeats within reach are replayed as hits.
"""

from __future__ import annotations

from worker.analysis.blocks import MAX_SECTION_LINES, Hit
from worker.analysis.growth import MAX_CONTINUATION, MERGE_GAP, joins_open, on_hit
from worker.analysis.lines import BlockLines
from worker.analysis.selection import LineRule
from worker.analysis.stream_state import Ghost, StreamState


def reach(rule: LineRule) -> int:
    """How far below a hit of ``rule`` its block can still take in the next evidence."""
    return MAX_SECTION_LINES if rule.section or rule.until else MAX_CONTINUATION + MERGE_GAP


def materialise_ghosts(state: StreamState, lines: BlockLines, line_no: int, section: bool) -> None:
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
        replayed: dict[int, Ghost] = {}
        for ghost in list(ghosts)[chain:]:
            ghost_line, rule, first, step, start, _reach = ghost
            if ghost_line >= lines.first_line:
                lines.add_anchor(ghost_line, start)
            if state.open is not None and not joins_open(state, lines, ghost_line, rule.section):
                _drop_replayed(state, replayed)
            first.not_repeated(ghost_line, step)
            replayed[ghost_line] = ghost
            on_hit(
                state,
                lines,
                Hit(ghost_line, min(rule.weight, rule.cap), list(rule.causes), rule.section, rule.until),
            )
        if state.open is not None and not joins_open(state, lines, line_no, section):
            _drop_replayed(state, replayed)
    ghosts.clear()


def _drop_replayed(state: StreamState, replayed: dict[int, Ghost]) -> None:
    """The open block, made of replayed repeats only, does not reach the new evidence: counted again."""
    cand = state.open
    assert cand is not None
    state.open = None
    for hit in cand.hits:
        ghost = replayed.pop(hit.line, None)
        if ghost is not None:
            ghost[2].repeated(ghost[0], ghost[3])
