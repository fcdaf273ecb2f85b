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

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import ValidationError

from worker.agents.llm import redact_text
from worker.agents.models import AgentName, PlannedAction
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


#: The API token scope (``api.auth.SCOPES``) each Jenkins-changing tool needs; a tool not named here only reads
#: and is covered by the ``analyze`` scope that ``POST /api/v1/tasks`` itself needs.
TOOL_SCOPES: dict[str, str] = {
    "trigger_build": "operate",
    "abort_build": "operate",
    "rebuild": "operate",
    "install_plugin": "admin",
    "create_pipeline_job": "admin",
}


def guard_tools(tools: list[BaseTool], scopes: frozenset[str] | None) -> list[BaseTool]:
    """``tools``, with each one the caller's token may not use (:data:`TOOL_SCOPES`) replaced by a twin that only
    answers why: the model still sees it, so it can tell the user which scope is missing instead of guessing.
    ``scopes`` is None for callers without a token (the CLI, tests): everything is allowed."""
    if scopes is None:
        return tools
    guarded: list[BaseTool] = []
    for tool in tools:
        needed = TOOL_SCOPES.get(tool.name)
        if needed is None or needed in scopes:
            guarded.append(tool)
            continue

        def refuse(*_: Any, _name: str = tool.name, _needed: str = needed, **__: Any) -> str:
            raise ToolError(
                f"the API token that sent this task lacks the '{_needed}' scope needed by {_name}; "
                f"ask for a token with --scope {_needed}"
            )

        guarded.append(
            StructuredTool.from_function(
                refuse, name=tool.name, description=tool.description, args_schema=tool.args_schema
            )
        )
    return guarded


@dataclass
class ToolContext:
    """State of one task, shared by the tools of the specialist that handles it."""

    services: AgentServices
    context: dict[str, Any]
    actions: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)
    handoff: tuple[AgentName, str] | None = None
    tools: dict[str, BaseTool] = field(default_factory=dict)
    #: The specialist whose tools are running (set by the supervisor).
    agent: AgentName = "build"
    #: Jenkins-changing calls held back for the user's confirmation (see ``worker.agents.confirmation``).
    plan: list[PlannedAction] = field(default_factory=list)
    #: Jenkins-changing calls done in this task: :func:`once_key` -> what the tool answered (at most once each).
    done: dict[str, str] = field(default_factory=dict)
    #: The :func:`once_key` of every action in :attr:`plan`.
    planned: set[str] = field(default_factory=set)

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

    def gate(
        self, tool: str, arguments: dict[str, Any], sentence: str, *, action: str, target: str, **extra: Any
    ) -> str | None:
        """The one check before a tool changes Jenkins: ``None`` means go ahead (confirmed, first time).

        Otherwise the text the tool returns instead of acting: the first result again when this tool already
        changed ``target`` in this task (never twice, however the model spells the arguments the second time:
        a real model asked to rebuild with a parameter calls once with it and once without), or — without
        confirmation — the planned action, recorded in :attr:`plan` for the confirmation token (one per tool
        and target). ``arguments`` must be the tool's normalized arguments: they are what a confirmation runs.
        """
        key = once_key(tool, target)
        if key in self.done:
            return f"Already done in this task, not repeated: {self.done[key]}"
        if self.confirmed:
            return None
        if key not in self.planned:
            self.planned.add(key)
            self.plan.append(
                PlannedAction(agent=self.agent, tool=tool, arguments=arguments, sentence=sentence)
            )
            self.record(action, target, done=False, detail="needs confirmation", **extra)
        return (
            f"NOT DONE: this changes Jenkins and needs the user's confirmation. Planned: {sentence}. "
            "The user receives a confirmation token with your answer. Tell them in one sentence what would be "
            f"done; do not call {tool} again."
        )

    def gate_done(self, tool: str, target: str) -> str | None:
        """The first result when this tool already changed ``target`` in this task (checked before any Jenkins
        read)."""
        text = self.done.get(once_key(tool, target))
        return None if text is None else f"Already done in this task, not repeated: {text}"

    def did(self, tool: str, target: str, text: str) -> str:
        """Remember that a Jenkins-changing call ran on ``target`` (see :meth:`gate`); returns ``text``."""
        self.done[once_key(tool, target)] = text
        return text

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


def once_key(tool: str, target: str) -> str:
    """What a Jenkins-changing tool may do once per task: this tool on this target (a job, a build, a plugin)."""
    return f"{tool}\x00{target}"


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


#: Read-only tool calls a request plainly needs, as (tool name, arguments).
Prefetch = list[tuple[str, dict[str, Any]]]


def no_prefetch(ctx: ToolContext, text: str) -> Prefetch:
    return []


def answer_as_is(ctx: ToolContext, answer: str) -> str:
    return answer


@dataclass(frozen=True)
class Specialist:
    """One of the four agents: its prompt, its tools and its deterministic (no-LLM) core.

    With a model, ``prefetch`` names the read-only calls the request plainly needs (the analysis of the build
    it names, the Jenkinsfile for the stack it names): they run before the model's first turn, so a small
    model that would describe a call instead of making it still answers from evidence. ``finish`` shapes the
    model's final words into the answer (the pipeline specialist attaches the checked Jenkinsfile).
    """

    name: AgentName
    description: str
    system_prompt: str
    make_tools: Callable[[ToolContext], list[BaseTool]]
    offline: Callable[[ToolContext, str], str]
    prefetch: Callable[[ToolContext, str], Prefetch] = no_prefetch
    finish: Callable[[ToolContext, str], str] = answer_as_is
