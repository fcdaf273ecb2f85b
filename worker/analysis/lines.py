"""Random access to the lines of one block of a log, by line number, without splitting the block into lines.

The engine (:mod:`worker.analysis.engine`) reads only the few lines around evidence: a hit's block, its header
above and the lines that continue it; everything else in a block of a few megabytes stays bytes.
"""

from __future__ import annotations

import bisect

from worker.analysis import fastpath
from worker.analysis.reader import clean_line


def line_text(data: bytes, start: int) -> tuple[str, int]:
    """The cleaned text (:func:`reader.clean_line`) of the line of ``data`` starting at ``start``, and the
    offset of its end (its ``\\n``, or ``len(data)``). Most lines are a plain UTF-8 decode, done in C when the
    extension is built (:mod:`worker.analysis.fastpath`); the others are cleaned here."""
    compiled = fastpath.compiled
    if compiled is not None:
        text, end = compiled.line_text(data, start)
        return (text if text is not None else clean_line(data[start:end])), end
    end = data.find(b"\n", start)
    if end < 0:
        end = len(data)
    return clean_line(data[start:end]), end


def block_lines(data: bytes, first_line: int, last_line: int) -> BlockLines:
    """The lines of one block: the compiled :class:`BlockLines` when the extension is in use (same methods, same
    :attr:`BlockLines.texts`; :func:`growth.continue_block` then runs its loop in C too), else the class below."""
    compiled = fastpath.compiled
    if compiled is not None:
        made: BlockLines = compiled.BlockLines(data, first_line, last_line)
        return made
    return BlockLines(data, first_line, last_line)


class BlockLines:
    """Random access to the lines of one block by line number (pure Python; see :func:`block_lines`).

    Line starts are found from *anchors* (lines whose offset is known: the block's first and last line and every
    matched line), walking with ``find``/``rfind`` from the nearest one, so only the few lines around evidence
    are ever located; the bulk of the block is never split into lines.
    """

    def __init__(self, data: bytes, first_line: int, last_line: int) -> None:
        self.data = data
        self.first_line = first_line
        self.last_line = last_line
        self._lines = [first_line]
        self._offsets = [0]
        # Continuation rules read the lines after a hit one by one, often twice: the start of every line
        # located so far and the cleaned text of every line read are kept (a few per hit).
        self._known: dict[int, int] = {first_line: 0}
        #: The cleaned text of every line read so far, by number (read directly by the continuation loop).
        self.texts: dict[int, str] = {}
        if last_line > first_line:
            self.add_anchor(last_line, data.rfind(b"\n", 0, len(data) - 1) + 1)

    def add_anchor(self, line: int, offset: int) -> None:
        self._known[line] = offset
        i = bisect.bisect_left(self._lines, line)
        if i < len(self._lines) and self._lines[i] == line:
            return
        self._lines.insert(i, line)
        self._offsets.insert(i, offset)

    def offset_of(self, line: int) -> int:
        known = self._known.get(line)
        if known is not None:
            return known
        data = self.data
        i = bisect.bisect_right(self._lines, line) - 1
        below, off = self._lines[i], self._offsets[i]
        if below == line:
            return off
        if i + 1 < len(self._lines) and self._lines[i + 1] - line < line - below:
            above, off = self._lines[i + 1], self._offsets[i + 1]
            for _ in range(above - line):
                off = data.rfind(b"\n", 0, off - 1) + 1
        else:
            for _ in range(line - below):
                off = data.find(b"\n", off) + 1
                if off == 0:
                    return len(data)
        self.add_anchor(line, off)
        self._known[line] = off
        return off

    def line(self, number: int) -> str | None:
        """Cleaned text of line ``number`` (None outside this block)."""
        text = self.texts.get(number)
        if text is not None:
            return text
        if number < self.first_line or number > self.last_line:
            return None
        off = self._known.get(number)
        if off is None:
            off = self.offset_of(number)
        data = self.data
        if off >= len(data):
            return None
        compiled = fastpath.compiled
        if compiled is not None:  # line_text(), without its call: a few hundred thousand lines in a dense log
            text, end = compiled.line_text(data, off)
            if text is None:
                text = clean_line(data[off:end])
        else:
            text, end = line_text(data, off)
        self.texts[number] = text
        self._known[number + 1] = end + 1  # the next line starts there: reading on is a dict lookup
        return text

    def get(self, first: int, last: int) -> list[str]:
        """Cleaned text of lines ``first..last`` (clipped to this block)."""
        out: list[str] = []
        line = self.line
        for number in range(max(first, self.first_line), min(last, self.last_line) + 1):
            text = line(number)
            if text is None:
                break
            out.append(text)
        return out


if fastpath._compiled_module is not None:
    fastpath._compiled_module.set_clean_line(clean_line)  # for the lines that are not a plain decode
