"""The answer a user reads: the model's words cleaned of what only the loop's guards and the model's template say.

Small models echo what the loop told them ("Already done in this task, not repeated: ...", "(The same call was
already made ...)"), repeat a paragraph or a tool result twice, and leak template tokens. :func:`clean_answer`
removes all of that; code blocks (a Jenkinsfile) pass through untouched. They also tell the user to call the
loop's own tools ("you can use the `generate_jenkinsfile` function with the following parameters:"), which no
user can: :func:`without_tool_talk` removes those sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from worker.agents import fences
from worker.agents.textcalls import strip_template_tokens

#: How the loop's guards start the texts they give the model instead of a tool's result: never facts for the user.
GUARD_PREFIXES = (
    "NOT DONE:",
    "Already done in this task, not repeated:",
    "(The same call was already made in this task",
    "Error: this task reached its limit",
)
_GUARD_NOTE = re.compile(
    r"^[ \t]*\(The same call was already made in this task; its result again:\)[ \t]*\n?", re.M
)
_GUARD_PREFIX = re.compile(r"^([ \t]*)(?:Already done in this task, not repeated:|NOT DONE:)[ \t]*", re.M)
_SENTENCE = re.compile(r"(?<=[.!?])[ \t]+(?=\S)")


def _key(text: str) -> str:
    return " ".join(text.split()).lower()


def _dedupe_sentences(paragraph: str) -> str:
    """A paragraph without a sentence repeated right after itself ("It failed. It failed. It failed.")."""
    out: list[str] = []
    for line in paragraph.split("\n"):
        sentences: list[str] = []
        for sentence in _SENTENCE.split(line):
            if sentences and _key(sentence) == _key(sentences[-1]):
                continue
            sentences.append(sentence)
        out.append(" ".join(sentences))
    return "\n".join(out)


def _prose_paragraphs(text: str, seen: set[str]) -> list[str]:
    kept: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        paragraph = _dedupe_sentences(paragraph.strip("\n"))
        key = _key(paragraph)
        if not key or key in seen:
            continue
        seen.add(key)
        kept.append(paragraph.rstrip())
    return kept


def clean_answer(text: str) -> str:
    """``text`` without template tokens, guard notes and repeated paragraphs or sentences."""
    text = strip_template_tokens(text)
    text = _GUARD_NOTE.sub("", text)
    text = _GUARD_PREFIX.sub(r"\1", text)
    seen: set[str] = set()
    parts: list[str] = []
    for piece, is_code in fences.pieces(text):
        if not is_code:
            parts += _prose_paragraphs(piece, seen)
        elif _key(piece) not in seen:  # the same code block twice is a repeat too
            seen.add(_key(piece))
            parts.append(piece.strip("\n"))
    return "\n\n".join(parts).strip()


def without_tool_talk(text: str, tool_names: Iterable[str]) -> tuple[str, int]:
    """``text`` without the prose sentences that name one of the loop's tools, and how many went.

    A name counts only where it is written as an identifier: a snake_case name anywhere, any name in backticks or
    called with ``(`` — so "I would rebuild api-service #42" stays while "call `rebuild`" goes. Code blocks pass
    untouched (a Jenkinsfile never names our tools, and a user's quoted text is theirs).
    """
    names = sorted(set(tool_names), key=len, reverse=True)
    if not names:
        return text, 0
    spelled = "|".join(re.escape(name) for name in names)
    snake = "|".join(re.escape(name) for name in names if "_" in name)
    pattern = rf"`(?:{spelled})`|\b(?:{spelled})\("
    if snake:
        pattern += rf"|\b(?:{snake})\b"
    named = re.compile(pattern)
    removed = 0

    def prose(part: str) -> str:
        nonlocal removed
        lines: list[str] = []
        for line in part.split("\n"):
            sentences = _SENTENCE.split(line)
            kept = [sentence for sentence in sentences if not named.search(sentence)]
            removed += len(sentences) - len(kept)
            if kept or not line.strip():
                lines.append(" ".join(kept))
        return "\n".join(lines)

    cleaned = "".join(piece if is_code else prose(piece) for piece, is_code in fences.pieces(text))
    return cleaned, removed


def evidence(results: Iterable[str], limit: int = 3000) -> str:
    """What the tools of a task found, for the user: each result once, guard texts left out, cut at a line."""
    kept: list[str] = []
    for result in results:
        if result.startswith(GUARD_PREFIXES) or result in kept:
            continue
        kept.append(result)
    joined = "\n\n".join(kept)
    if len(joined) <= limit:
        return joined
    cut = joined[:limit]
    return cut[: cut.rfind("\n")] if "\n" in cut else cut
