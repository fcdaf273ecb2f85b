"""Comparison with the last green build's log: lines that appear there too (after normalisation) are noise."""

from __future__ import annotations

import re
from collections.abc import Iterable

from worker.analysis.kb import build_scanner
from worker.analysis.reader import clean_line, iter_blocks, strip_ansi
from worker.analysis.similarity import normalize_line


def wanted_lines(text_lines: Iterable[str]) -> set[bytes]:
    return {normalize_line(t).encode("utf-8") for t in text_lines if t.strip()}


# Words this long are rare enough in a log to make good anchors; shorter ones ("INFO") are everywhere.
_ANCHOR_WORD = re.compile(r"[A-Za-z_]{7,}")


def seen_in_previous(previous: Iterable[bytes], wanted: set[bytes]) -> set[bytes]:
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


def unseen_lines(start: int, lines: list[str], seen: set[bytes]) -> list[int]:
    """Line numbers of ``lines`` (from ``start``) not found in the green log. Only lines the lookup can find
    count: one without a long word (``[INFO]``, a row of dashes) is never looked up, so it is not called new."""
    return [
        start + i
        for i, line in enumerate(lines)
        if _ANCHOR_WORD.search(line) and normalize_line(line).encode("utf-8") not in seen
    ]
