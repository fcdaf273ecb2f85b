"""Code fences in a model's answer: the checks and clean-ups of the prose leave code (a Jenkinsfile, a user's quoted
text) untouched, so each of them walks the answer as prose and code pieces, cut here once."""

from __future__ import annotations

import re

#: A fenced code block; an unclosed fence runs to the end of the text (a model cut off mid-block).
FENCED = re.compile(r"```.*?(?:```|$)", re.S)


def pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` as ``(piece, is_code)`` in order, joining back to ``text``: a prose piece (maybe empty) before
    each code block and one after the last."""
    out: list[tuple[str, bool]] = []
    position = 0
    for block in FENCED.finditer(text):
        out.append((text[position : block.start()], False))
        out.append((block.group(0), True))
        position = block.end()
    out.append((text[position:], False))
    return out


def prose_only(text: str) -> str:
    """``text`` with each code block replaced by a space."""
    return FENCED.sub(" ", text)
