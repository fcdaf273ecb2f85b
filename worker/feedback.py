"""People's verdicts on analyses, and knowledge-base candidates drawn from the confirmed ones (pure: no I/O).

A verdict is "right" or "wrong", optionally with the lines that really explain the failure (``"120-131, 140"``),
a corrected category and a comment. An analysis confirmed right, or corrected with the right lines, is a
candidate rule for the knowledge base: a pattern made from its evidence line, the category and the fix. A
person reviews and accepts candidates (``jenkins-ai kb suggest``); nothing is added on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from worker.analysis.models import CATEGORIES

Verdict = Literal["right", "wrong"]
MAX_RANGES = 20
MAX_LINE = 10**9
MAX_COMMENT = 2000
#: A pattern longer than this is cut: rules match the distinctive start of a line, not all of it.
MAX_PATTERN_CHARS = 120

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")
# Prefixes a console adds before the tool's own words: timestamps, [INFO]/[ERROR] tags, "> Task :x".
_PREFIX = re.compile(
    r"^(?:\[?\d{4}-\d\d-\d\d[T ][\d:.,]+Z?\]?\s*|\d\d:\d\d:\d\d(?:\.\d+)?\s+|\[[A-Z]+\]\s*)+"
)
_NUMBER = re.compile(r"\d+")


def parse_lines(text: str | Iterable[int] | None) -> list[tuple[int, int]]:
    """``"120-131, 140"`` (or a list of numbers) -> ``[(120, 131), (140, 140)]``; ``ValueError`` naming the
    rule otherwise."""
    if text is None or text == "":
        return []
    if not isinstance(text, str):
        numbers = list(text)
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            raise ValueError("must be line numbers (integers >= 1)")
        return parse_lines(", ".join(str(n) for n in numbers))
    ranges: list[tuple[int, int]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not a line number or a range such as 120-131")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 1 <= first <= last <= MAX_LINE:
            raise ValueError(f"{part.strip()!r}: lines start at 1 and a range goes upwards")
        ranges.append((first, last))
    if len(ranges) > MAX_RANGES:
        raise ValueError(f"at most {MAX_RANGES} ranges")
    return ranges


def format_lines(ranges: Iterable[Iterable[int]]) -> str:
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges)


def check_category(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value not in CATEGORIES:
        raise ValueError(f"must be one of {', '.join(CATEGORIES)}")
    return value


@dataclass(frozen=True)
class Candidate:
    """A knowledge-base entry a person may accept: written like the built-in rules (``worker/analysis/kb``)."""

    id: str
    category: str
    description: str
    fix: str
    pattern: str
    source: str  # which analysis it comes from (controller, job #build)

    def as_yaml(self) -> str:
        def q(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        return (
            f"  - id: {self.id}\n"
            f"    category: {self.category}\n"
            f"    description: {q(self.description)}\n"
            f"    fix: {q(self.fix)}\n"
            f"    patterns: [{q(self.pattern)}]\n"
            f"    # from {self.source}\n"
        )


def pattern_for(line: str) -> str | None:
    """A regex for lines like ``line``: console prefixes dropped, text escaped, numbers generalised."""
    text = _PREFIX.sub("", line).strip()
    if len(text) < 8:
        return None
    text = text[:MAX_PATTERN_CHARS]
    out: list[str] = []
    last = 0
    for match in _NUMBER.finditer(text):
        out.append(re.escape(text[last : match.start()]))
        out.append(r"\d+")
        last = match.end()
    out.append(re.escape(text[last:]))
    return "".join(out)


def candidate_from(analysis: Mapping[str, Any], feedback: Mapping[str, Any]) -> Candidate | None:
    """The rule a confirmed analysis suggests, or ``None`` when it offers no usable evidence line."""
    line = _evidence_line(analysis, feedback)
    pattern = pattern_for(line) if line else None
    if pattern is None:
        return None
    causes = analysis.get("causes") or []
    top = causes[0] if causes else {}
    category = feedback.get("category") or analysis.get("category") or "unknown"
    job = str(analysis.get("job", "job"))
    slug = re.sub(r"[^a-z0-9]+", "-", job.lower()).strip("-") or "job"
    return Candidate(
        id=f"local.{slug}-{analysis.get('build')}",
        category=str(category),
        description=str(top.get("description") or analysis.get("summary") or "Confirmed failure"),
        fix=str(feedback.get("comment") or top.get("fix") or "Describe the fix before accepting this rule."),
        pattern=pattern,
        source=f"{analysis.get('jenkins_url')} {job} #{analysis.get('build')}",
    )


def _evidence_line(analysis: Mapping[str, Any], feedback: Mapping[str, Any]) -> str | None:
    """The line people pointed at (first non-blank one), else the analysis' own first cause line or the first
    non-blank line of its first block."""
    lines = _numbered_lines(analysis)
    for first, last in feedback.get("lines") or []:
        for n in range(first, last + 1):
            if lines.get(n, "").strip():
                return lines[n]
    for cause in analysis.get("causes") or []:
        if lines.get(cause.get("line", 0), "").strip():
            return lines[cause["line"]]
    blocks = analysis.get("excerpt") or []
    if blocks:
        for text in str(blocks[0].get("text", "")).split("\n"):
            if text.strip():
                return text
    return None


def _numbered_lines(analysis: Mapping[str, Any]) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in analysis.get("excerpt") or []:
        for i, text in enumerate(str(block.get("text", "")).split("\n")):
            out[int(block.get("start_line", 1)) + i] = text
    return out
