"""Checks that the facts in a model's answer come from this task's evidence.

The facts a model can invent and a user would act on are build numbers (``#42``), log line numbers
(``line 31``), plugin versions (``4.1.2``) and advisory ids (``SECURITY-1234``, ``CVE-2024-1234``). A sentence
of the answer that states such a fact found neither in the tool results of this task nor in the user's own
request is dropped (the task's notes say how many were). Code blocks (a Jenkinsfile) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from worker.agents import fences

_FACT = re.compile(
    r"#(?P<build>\d+)"
    r"|\b(?:build|run)\s+(?:number\s+)?(?P<build2>\d+)\b"
    r"|\blines?\s+(?P<line>\d+)(?:\s*(?:-|\u2013|to|and)\s*(?P<line2>\d+))?"
    r"|\b(?P<advisory>(?:SECURITY|CVE)-\d+(?:-\d+)?)\b"
    r"|(?<![\w.])(?P<version>\d+\.\d+(?:\.\d+)+)(?!\w|\.\d)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'`*-])|\n+")

NO_EVIDENCE = "No tool gave evidence for this answer in this task; it is not checked against Jenkins."


def facts(text: str) -> list[str]:
    """The checkable facts of ``text`` outside code blocks, as strings ("42", "31", "SECURITY-1234", "4.1.2")."""
    found: list[str] = []
    for match in _FACT.finditer(fences.prose_only(text)):
        for group in ("build", "build2", "line", "line2", "advisory", "version"):
            value = match.group(group)
            if value:
                found.append(value.upper() if group == "advisory" else value)
    return found


def _numbers_in(sources: Iterable[str]) -> tuple[set[str], str]:
    joined = "\n".join(sources)
    return set(re.findall(r"\d+(?:\.\d+)*", joined)), joined.upper()


def supported(fact: str, numbers: set[str], upper_text: str) -> bool:
    if fact[:1].isalpha():
        return fact.upper() in upper_text
    if fact in numbers:
        return True
    # "line 31" is supported by an excerpt range "lines 28-35" that contains it.
    if fact.isdigit():
        value = int(fact)
        for low, high in re.findall(r"(\d+)\s*-\s*(\d+)", upper_text):
            if int(low) <= value <= int(high) and int(high) - int(low) <= 500:
                return True
    return False


def unsupported_facts(answer: str, sources: Iterable[str]) -> list[str]:
    numbers, upper_text = _numbers_in(sources)
    return [f for f in facts(answer) if not supported(f, numbers, upper_text)]


def ground(answer: str, sources: Iterable[str]) -> tuple[str, int]:
    """``answer`` without the sentences that state unsupported facts, and how many were dropped."""
    source_list = list(sources)
    numbers, upper_text = _numbers_in(source_list)
    kept: list[str] = []
    dropped = 0
    # Code blocks pass through whole; the prose around them is checked sentence by sentence.
    for text, is_code in fences.pieces(answer):
        if is_code:
            kept.append(text)
            continue
        out: list[str] = []
        last = 0
        for sep in _SENTENCE_END.finditer(text):
            out.append(text[last : sep.end()])
            last = sep.end()
        out.append(text[last:])
        for sentence in out:
            bad = [f for f in facts(sentence) if not supported(f, numbers, upper_text)]
            if bad:
                dropped += 1
                # Keep the line structure: a dropped sentence that ended a line still ends it.
                if sentence.endswith("\n"):
                    kept.append("\n")
                continue
            kept.append(sentence)
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip(), dropped


def dropped_note(dropped: int) -> str:
    """What :func:`ground` did, for the task's notes (not the answer: the user reads only what holds)."""
    return (
        f"{dropped} statement(s) removed from the model's answer: they named build numbers, line numbers, "
        "versions or advisories that no tool returned in this task"
    )
