"""The failure's category: from the known causes of the blocks a reader sees first, else from the words of the
first block.

A cause decides when one matched: the causes of the first block by weight, then the others in rank order
(:func:`verdict.cause_order` orders them). A wrapper's generic cause (Maven's "Failed to execute goal", Docker's
"failed to solve", "the build failed") names no category, so the inner step's cause decides. When no cause
names a category (a toolchain the rules do not know), the first block's own words decide: the knowledge base's
*category hints* (signals with a ``category`` and no weight: "assert", "compil", "lint", "could not resolve",
"timed out"...), counted over the block's lines; the category with the most hinted lines wins, the earliest
first on a tie.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from worker.analysis.kb import KnowledgeBase
from worker.analysis.models import Category, Cause
from worker.analysis.reader import strip_prefix

# A line a tool prints at the warning level, in the forms the tools document: Maven "[WARNING]", sbt "[warn]",
# GitHub Actions "::warning" / "##[warning]", gcc/clang/rustc/swiftc "file:12:3: warning:", rustc/cargo/git
# "warning: ...", npm "npm WARN" / "npm warn", Go's log "WARN", Python's warnings "UserWarning: ...",
# MSBuild "warning CS0168:".
_WARNING_LEVEL = re.compile(
    r"^\s*(?:\[(?:warn|warning|WARN|WARNING)\]|(?:warning|Warning|WARNING|WARN)(?:\[\w+\])?:|::warning\b"
    r"|##\[warning\]|npm (?:WARN|warn)\b|\S+:\d+(?::\d+)?:? warning\b|WARN\s|\w*Warning: )"
    r"|\bwarning (?:CS|MSB|NU|TS|C)\d{4}\b"
)


def is_warning(text: str) -> bool:
    """Whether ``text`` is a line its tool printed at the warning level (see :data:`_WARNING_LEVEL`)."""
    return _WARNING_LEVEL.search(text) is not None or _WARNING_LEVEL.search(strip_prefix(text)) is not None


def decide(kb: KnowledgeBase, causes: Sequence[Cause], first_block: Sequence[str]) -> Category:
    """The category of the failure (see the module)."""
    for cause in causes:
        if cause.category != "unknown":
            return cause.category
    return hinted(kb, first_block)


def hinted(kb: KnowledgeBase, lines: Sequence[str]) -> Category:
    """The category the words of ``lines`` hint at most (``unknown`` when none does)."""
    if not lines:
        return "unknown"
    counts: dict[str, list[int]] = {}  # category -> [hinted lines, -first line]
    seen: set[tuple[int, str]] = set()
    joined = "\n".join(lines).encode("utf-8", "replace")
    warned = {i for i, text in enumerate(lines) if is_warning(text)}
    for index, pattern in kb.scan_lines(joined):
        category = kb.patterns[pattern].category
        if category and index not in warned and (index, category) not in seen:
            seen.add((index, category))
            entry = counts.setdefault(category, [0, -index])
            entry[0] += 1
    if not counts:
        return "unknown"
    return cast(Category, max(counts, key=lambda c: (counts[c][0], counts[c][1])))
