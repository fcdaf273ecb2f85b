"""Streaming over log bytes: whole-line blocks of a few megabytes, and the cleaning of the lines we keep.

The engine never holds a whole log. :func:`iter_blocks` turns any chunking of the input (1 byte, 64 KB
from Jenkins' progressive text, a file) into blocks that end on a line boundary, so a line is never split
between two scans and line numbers stay exact:
line ``n`` is the text after the ``(n-1)``-th ``\\n`` (1-based).

Cleaning (ANSI colour codes, CRLF, carriage-return progress bars, CI fold markers) happens per block for ANSI
codes (:func:`strip_ansi`, compiled: see :mod:`worker.analysis.fastpath`; they are removed without touching
newlines) and per *kept* line for the rest, so the bulk of a log is never turned into Python strings.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from worker.analysis.fastpath import strip_ansi

__all__ = ["PREFIX_FIRST", "clean_line", "iter_blocks", "open_chunks", "strip_ansi", "strip_prefix"]

BLOCK_SIZE = 2 << 20
#: A "line" longer than this is cut (minified JS, base64 dumps): memory must not depend on the input.
MAX_LINE_BYTES = 1 << 20
#: Characters of a single line kept in an excerpt.
MAX_LINE_CHARS = 1000

# Travis CI control lines: they are folded away in the UI and carry no information.
_TRAVIS_CONTROL = re.compile(r"^(?:travis_(?:fold|time):[a-z]+:[^\r]*)$")


# The same runner prefixes the knowledge base allows before ``^`` (timestamps, BuildKit, ``##[error]``; a blank
# line keeps its prefix without the trailing spaces).
_PREFIX_RE = re.compile(
    r"^(?:\ufeff)?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z? {0,2}"
    r"|\[\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?\] {0,2}|\[?\d\d:\d\d:\d\d(?:\.\d+)?\]?(?: {1,2}|$))?"
    r"(?:#\d+ \d+\.\d+(?: |$))?(?:##\[(?:error|warning)\])?"
)


# Every prefix starts with one of these: other lines (most of them) skip the regex, which is called per line
# by the continuation rules.
PREFIX_FIRST = frozenset("0123456789[#\ufeff")


#: Lines whose prefix was stripped lately: the continuation rules test a line several times (as the line, then as
#: the one before the next; blank or not), ~3 regex substitutions per distinct line of a real log. Bounded.
_STRIPPED: dict[str, str] = {}
_STRIPPED_MAX = 4096


def strip_prefix(text: str) -> str:
    """The tool's own output: without the runner's timestamp or ``##[error]`` prefix."""
    if not text or text[0] not in PREFIX_FIRST:
        return text
    stripped = _STRIPPED.get(text)
    if stripped is None:
        if len(_STRIPPED) >= _STRIPPED_MAX:
            _STRIPPED.clear()
        stripped = _STRIPPED[text] = _PREFIX_RE.sub("", text, count=1)
    return stripped


def iter_blocks(chunks: Iterable[bytes], block_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Regroup ``chunks`` into blocks of about ``block_size`` bytes, each ending with ``\\n``.

    Only the last block may lack the final newline. A single line longer than :data:`MAX_LINE_BYTES` is cut
    where it exceeds the limit (the pieces are then parts of one line: line numbers are unaffected because
    they only count ``\\n``).
    """
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        if not chunk:
            continue
        if not pending and len(chunk) >= block_size and chunk.endswith(b"\n") and type(chunk) is bytes:
            # Already a whole-line block (what open_chunks reads): no join, no slice. Copying a few MB per
            # block costs more than the copy itself (fresh pages), ~15% of the analysis.
            yield chunk
            del chunk  # see _read_file: not alive while the next one is read
            continue
        pending.append(bytes(chunk))
        size += len(chunk)
        if size < block_size:
            continue
        data = b"".join(pending)
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < MAX_LINE_BYTES:
            pending, size = [data], len(data)
            continue
        if cut == 0:
            cut = len(data)
        yield data[:cut]
        rest = data[cut:]
        pending, size = ([rest], len(rest)) if rest else ([], 0)
    if size:
        yield b"".join(pending)


def clean_line(raw: bytes) -> str:
    """The text a human saw on the terminal: last carriage-return segment, no CI control noise."""
    raw = raw.rstrip(b"\r\n")
    if b"\r" in raw:
        # A progress bar rewrites the line with '\r': the terminal shows the last non-empty segment. Only the
        # last segments are decoded ('\r' is never part of a UTF-8 sequence): such lines can be megabytes.
        text = ""
        end = len(raw)
        while end >= 0:
            cut = raw.rfind(b"\r", 0, end)
            segment = raw[cut + 1 : end].decode("utf-8", "replace")
            if segment.strip() and not _TRAVIS_CONTROL.match(segment):
                text = segment
                break
            end = cut
    else:
        text = raw.decode("utf-8", "replace")
        if text.startswith("travis_") and _TRAVIS_CONTROL.match(text):
            text = ""
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + " …"
    if "\t" in text:
        text = text.expandtabs(4)
    return text.rstrip()


def open_chunks(path: str | Path, chunk_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Read ``path`` (``-`` = stdin, ``*.gz`` or gzip magic = decompressed on the fly) in chunks.

    Each chunk is completed to the end of its last line, so :func:`iter_blocks` passes it on as it is.
    """
    if str(path) == "-":
        yield from _read(sys.stdin.buffer, chunk_size)
        return
    with open(path, "rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        if magic == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield from _read(unzipped, chunk_size)
        elif stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
            yield from _read_file(raw.fileno(), chunk_size)
        else:
            yield from _read(raw, chunk_size)


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def readline(self, size: int = ..., /) -> bytes: ...


def _read(stream: _Readable, chunk_size: int) -> Iterator[bytes]:
    while chunk := stream.read(chunk_size):
        if not chunk.endswith(b"\n"):
            # Finish the line: one small read, and the chunk needs no cutting (bounded like any line).
            chunk += stream.readline(MAX_LINE_BYTES)
        yield chunk
        del chunk  # see _read_file: not alive while the next one is read


# How far past a chunk's end :func:`_read_file` first looks for the end of the chunk's last line.
_PEEK_BYTES = 4096


def _read_file(fd: int, chunk_size: int) -> Iterator[bytes]:
    """The chunks :func:`_read` would give, read from a regular file without building any twice.

    ``_read`` completes a chunk with ``chunk += readline()``, a second multi-megabyte allocation and copy per
    chunk (~10% of a whole analysis). Here the end of the chunk's last line is found first, with a small read
    past the chunk, and the chunk is then read once at its final size.
    """
    offset = 0
    while True:
        extra = _rest_of_line(fd, offset + chunk_size)
        chunk = os.pread(fd, chunk_size + extra, offset)
        if not chunk:
            return
        offset += len(chunk)
        yield chunk
        # Not alive while the next chunk is read: the allocator then reuses its memory, where two chunks alive
        # at once make it take fresh pages for every other chunk (page faults: ~10% of an analysis).
        del chunk


def _rest_of_line(fd: int, offset: int) -> int:
    """Bytes from ``offset`` to the end of the line that the byte before ``offset`` is on (what
    ``readline(MAX_LINE_BYTES)`` would return after a chunk ending just before ``offset``)."""
    if offset <= 0 or os.pread(fd, 1, offset - 1) in (b"\n", b""):
        return 0
    size = _PEEK_BYTES
    while True:
        ahead = os.pread(fd, min(size, MAX_LINE_BYTES), offset)
        end = ahead.find(b"\n")
        if end >= 0:
            return end + 1
        if len(ahead) < size or size >= MAX_LINE_BYTES:
            return len(ahead)  # the end of the file, or a line cut at MAX_LINE_BYTES like readline does
        size *= 16
