"""The typed results of a task: the routing decision and what the specialist did."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from worker.confirmations import Confirmation, PlannedAction

AgentName = Literal["build", "log", "pipeline", "plugin"]
AGENT_NAMES: tuple[AgentName, ...] = ("build", "log", "pipeline", "plugin")

__all__ = [
    "AGENT_NAMES",
    "AgentName",
    "Confirmation",
    "PlannedAction",
    "RoutingDecision",
    "TaskResult",
    "Usage",
]


class RoutingDecision(BaseModel):
    """Which specialist handles a task, how sure the router is, and why."""

    agent: AgentName
    confidence: float = Field(ge=0.0, le=1.0)
    reason: str
    method: Literal["context", "offline", "llm"]
    # Offline router: the similarity-based probability of every agent, for inspection and tuning.
    scores: dict[str, float] = Field(default_factory=dict)
    # Set when the model was asked to route and its answer was not used: why (timeout, unusable reply, ...).
    fallback: str | None = None
    # Wall time of the routing decision, model call included.
    seconds: float | None = None


class Usage(BaseModel):
    """LLM usage of one task (routing + specialist loop). All zero when no LLM ran."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
            llm_calls=self.llm_calls + other.llm_calls,
        )


class TaskResult(BaseModel):
    """What ``run_task`` returns and ``agents.handle_task`` stores (``model_dump(mode="json")``)."""

    agent: AgentName
    confidence: float = Field(ge=0.0, le=1.0)
    answer: str
    # Every Jenkins-changing step, done or only described: {"action", "target", "done", "detail", ...}.
    actions: list[dict[str, Any]] = Field(default_factory=list)
    # Machine-readable results: "jenkinsfile", "analysis", "plugins", "lint", ...
    artifacts: dict[str, Any] = Field(default_factory=dict)
    routing: RoutingDecision
    usage: Usage = Field(default_factory=Usage)
    mode: Literal["offline", "llm"] = "offline"
    handoffs: list[str] = Field(default_factory=list)
    # "needs_confirmation": the task would change Jenkins; nothing was changed. ``plan`` holds the exact actions
    # and ``confirmation`` the single-use token that runs them (worker.agents.confirmation).
    status: Literal["done", "needs_confirmation"] = "done"
    plan: list[PlannedAction] = Field(default_factory=list)
    confirmation: Confirmation | None = None
    # What happened behind the answer, for operators and logs (a model reply that could not be used, statements
    # removed for want of evidence, a budget that stopped the loop); the answer itself holds only clean words.
    notes: list[str] = Field(default_factory=list)
