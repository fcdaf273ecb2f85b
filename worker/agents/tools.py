"""What every specialist's tools share: the per-task context, error handling and the ``Specialist`` shape.

A tool is a typed LangChain ``StructuredTool`` (a pydantic ``args_schema`` whose field descriptions are the
prompt). Its function closes over a :class:`ToolContext`, which holds the injected services, whether the user
confirmed destructive actions, and the ``actions``/``artifacts`` the task result reports. The LLM loop and the
offline core call the very same tool objects: the LLM through the agent graph, the offline core through
:meth:`ToolContext.call`.

Tools raise :class:`ToolError` (or a ``JenkinsError``) for expected failures; :func:`tool_error_text` turns
them into the text the model (or the offline answer) receives, so a failing call never crashes the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool
from pydantic import ValidationError

from worker.agents.llm import redact_text
from worker.agents.models import AgentName
from worker.agents.services import AgentServices

if TYPE_CHECKING:
    from worker.jenkins import JenkinsClient


def is_confirmed(context: dict[str, Any]) -> bool:
    """True only for an explicit ``confirm: true`` (bool or "true"/"yes"/"1", as ``--context`` sends it).

    The model cannot set it: it is not a tool argument, so a destructive action needs the user's own word.
    """
    value = context.get("confirm")
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1"}
    return value is True


class ToolError(Exception):
    """An expected failure, explained in words for the model and the user."""


@dataclass
class ToolContext:
    """State of one task, shared by the tools of the specialist that handles it."""

    services: AgentServices
    context: dict[str, Any]
    actions: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)
    handoff: tuple[AgentName, str] | None = None
    tools: dict[str, BaseTool] = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        """Whether the user confirmed destructive actions (see :func:`is_confirmed`)."""
        return is_confirmed(self.context)

    def jenkins(self) -> JenkinsClient:
        if self.services.jenkins is None:
            raise ToolError("Jenkins is not configured for this worker (set JENKINS_URL).")
        return self.services.jenkins

    def record(self, action: str, target: str, *, done: bool, detail: str, **extra: Any) -> None:
        """Remember a Jenkins-changing action, done or only described (awaiting confirmation)."""
        self.actions.append({"action": action, "target": target, "done": done, "detail": detail, **extra})

    def call(self, name: str, /, **arguments: Any) -> tuple[bool, str]:
        """Run a tool as the agent loop would: (ok, text); expected errors come back as text."""
        self.services.report("tool", tool=name)
        try:
            return True, str(self.tools[name].invoke(arguments))
        except Exception as exc:
            text = tool_error_text(exc)
            if text is None:
                raise
            return False, text


def tool_error_text(exc: Exception) -> str | None:
    """The text an expected tool failure becomes; ``None`` for programming errors (those propagate)."""
    from worker.jenkins import JenkinsAuthError, JenkinsError, JenkinsNotFound, JenkinsUnavailable

    if isinstance(exc, ToolError):
        return f"Error: {exc}"
    if isinstance(exc, JenkinsNotFound):
        return f"Error: Jenkins has no such job, build or plugin ({redact_text(str(exc), 300)})."
    if isinstance(exc, JenkinsAuthError):
        return "Error: Jenkins refused the credentials or the permission for this call."
    if isinstance(exc, JenkinsUnavailable):
        return f"Error: Jenkins is unreachable right now ({redact_text(str(exc), 300)})."
    if isinstance(exc, JenkinsError):
        return f"Error: Jenkins: {redact_text(str(exc), 500)}"
    if isinstance(exc, ValidationError | ValueError):
        return f"Error: invalid arguments: {redact_text(str(exc), 500)}"
    return None


def bound(text: str, limit: int = 4000) -> str:
    """Redacted, length-bounded tool output."""
    return redact_text(text, limit)


@dataclass(frozen=True)
class Specialist:
    """One of the four agents: its prompt, its tools and its deterministic (no-LLM) core."""

    name: AgentName
    description: str
    system_prompt: str
    make_tools: Callable[[ToolContext], list[BaseTool]]
    offline: Callable[[ToolContext, str], str]
