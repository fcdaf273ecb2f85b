"""The engine's hot loop over log bytes: the compiled extension when it was built, else pure Python.

Two functions run over every byte or every pattern match of a log: :func:`strip_ansi` (a real CI log carries
~14,000 colour codes per MB) and :func:`select_lines` (the lines ~800 pattern matches per MB end on). In Python
they cost more than Hyperscan's scan itself, so ``worker/analysis/_fast.c`` implements both; ``pip install``
builds it (setuptools, any C compiler). Where it was not built the pure-Python twins below give the same output,
byte for byte (``tests/unit/analysis/test_fastpath.py`` runs both on the same inputs).

:data:`compiled` names the implementation in use (``None``: pure Python); tests and ``bench.speed --pure``
switch it with :func:`use_compiled`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Protocol

#: What this module uses of the compiled one: a build from an older ``_fast.c`` (an in-place build not redone
#: after an update) lacks some of it and is not used.
COMPILED_API = ("strip_ansi", "select_lines", "line_text", "Ends")


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
