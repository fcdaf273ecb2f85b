"""A short explanation of a failed build, grounded in the engine's excerpt and known causes.

Called by ``logs.analyze_build`` when an LLM is configured. The model sees only what the engine selected —
the top excerpt blocks, the matched causes, the failed stage and similar past failures — already redacted by the
engine and redacted and bounded again here; never the log. One call, capped by the task's token budget. Any
failure of the model leaves the analysis as it is (the deterministic result stands on its own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from worker.agents.llm import model_name, redact_text, usage_of
from worker.agents.textcalls import strip_template_tokens
from worker.logging import get_logger
from worker.metrics import LLM_FAILURES

log = get_logger(__name__)

SYSTEM_PROMPT = (
    "You are a Jenkins build-failure analyst. Using ONLY the evidence given (excerpt lines with their numbers, "
    "known causes, failed stage, similar past failures), explain in at most {sentences} sentences why the build "
    "failed. Cite excerpt line numbers as 'line N'. If the evidence is not enough, say what is missing. "
    "Do not propose fixes (the known fixes are added for you); do not invent file names, versions or commands."
)
#: Default of LLM_EXPLANATION_SENTENCES.
MAX_SENTENCES = 4
NO_KNOWN_FIX = "No known fix: no known cause matched this failure."
# A sentence that proposes a change: only the knowledge base's fixes may do that (they are added separately).
_PROPOSES_FIX = re.compile(
    r"\b(?:to (?:fix|resolve|solve)|fix (?:it|this|the)|you (?:should|can|could|need to|must|may)|"
    r"(?:we|one) should|try (?:to|running|using|adding)|consider|make sure|ensure that|"
    r"(?:upgrade|downgrade|install|pin|bump) (?:the|to|it|your))\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
#: Characters of evidence sent to the model: the excerpt and causes, not the log.
EVIDENCE_CHARS = 6000


def evidence_text(analysis: Mapping[str, Any], max_blocks: int = 3) -> str:
    """The grounded evidence for the model, built from a stored analysis document."""
    parts = [f"Category: {analysis.get('category', 'unknown')}", f"Summary: {analysis.get('summary', '')}"]
    stage = analysis.get("failed_stage") or {}
    if stage.get("name"):
        parts.append(
            f"Failed stage: {stage['name']}" + (f", step {stage['step']}" if stage.get("step") else "")
        )
    for cause in (analysis.get("causes") or [])[:5]:
        parts.append(
            f"Known cause {cause.get('id')} (line {cause.get('line')}): {cause.get('description')} "
            f"Fix hint: {cause.get('fix')}"
        )
    for similar in (analysis.get("similar") or [])[:3]:
        fix = f"; {similar['fix']}" if similar.get("fix") else ""
        parts.append(
            f"Similar past failure: {similar.get('job')} #{similar.get('build')} "
            f"(score {similar.get('score')}){fix}: {similar.get('summary')}"
        )
    for block in (analysis.get("excerpt") or [])[:max_blocks]:
        start = int(block.get("start_line", 1))
        numbered = "\n".join(
            f"{start + i}: {line}" for i, line in enumerate(str(block.get("text", "")).split("\n"))
        )
        parts.append(f"Excerpt lines {block.get('start_line')}-{block.get('end_line')}:\n{numbered}")
    return redact_text("\n".join(parts), limit=EVIDENCE_CHARS)


def excerpt_lines(analysis: Mapping[str, Any], max_blocks: int = 3) -> set[int]:
    """The line numbers of the excerpt the model was given (the only lines it may quote)."""
    lines: set[int] = set()
    for block in (analysis.get("excerpt") or [])[:max_blocks]:
        start = int(block.get("start_line", 1))
        lines.update(range(start, start + len(str(block.get("text", "")).split("\n"))))
    return lines


def known_fixes(analysis: Mapping[str, Any]) -> list[dict[str, str]]:
    """The fixes of the matched knowledge-base causes: the only fixes an explanation may propose."""
    return [
        {"cause": str(c.get("id")), "fix": str(c.get("fix"))}
        for c in (analysis.get("causes") or [])[:5]
        if c.get("fix")
    ]


def grounded_explanation(text: str, analysis: Mapping[str, Any], max_sentences: int) -> tuple[str, int]:
    """The model's text held to its rules: sentences citing lines outside the excerpt and sentences that
    propose fixes are dropped, then at most ``max_sentences`` are kept. Returns (text, sentences dropped)."""
    allowed = excerpt_lines(analysis)
    kept: list[str] = []
    dropped = 0
    for sentence in _SENTENCE.split(strip_template_tokens(text).replace("\n", " ").strip()):
        if not sentence:
            continue
        cited = [int(n) for n in _cited_lines(sentence)]
        if any(n not in allowed for n in cited) or _PROPOSES_FIX.search(sentence):
            dropped += 1
            continue
        kept.append(sentence)
    dropped += max(0, len(kept) - max_sentences)
    return " ".join(kept[:max_sentences]), dropped


def _cited_lines(sentence: str) -> list[str]:
    found: list[str] = []
    for match in re.finditer(r"\blines?\s+(\d+)(?:\s*(?:-|\u2013|to|and)\s*(\d+))?", sentence, re.IGNORECASE):
        found.extend(g for g in match.groups() if g)
    return found


def explain_failure(
    llm: BaseChatModel, analysis: Mapping[str, Any], *, token_budget: int, max_sentences: int = MAX_SENTENCES
) -> dict[str, Any] | None:
    """Ask the model for an explanation; ``None`` if the model failed or said nothing usable.

    Returns ``{"text", "fixes", "dropped", "model", "usage"}``: ``text`` is the model's explanation held to its
    rules (:func:`grounded_explanation`); ``fixes`` the matched causes' fixes, or ``[{"cause": None, "fix":
    "No known fix..."}]``; ``dropped`` how many sentences broke a rule.
    """
    messages = [
        SystemMessage(SYSTEM_PROMPT.format(sentences=max_sentences)),
        HumanMessage(evidence_text(analysis)),
    ]
    try:
        reply = llm.bind(max_completion_tokens=min(60 * max_sentences, token_budget)).invoke(messages)
    except Exception as exc:  # a model outage must not fail the analysis
        LLM_FAILURES.labels(stage="explanation").inc()
        log.warning("LLM explanation failed", error=str(exc))
        return None
    if not isinstance(reply, AIMessage) or not isinstance(reply.content, str) or not reply.content.strip():
        return None
    text, dropped = grounded_explanation(reply.content, analysis, max_sentences)
    if not text:
        return None
    name = model_name(llm)
    return {
        "text": redact_text(text, limit=2000),
        "fixes": known_fixes(analysis) or [{"cause": None, "fix": NO_KNOWN_FIX}],
        "dropped": dropped,
        "model": name,
        "usage": usage_of([reply], name).model_dump(),
    }
