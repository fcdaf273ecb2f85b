"""A short explanation of a failed build, grounded in the engine's excerpt and known causes.

Called by ``logs.analyze_build`` when an LLM is configured. The model sees only what the engine selected —
the top excerpt blocks, the matched causes, the failed stage and similar past failures — already redacted by the
engine and redacted and bounded again here; never the log. One call, capped by the task's token budget. Any
failure of the model leaves the analysis as it is (the deterministic result stands on its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from worker.agents.llm import model_name, redact_text, usage_of
from worker.logging import get_logger
from worker.metrics import LLM_FAILURES

log = get_logger(__name__)

SYSTEM_PROMPT = (
    "You are a Jenkins build-failure analyst. Using ONLY the evidence given (excerpt lines with their numbers, "
    "known causes, failed stage, similar past failures), explain in at most 4 sentences why the build failed "
    "and what to change to fix it. Cite line numbers. If the evidence is not enough, say what is missing. "
    "Do not invent file names, versions or commands that are not in the evidence."
)
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


def explain_failure(
    llm: BaseChatModel, analysis: Mapping[str, Any], *, token_budget: int
) -> dict[str, Any] | None:
    """Ask the model for an explanation; ``{"text", "model", "usage"}`` or ``None`` if the model failed."""
    messages = [SystemMessage(SYSTEM_PROMPT), HumanMessage(evidence_text(analysis))]
    try:
        reply = llm.bind(max_completion_tokens=min(400, token_budget)).invoke(messages)
    except Exception as exc:  # a model outage must not fail the analysis
        LLM_FAILURES.labels(stage="explanation").inc()
        log.warning("LLM explanation failed", error=str(exc))
        return None
    if not isinstance(reply, AIMessage) or not isinstance(reply.content, str) or not reply.content.strip():
        return None
    name = model_name(llm)
    return {
        "text": redact_text(reply.content.strip(), limit=2000),
        "model": name,
        "usage": usage_of([reply], name).model_dump(),
    }
