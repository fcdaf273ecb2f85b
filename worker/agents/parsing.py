"""Deterministic parsing of a task in plain words: what the offline specialists understand without an LLM.

It extracts job names ("api-service", "team/api-service", 'orders'), build numbers ("#42", "build 42",
"api-service 42"), "last build", ``KEY=VALUE`` parameters, plugin names and the project type and requirements
of a pipeline request. Values in the task context (``job``, ``build``, ``parameters``, ``plugin``) win over
what is parsed from the text, so a caller that knows them never depends on the parser.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

_JOB_CHARS = r"[A-Za-z0-9][A-Za-z0-9_.\-/]*[A-Za-z0-9_]|[A-Za-z0-9]"
# Words that look like job names in the patterns below but are part of the sentence.
_NOT_JOBS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "it",
        "its",
        "my",
        "our",
        "your",
        "their",
        "last",
        "latest",
        "previous",
        "current",
        "recent",
        "next",
        "first",
        "failed",
        "failing",
        "broken",
        "red",
        "green",
        "build",
        "builds",
        "job",
        "jobs",
        "run",
        "runs",
        "pipeline",
        "pipelines",
        "project",
        "service",
        "app",
        "application",
        "plugin",
        "plugins",
        "jenkins",
        "and",
        "or",
        "with",
        "without",
        "for",
        "of",
        "on",
        "in",
        "at",
        "to",
        "from",
        "by",
        "why",
        "what",
        "which",
        "how",
        "when",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "rebuild",
        "retry",
        "rerun",
        "re-run",
        "trigger",
        "start",
        "stop",
        "abort",
        "cancel",
        "kill",
        "wait",
        "status",
        "queue",
        "log",
        "logs",
        "console",
        "error",
        "errors",
        "failure",
        "failures",
        "fail",
        "test",
        "tests",
        "please",
        "me",
        "us",
        "now",
        "again",
        "it's",
        "same",
        "branch",
        "nightly",
    ]
)
_PARAM = re.compile(r"""(?<![\w.-])([A-Za-z_][A-Za-z0-9_.]*)=("[^"]*"|'[^']*'|[^\s,;]*)""")
_HASH_REF = re.compile(rf"(?P<job>{_JOB_CHARS})?\s*#(?P<num>\d+)")
_BUILD_OF = re.compile(
    rf"\b(?:build|run)\s+#?(?P<num>\d+)\s+(?:of|for|on|in)\s+(?:the\s+)?(?:job\s+)?['\"]?(?P<job>{_JOB_CHARS})"
)
_JOB_NUM = re.compile(rf"(?P<job>{_JOB_CHARS})\s+(?:build\s+)?#?(?P<num>\d+)\b")
_QUOTED = re.compile(rf"""['"`](?P<job>{_JOB_CHARS})['"`]""")
_PREP_JOB = re.compile(
    # Not "in": "in plain words", "in the log" name no job far more often than "in api-service" does.
    rf"\b(?:of|for|job|on|named|called)\s+(?:the\s+)?(?:job\s+)?(?P<job>{_JOB_CHARS})",
    re.IGNORECASE,
)
_BUILD_NUM = re.compile(r"\b(?:build|run|number|no\.?)\s+#?(\d+)\b", re.IGNORECASE)
_LAST = re.compile(r"\b(?:last|latest|most recent|previous|current(?:ly)?)\b", re.IGNORECASE)


@dataclass
class ParsedRequest:
    """What the offline parser found in a task (``None`` = not mentioned)."""

    text: str
    job: str | None = None
    build: int | None = None
    last_build: bool = False
    parameters: dict[str, str] = field(default_factory=dict)


def _is_job(candidate: str | None) -> bool:
    if not candidate:
        return False
    name = candidate.strip("'\"`").rstrip(".,;:?!")
    if name.lower() in _NOT_JOBS or name.isdigit() or "=" in name:
        return False
    return not name.lower().endswith((".groovy",))


def _clean(job: str) -> str:
    return job.strip("'\"`").rstrip(".,;:?!/")


def parse_parameters(text: str) -> dict[str, str]:
    """``KEY=VALUE`` pairs in ``text`` (values may be quoted); keys keep their case."""
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(text):
        value = raw
        if raw[:1] in {"'", '"'}:
            value = shlex.split(raw)[0] if raw.count(raw[0]) == 2 else raw.strip("'\"")
        params[key] = value
    return params


def _strip_parameters(text: str) -> str:
    return _PARAM.sub(" ", text)


def parse_request(text: str, context: dict[str, Any] | None = None) -> ParsedRequest:
    """Parse a task; explicit context values override the text."""
    context = context or {}
    parsed = ParsedRequest(text=text, parameters=parse_parameters(text))
    body = _strip_parameters(text)

    job: str | None = None
    build: int | None = None
    for pattern in (_BUILD_OF, _HASH_REF, _JOB_NUM):
        for match in pattern.finditer(body):
            candidate = match.group("job")
            if _is_job(candidate):
                job, build = _clean(candidate), int(match.group("num"))
                break
            if build is None and pattern is _HASH_REF:
                build = int(match.group("num"))
        if job:
            break
    if job is None:
        for pattern in (_QUOTED, _PREP_JOB):
            names = [_clean(m.group("job")) for m in pattern.finditer(body) if _is_job(m.group("job"))]
            # Prefer names that look like job names (a separator or a folder path) over plain words.
            names.sort(key=lambda n: 0 if re.search(r"[-_/.]", n) else 1)
            if names:
                job = names[0]
                break
    if job is None:
        # A lone token with a separator ("rebuild api-service") is almost always the job.
        for token in re.findall(_JOB_CHARS, body):
            if re.search(r"[-_/]", token) and _is_job(token) and not token.lower().startswith(("re-", "e2e")):
                job = _clean(token)
                break
    if build is None:
        number = _BUILD_NUM.search(body)
        if number:
            build = int(number.group(1))

    parsed.job = str(context["job"]) if context.get("job") else job
    if context.get("build") is not None:
        try:
            build = int(context["build"])
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"context.build: must be an integer build number, got {context['build']!r}"
            ) from exc
    parsed.build = build
    parsed.last_build = build is None and bool(_LAST.search(body))
    extra = context.get("parameters")
    if isinstance(extra, dict):
        parsed.parameters.update({str(k): str(v) for k, v in extra.items()})
    return parsed
