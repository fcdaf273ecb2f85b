"""Typed results of the analysis engine (what is stored, returned by the API and printed by the CLI)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

Category = Literal[
    "compilation",
    "test",
    "lint",
    "dependency",
    "infrastructure",
    "timeout",
    "out_of_memory",
    "configuration",
    "unknown",
]

#: Every category, in the order the CLI documents them.
CATEGORIES: tuple[str, ...] = get_args(Category)


class ExcerptBlock(BaseModel):
    """A contiguous run of log lines that explains (part of) the failure."""

    start_line: int = Field(ge=1, description="first line, 1-based, counting '\\n'")
    end_line: int = Field(ge=1, description="last line, inclusive")
    text: str = Field(description="the lines, cleaned (no ANSI, no CR) and redacted, joined by '\\n'")
    score: float


class Cause(BaseModel):
    """A known failure cause from the knowledge base that matched the log."""

    id: str
    category: Category
    description: str
    fix: str
    line: int = Field(ge=1, description="first line where the cause matched")


class Stats(BaseModel):
    """How much was read and how long it took."""

    lines: int
    bytes: int
    seconds: float


class Analysis(BaseModel):
    """The result of analysing one console log. Everything in it is already redacted."""

    category: Category
    summary: str
    excerpt: list[ExcerptBlock]
    causes: list[Cause]
    fingerprint: str
    stats: Stats

    def signature_text(self, blocks: int = 2) -> str:
        """Normalised text of the top blocks (numbers, ids, paths, times masked), for :func:`text_vector`."""
        from worker.analysis.similarity import normalize_line

        lines: list[str] = [f"cause:{c.id}" for c in self.causes[:3]]
        for block in self.excerpt[:blocks]:
            lines.extend(normalize_line(line) for line in block.text.split("\n") if line.strip())
        return "\n".join(lines)
