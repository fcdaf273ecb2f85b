"""A model adapts a generated Jenkinsfile to the request; only a draft that passes the checks is returned.

The template (:func:`worker.pipelines.generate_jenkinsfile`) is always valid: every stack x requirement passes
the linter and Groovy in the tests. A model may change it to fit what the template does not cover ("use the
rust:1.79 Docker agent", "also run cargo bench"). Its draft must pass :func:`check_jenkinsfile` (the project's
linter, then a Groovy compile-and-run); a failing draft gets one repair request listing the problems, and if
the repair fails too, or the model is unreachable, or Groovy is not installed (nothing could be checked), the
template is returned with a note saying why. A failing draft is never returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from worker.logging import get_logger
from worker.pipelines.generator import GeneratedPipeline
from worker.pipelines.groovy import GroovyUnavailable, groovy_errors
from worker.pipelines.linter import lint_jenkinsfile

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = get_logger(__name__)

# A Jenkinsfile longer than this is not an adaptation of a ~100-line template.
MAX_DRAFT_CHARS = 30_000
_FENCE = re.compile(r"```[ \t]*(?:groovy|jenkinsfile|Jenkinsfile)?[ \t]*\n(.*?)```", re.S)

SYSTEM_PROMPT = (
    "You adapt Jenkins declarative pipelines. You get a user's request and a Jenkinsfile generated for it "
    "that passes a linter. Change the Jenkinsfile only as far as the request needs, keep it a declarative "
    "pipeline (pipeline { agent ... stages { stage('...') { steps { ... } } } }), keep every secret inside "
    "withCredentials and single-quoted sh '...' steps, and keep the tools' commands unless the request asks "
    "otherwise. Reply with the whole Jenkinsfile in one ```groovy block and nothing else."
)

Source = Literal["template", "model", "model-repaired"]


@dataclass
class AdaptedPipeline:
    """The Jenkinsfile to return, where it came from, and why (when the model's draft was not used)."""

    jenkinsfile: str
    source: Source
    notes: list[str] = field(default_factory=list)


def check_jenkinsfile(source: str) -> list[str]:
    """The problems that keep ``source`` from being returned: linter errors, else Groovy's error; [] = ok.

    Raises :class:`GroovyUnavailable` when Groovy cannot run (the text is then unchecked, not ok).
    """
    if len(source) > MAX_DRAFT_CHARS:
        return [f"the Jenkinsfile is {len(source)} characters long, more than {MAX_DRAFT_CHARS}"]
    errors = [str(issue) for issue in lint_jenkinsfile(source).issues if issue.severity == "error"]
    if errors:
        return errors  # no JVM for a file the linter already rejects
    groovy = groovy_errors([source])[0]
    return [f"groovy: {_short(groovy)}"] if groovy else []


_GROOVY_AT = re.compile(r"Jenkinsfile: (\d+): (.*?) @ line \d+, column \d+\.")


def _short(error: str) -> str:
    """Groovy's compile error without the source excerpt it quotes: 'line 22: expecting ...'."""
    match = _GROOVY_AT.search(error)
    return f"line {match.group(1)}: {match.group(2)}" if match else error[:300]


def extract_jenkinsfile(reply: str) -> str | None:
    """The Jenkinsfile in a reply: the first fenced block, or the whole reply when it is a bare pipeline."""
    match = _FENCE.search(reply)
    text = match.group(1) if match else reply
    text = text.strip()
    return text + "\n" if re.search(r"\bpipeline\s*\{", text) else None


def _reply_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks: keep the text ones
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content if b)
    return str(content)


def adapt_jenkinsfile(generated: GeneratedPipeline, request: str, llm: BaseChatModel) -> AdaptedPipeline:
    """Ask ``llm`` to adapt ``generated`` to ``request``; return its draft only if it passes the checks."""
    from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

    from worker.analysis import redact

    template = generated.jenkinsfile
    messages: list[BaseMessage] = [
        SystemMessage(content=SYSTEM_PROMPT),
        HumanMessage(
            content=f"Request: {redact(request)[:2000]}\n\nGenerated Jenkinsfile:\n```groovy\n{template}```"
        ),
    ]
    problems: list[str] = []
    attempts: tuple[Source, Source] = ("model", "model-repaired")
    for attempt, source in enumerate(attempts):
        try:
            reply = _reply_text(llm.invoke(messages).content)
        except Exception as exc:  # any model failure: the template is the safe answer, never an error
            logger.warning("pipeline adaptation: the model failed", error=str(exc))
            return AdaptedPipeline(
                template,
                "template",
                [f"adaptation: the model failed ({type(exc).__name__}); returned the generated template"],
            )
        draft = extract_jenkinsfile(reply)
        try:
            problems = check_jenkinsfile(draft) if draft else ["the reply held no Jenkinsfile"]
        except GroovyUnavailable as exc:
            return AdaptedPipeline(
                template,
                "template",
                [
                    f"adaptation: the model's draft could not be checked ({exc}); returned the generated template"
                ],
            )
        if not problems and draft is not None:
            return AdaptedPipeline(draft, source)
        logger.info("pipeline adaptation: draft rejected", attempt=attempt + 1, problems=problems[:5])
        messages += [
            AIMessage(content=reply),
            HumanMessage(
                content="That Jenkinsfile fails these checks:\n"
                + "\n".join(f"- {p}" for p in problems[:10])
                + "\nReply with the whole corrected Jenkinsfile in one ```groovy block."
            ),
        ]
    return AdaptedPipeline(
        template,
        "template",
        [
            "adaptation: the model's draft failed the checks twice ("
            + "; ".join(problems[:3])
            + "); returned the generated template"
        ],
    )
