"""The engine's hot loop over log bytes: the compiled extension when it was built, else pure Python.

Two functions run over every byte or every pattern match of a log: :func:`strip_ansi` (a real CI log carries
~14,000 colour codes per MB) and :func:`select_lines` (the lines ~800 pattern matches per MB end on). In Python
they cost more than Hyperscan's scan itself, so ``worker/analysis/_fast.c`` implements both, and
:func:`count_repeats`, the per-line work on the repeats of a failure already seen (most selected lines of an
error-dense log); ``pip install`` builds it (setuptools, any C compiler). Where it was not built the pure-Python twins below give the same output,
byte for byte (``tests/unit/analysis/test_fastpath.py`` runs both on the same inputs).

:data:`compiled` names the implementation in use (``None``: pure Python); tests and ``bench.speed --pure``
switch it with :func:`use_compiled`.
"""

from __future__ import annotations

import importlib
import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Protocol

#: What this module uses of the compiled one: a build from an older ``_fast.c`` (an in-place build not redone
#: after an update) lacks some of it and is not used.
COMPILED_API = (
    "strip_ansi",
    "select_lines",
    "line_text",
    "Ends",
    "Patterns",
    "Matches",
    "count_repeats",
    "BlockLines",
    "continue_block",
    "join_hit",
    "message_start",
    "set_clean_line",
    "set_continuation",
)


def _load_compiled() -> ModuleType | None:
    try:
        module = importlib.import_module("worker.analysis._fast")
    except ImportError:  # not built (no C compiler where it was installed): the pure-Python twins below
        return None
    if not all(hasattr(module, name) for name in COMPILED_API):
        return None  # stale: the pure-Python twins until it is rebuilt (pip install -e .)
    return module


_compiled_module = _load_compiled()

if _compiled_module is not None:
    Sequence.register(_compiled_module.Ends)  # len() and indexing: read like the list the pure twin collects

#: The compiled module in use, or None for pure Python.
compiled: ModuleType | None = _compiled_module

# CSI sequences (colours, cursor moves, erase-line) and OSC sequences (titles, hyperlinks).
ANSI_RE = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)|\x1b[^\[\]\n]")
# The same codes after a tool escaped ESC as "^[" (seen when logs are re-printed or uploaded as text).
CARET_ANSI_RE = re.compile(rb"\^\[\[[0-9;?]*[A-Za-z]")


def strip_ansi(block: bytes) -> bytes:
    """Remove terminal escape sequences (no copy when there are none)."""
    if compiled is not None:
        stripped: bytes = compiled.strip_ansi(block)
        return stripped
    return strip_ansi_python(block)


def strip_ansi_python(block: bytes) -> bytes:
    """:func:`strip_ansi` in pure Python."""
    if b"\x1b" in block:
        block = ANSI_RE.sub(b"", block)
    if b"^" in block and b"^[[" in block:  # memchr first: the 3-byte search is ten times slower
        block = CARET_ANSI_RE.sub(b"", block)
    return block


class EndCollector(Protocol):
    """A Hyperscan match handler that keeps the end offset of every match, read as a sequence of int."""

    def __call__(self, pattern: int, start: int, end: int, flags: int, context: object, /) -> None: ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> int: ...


class _Ends(list[int]):
    """:func:`end_collector` in pure Python."""

    def __call__(self, _pattern: int, _start: int, end: int, _flags: int, _context: object, /) -> None:
        self.append(end)


def end_collector() -> EndCollector:
    """A new match handler for ``hyperscan.Database.scan`` keeping each match's end offset; the compiled one
    (``_fast.Ends``) appends to a C array without a Python call per match, and :func:`select_lines` reads that
    array directly."""
    if compiled is not None:
        ends: EndCollector = compiled.Ends()
        return ends
    return _Ends()


class PatternCollector(Protocol):
    """A Hyperscan match handler that keeps the pattern id of every match; :meth:`patterns` gives them distinct
    and sorted."""

    def __call__(self, pattern: int, start: int, end: int, flags: int, context: object, /) -> None: ...

    def patterns(self) -> tuple[int, ...]: ...


class _Patterns(set[int]):
    """:func:`pattern_collector` in pure Python."""

    def __call__(self, pattern: int, _start: int, _end: int, _flags: int, _context: object, /) -> None:
        self.add(pattern)

    def patterns(self) -> tuple[int, ...]:
        return tuple(sorted(self))


def pattern_collector() -> PatternCollector:
    """A new match handler for ``hyperscan.Database.scan`` keeping the pattern of each match (the compiled one,
    ``_fast.Patterns``, without a Python call per match)."""
    if compiled is not None:
        found: PatternCollector = compiled.Patterns()
        return found
    return _Patterns()


class MatchCollector(Protocol):
    """A Hyperscan match handler that keeps the pattern and end offset of every match; :meth:`by_line` gives
    ``(line index, pattern)`` for each (see :func:`lines_of_matches`)."""

    def __call__(self, pattern: int, start: int, end: int, flags: int, context: object, /) -> None: ...

    def by_line(self, data: bytes, /) -> list[tuple[int, int]]: ...


class _Matches(list[tuple[int, int]]):
    """:func:`match_collector` in pure Python."""

    def __call__(self, pattern: int, _start: int, end: int, _flags: int, _context: object, /) -> None:
        self.append((pattern, end))

    def by_line(self, data: bytes, /) -> list[tuple[int, int]]:
        return lines_of_matches(data, self)


def lines_of_matches(data: bytes, matches: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(line index, pattern)`` of each ``(pattern, end offset)`` match in ``data``, in the order given: a match
    belongs to the line holding its last byte, the lines counted forward from the previous match's."""
    out: list[tuple[int, int]] = []
    pos = index = 0
    for pattern, end in matches:
        last = end - 1  # the match's last byte is on the match's line
        if last > pos:
            index += data.count(b"\n", pos, last)
            pos = last
        out.append((index, pattern))
    return out


def match_collector() -> MatchCollector:
    """A new match handler for ``hyperscan.Database.scan`` keeping each match's pattern and end (the compiled
    one, ``_fast.Matches``, without a Python call per match)."""
    if compiled is not None:
        found: MatchCollector = compiled.Matches()
        return found
    return _Matches()


#: ``(newlines in the block, line indexes, line start offsets, line bytes, repeat keys)``: see
#: :func:`select_lines`.
Selection = tuple[int, list[int], list[int], list[bytes], list[bytes]]

_DIGITS = re.compile(rb"[0-9]+")


def select_lines(data: bytes, ends: Sequence[int]) -> Selection:
    """The lines that matches end on, in one walk over the matches.

    ``ends`` are match end offsets in ``data`` (Hyperscan reports them in increasing order; others are sorted
    first); a match belongs to the line holding its last byte. Returns the number of ``\\n`` in ``data`` and,
    for each distinct matched line in order, its index in ``data`` (0 = first line), the offset where it starts
    and its bytes without the ``\\n``.
    """
    if compiled is not None:
        selection: Selection = compiled.select_lines(data, ends)
        return selection
    return select_lines_python(data, ends)


def select_lines_python(data: bytes, ends: Sequence[int]) -> Selection:
    """:func:`select_lines` in pure Python."""
    if any(ends[i] < ends[i - 1] for i in range(1, len(ends))):
        ends = sorted(ends)
    numbers: list[int] = []
    starts: list[int] = []
    lines: list[bytes] = []
    size = len(data)
    pos = line = 0
    previous = -1
    for end in ends:
        last = min(max(end - 1, 0), size)
        if last > pos:
            line += data.count(b"\n", pos, last)
            pos = last
        if line == previous:
            continue
        previous = line
        start = data.rfind(b"\n", 0, last) + 1
        stop = data.find(b"\n", start)
        numbers.append(line)
        starts.append(start)
        lines.append(data[start : stop if stop >= 0 else size])
    keys = [_DIGITS.sub(b"0", text) for text in lines]
    return line + data.count(b"\n", pos), numbers, starts, lines, keys


class _Counted(Protocol):
    """A first occurrence that repeats are counted on (:class:`blocks.Hit`)."""

    repeats: int

    def repeated(self, line: int, step: int) -> None: ...


class _Plain(Protocol):
    """What :func:`count_repeats` reads of a line's rule (:class:`selection.LineRule`)."""

    @property
    def plain(self) -> bool: ...
    @property
    def section(self) -> bool: ...
    @property
    def until(self) -> str: ...


def count_repeats(
    numbers: list[int],
    starts: list[int],
    keys: list[bytes],
    rules: Sequence[_Plain],
    index: int,
    first_line: int,
    step: int,
    repeats: Mapping[Any, Mapping[bytes, _Counted]],
    ghosts: deque[Any],
    max_section: int,
    continuation_reach: int,
) -> int:
    """Count the run of repeats from selected line ``index`` on, while no block is open; the index of the first
    line that is not one (see :func:`count_repeats_python`). The engine's hot path in a dense log."""
    if compiled is not None:
        done: int = compiled.count_repeats(
            numbers, starts, keys, rules, index, first_line, step, repeats, ghosts, max_section,
            continuation_reach,
        )  # fmt: skip
        return done
    return count_repeats_python(
        numbers,
        starts,
        keys,
        rules,
        index,
        first_line,
        step,
        repeats,
        ghosts,
        max_section,
        continuation_reach,
    )


def count_repeats_python(
    numbers: list[int],
    starts: list[int],
    keys: list[bytes],
    rules: Sequence[_Plain],
    index: int,
    first_line: int,
    step: int,
    repeats: Mapping[Any, Mapping[bytes, _Counted]],
    ghosts: deque[Any],
    max_section: int,
    continuation_reach: int,
) -> int:
    """:func:`count_repeats` in pure Python.

    Selected line ``index`` (its number in the block, start offset, repeat key and rule at that index of each
    list) is a repeat when its rule is plain (evidence on its own, no marker, no sequence) and its key has a first
    occurrence in ``repeats[rule]``: it is counted there (``Hit.repeated``, in step ``step``) and kept as a ghost
    ``(line, rule, first, step, start, reach)`` (:mod:`worker.analysis.ghosts`): the ghosts are cleared when the
    line is beyond the last one's reach, and keep the last ``max_section`` lines. ``reach`` is ``max_section``
    for a rule that heads a section, else ``continuation_reach``.
    """
    count = len(numbers)
    while index < count:
        rule = rules[index]
        if not rule.plain:
            break
        known = repeats.get(rule)
        first = known.get(keys[index]) if known is not None else None
        if first is None:
            break
        line_no = first_line + numbers[index]
        first.repeated(line_no, step)
        if ghosts and line_no - ghosts[-1][0] > ghosts[-1][5]:
            ghosts.clear()  # the repeats before are out of reach of anything to come
        reach = max_section if rule.section or rule.until else continuation_reach
        ghosts.append((line_no, rule, first, step, starts[index], reach))
        while line_no - ghosts[0][0] > max_section:
            ghosts.popleft()
        index += 1
    return index


@contextmanager
def use_compiled(enabled: bool) -> Iterator[None]:
    """Run the block with the compiled extension (``True``, when built) or with pure Python (``False``)."""
    global compiled
    saved = compiled
    compiled = _compiled_module if enabled else None
    try:
        yield
    finally:
        compiled = saved
