"""How a candidate block grows around evidence: where it starts, which lines continue its message, when a new
hit joins it and when it is settled.

A block starts at the header of the message its first hit belongs to and takes in the lines that continue that
message (stack frames, indented detail, a report section up to its last line); a hit close to its end joins it.
Lines come from the current block of the log (:class:`lines.BlockLines`) or from the tail ring of the one
before, so the result never depends on where the log was cut into blocks.
"""

from __future__ import annotations

import functools

from worker.analysis import fastpath
from worker.analysis.blocks import (
    MAX_BLOCK_LINES,
    MAX_SECTION_LINES,
    SECTION_END,
    Candidate,
    Hit,
    announces_detail,
    compiled,
    ends_section,
    is_blank,
    is_continuation,
    max_lines,
)
from worker.analysis.lines import BlockLines
from worker.analysis.reader import PREFIX_FIRST, strip_prefix
from worker.analysis.stream_state import StreamState

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


def joins_open(state: StreamState, lines: BlockLines, line_no: int, section: bool) -> bool:
    """Whether a hit on ``line_no`` extends the open candidate (the test :func:`on_hit` makes): it does when
    it is close to the candidate's end once the output that continues it (a stack trace, an indented message)
    is followed up to the hit, unless the candidate is full, the hit heads a report (a report header starts its
    own block), or the candidate is a report whose last line was seen."""
    cand = state.open
    if cand is None:
        return False
    continue_block(cand, lines, line_no - 1, state)
    complete = cand.until is not None and cand.settled
    return (
        line_no - cand.end <= MERGE_GAP
        and line_no - cand.start < max_lines(cand)
        and not section
        and not complete
    )


def on_hit(state: StreamState, lines: BlockLines, hit: Hit) -> None:
    state.last_evidence_step = state.step
    if hit.causes:
        state.step_cause[state.step] = 1
    cand = state.open
    if cand is not None:
        if lines.__class__ is not BlockLines:  # the compiled one: the same test and work, in C
            if _join_compiled(cand, lines, hit.line, hit.section, hit, state.tail):
                return
        elif joins_open(state, lines, hit.line, hit.section):
            _extend_to(cand, lines, hit.line, state)
            cand.last_hit = hit.line
            # No text when every line of the block is older than the tail ring (replayed repeats far above
            # this block): "", as for a new block (below).
            last = cand.lines[-1] if cand.lines else ""
            if not (announces_detail(cand.last_text) and strip_prefix(last)[:1].isspace()):
                cand.last_text = last  # else the hit is detail under a header: the header still rules
            cand.hits.append(hit)
            cand.settled = ends_section(cand, last)
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


def _message_start(state: StreamState, lines: BlockLines, line_no: int) -> int:
    """The first line of the message that line ``line_no`` belongs to: evidence found in indented detail or a
    stack frame starts the block at the header it continues (a lint report's file name, the exception line
    above "Caused by"), at most MAX_HEADER_LINES above it, never inside the previous block or above the
    step's command."""
    floor = max(state.last_end, state.step_start_line)  # not above the step's own command line
    if lines.__class__ is not BlockLines:  # the compiled one: the same loop in C
        start: int = _message_start_compiled(lines, line_no, floor, MAX_HEADER_LINES, state.tail)
        return start
    first = line_no
    current = line_at(state, lines, line_no)
    while current is not None and line_no - first < MAX_HEADER_LINES and first - 1 > floor:
        above = line_at(state, lines, first - 1)
        if above is None or blank(above) or not continues(above, current):
            break
        first -= 1
        current = above
    return first


def before_block(state: StreamState, count: int) -> list[str]:
    """The last ``count`` lines before the current block (kept in the tail ring)."""
    if count <= 0:
        return []
    tail = state.tail
    return [tail[i] for i in range(max(0, len(tail) - count), len(tail))]


def _text(state: StreamState, lines: BlockLines, first: int, last: int) -> list[str]:
    """Lines ``first..last`` from this block or the tail ring before it (leading lines older than the ring are
    left out)."""
    out: list[str] = []
    if first < lines.first_line:
        tail = state.tail
        oldest = lines.first_line - len(tail)
        out = [tail[n - oldest] for n in range(max(first, oldest), min(last, lines.first_line - 1) + 1)]
    out.extend(lines.get(max(first, lines.first_line), last))
    return out


def _extend_to(cand: Candidate, lines: BlockLines, upto: int, state: StreamState) -> None:
    if upto > cand.end:
        cand.lines.extend(_text(state, lines, cand.end + 1, upto))


def line_at(state: StreamState, lines: BlockLines, number: int) -> str | None:
    """Line ``number``, from this block or from the tail ring just before it (None when it is in neither)."""
    if number >= lines.first_line:
        return lines.line(number)
    back = lines.first_line - number
    return state.tail[-back] if back <= len(state.tail) else None


def blank(text: str) -> bool:
    """:func:`blocks.is_blank`, without its calls for a line that starts with a character no runner prefix starts
    with (most lines, and the indented detail the continuation rules read): it is blank when it is all spaces."""
    if text[:1] not in PREFIX_FIRST:
        return not text.strip()
    return is_blank(text)


@functools.lru_cache(maxsize=4096)
def continues(previous: str, text: str, after_blank: bool = False) -> bool:
    """:func:`blocks.is_continuation`, remembered: a function of the two lines alone, asked about the same pairs
    again and again where a failure repeats (each a few microseconds of string tests; the lookup is a tenth)."""
    return is_continuation(previous, text, after_blank=after_blank)


def continue_block(cand: Candidate, lines: BlockLines, last_line: int, state: StreamState) -> None:
    """Append the lines that continue the block's last message, up to ``last_line``.

    Once a line that is not a continuation is seen the block is *settled*: later calls (after a block boundary,
    or at the next hit) do not look again, so the result never depends on where blocks were cut.

    The engine's most repeated Python loop (a dense log reads ~2 lines here per hit): what does not change while
    it runs (the block's start, last hit, section rule and line limit) is read once, and a line already read in
    this block is taken from :attr:`lines.BlockLines.texts` without a call. With the compiled
    :class:`lines.BlockLines` (:func:`lines.block_lines`) the same loop runs in C (``_fast.continue_block``), asking
    Python only the predicates on a line's text (:func:`continues`, :func:`blocks.is_blank` of a line a runner
    prefix may start, the section rules).
    """
    if lines.__class__ is not BlockLines:  # the compiled one
        _continue_compiled(cand, lines, last_line, state.tail)
        return
    if cand.settled:
        return
    texts = cand.lines
    start = cand.start
    if start + len(texts) - 1 >= last_line:
        return  # the usual case at a hit next to the block: nothing new to read
    limit = max_lines(cand)
    # A plain message is followed at most MAX_CONTINUATION lines past its last hit.
    follow = cand.until is None
    last_hit = cand.last_hit
    section = cand.section
    last_text = cand.last_text
    read = lines.texts.get
    while True:
        end = start + len(texts) - 1
        if end >= last_line:
            return
        if len(texts) >= limit or (follow and end - last_hit >= MAX_CONTINUATION):
            cand.settled = True
            return
        text = read(end + 1)
        if text is None:
            text = line_at(state, lines, end + 1)
        if text is not None and ALLOW_BLANK_IN_MESSAGE and blank(text):
            # A blank line inside a message (test failure details, diffs) when what follows still continues it.
            if end + 2 > last_line:
                return  # decide when the next line is available
            following = read(end + 2)
            if following is None:
                following = line_at(state, lines, end + 2)
            if (
                following is not None
                and not blank(following)
                and (
                    (section and not SECTION_END.match(strip_prefix(following)))
                    or continues(last_text, following, True)
                )
            ):
                texts.extend([text, following])
                if ends_section(cand, following):
                    cand.settled = True
                    return
                continue
        if section and text is not None and not blank(text):
            if SECTION_END.match(strip_prefix(text)):
                cand.settled = True  # the next report, or the next part of the run ("--- Captured log ---")
                return
            texts.append(text)  # inside a report section every line is part of the report
            if ends_section(cand, text):
                cand.settled = True
                return
            continue
        if text is None or not continues(last_text, text):
            cand.settled = True
            return
        texts.append(text)


def section_end(text: str) -> bool:
    """A titled separator line: the next report, or the next part of the run (it ends a report section)."""
    return SECTION_END.match(strip_prefix(text)) is not None


if fastpath._compiled_module is not None:
    _continue_compiled = fastpath._compiled_module.continue_block
    _join_compiled = fastpath._compiled_module.join_hit
    _message_start_compiled = fastpath._compiled_module.message_start
    fastpath._compiled_module.set_continuation(
        continues,
        is_blank,
        section_end,
        ends_section,
        announces_detail,
        strip_prefix,
        MAX_SECTION_LINES,
        MAX_BLOCK_LINES,
        MAX_CONTINUATION,
        MERGE_GAP,
        ALLOW_BLANK_IN_MESSAGE,
    )


def extend_open(state: StreamState, lines: BlockLines, last_line: int) -> None:
    """At the end of a block: follow the open block's continuation; it stays open for a nearby next hit."""
    cand = state.open
    assert cand is not None
    continue_block(cand, lines, last_line, state)
