"""The supervisor: route a task, run the specialist (LLM loop or deterministic core), collect the result."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ToolErrorMiddleware
from langchain.agents.middleware.types import ToolCallRequest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.types import Command
from pydantic import BaseModel, Field

from worker.agents import build, log, pipeline, plugin
from worker.agents.llm import (
    RedactionMiddleware,
    TokenBudgetMiddleware,
    model_name,
    redact_text,
    usage_of,
)
from worker.agents.models import AGENT_NAMES, AgentName, RoutingDecision, TaskResult, Usage
from worker.agents.router import default_router, route, route_with_llm
from worker.agents.services import AgentServices
from worker.agents.tools import (
    Specialist,
    ToolContext,
    ToolError,
    guard_tools,
    is_confirmed,
    tool_error_text,
)
from worker.logging import get_logger
from worker.metrics import LLM_FAILURES

logger = get_logger(__name__)

SPECIALISTS: dict[AgentName, Specialist] = {
    s.name: s for s in (build.SPECIALIST, log.SPECIALIST, pipeline.SPECIALIST, plugin.SPECIALIST)
}
MAX_HANDOFFS = 2
# Below this offline-router probability the answer says the routing was a guess (4 agents: chance is 0.25).
UNSURE_CONFIDENCE = 0.45
# Model calls + tool calls per specialist run; a loop that needs more is stuck, not thorough.
RECURSION_LIMIT = 24
# Context keys passed to the model verbatim (bounded and redacted); anything else is only named.
_CONTEXT_FOR_MODEL = ("job", "build", "parameters", "plugin", "name", "jenkinsfile")


def run_task(
    text: str, context: dict[str, Any] | None = None, *, services: AgentServices, llm: BaseChatModel | None
) -> TaskResult:
    """Route ``text`` to a specialist and let it do the work; never raises for an expected failure.

    With ``llm`` the model routes and runs the specialist's tool loop (falling back to the offline core if
    the LLM server fails); without it the offline router and the deterministic core answer.
    """
    if not text or not text.strip():
        raise ValueError("task: must not be blank")
    context = dict(context or {})
    usage = Usage()
    services.report("routing")
    decision: RoutingDecision | None = None
    notes: list[str] = []
    if llm is not None and "agent" not in context:
        try:
            decision, raw = route_with_llm(text, llm)
            usage = usage.add(usage_of([raw], model_name(llm)))
        except Exception as exc:  # an unreachable LLM must not lose the task: route offline instead
            if not _is_llm_failure(exc):
                raise
            LLM_FAILURES.labels(stage="routing").inc()
            logger.warning("llm routing failed, routing offline", error=str(exc))
            notes.append(f"The LLM server failed ({type(exc).__name__}); this answer was made without it.")
            llm = None
    if decision is None:
        decision = route(text, context)
    services.report("routed", agent=decision.agent, confidence=decision.confidence, method=decision.method)

    agent: AgentName = decision.agent
    ctx = ToolContext(services=services, context=context)
    handoffs: list[str] = []
    answer = ""
    mode: Literal["offline", "llm"] = "offline"
    while True:
        specialist = SPECIALISTS[agent]
        ctx.tools = {t.name: t for t in guard_tools(specialist.make_tools(ctx), services.scopes)}
        ctx.handoff = None
        answered = False
        if llm is not None:
            try:
                answer, used = _run_llm(specialist, ctx, text, llm, usage, handoffs)
                usage = usage.add(used)
                mode = "llm"
                answered = True
            except Exception as exc:
                if not _is_llm_failure(exc):
                    raise
                LLM_FAILURES.labels(stage="agent").inc()
                logger.warning("llm failed, answering offline", agent=agent, error=str(exc))
                llm = None
                notes.append(
                    f"The LLM server failed ({type(exc).__name__}); this answer was made without it."
                )
                if ctx.actions:
                    # Tools already changed Jenkins: running the offline core could repeat them (a second
                    # trigger). Report what was done instead.
                    done = "; ".join(f"{a['action']} {a['target']} ({a['detail']})" for a in ctx.actions)
                    answer, answered = f"Done before the failure: {done}.", True
        if not answered:
            answer = _run_offline(specialist, ctx, text)
        if ctx.handoff is None or len(handoffs) >= MAX_HANDOFFS:
            break
        target, reason = ctx.handoff
        handoffs.append(f"{agent}->{target}: {reason}")
        services.report("handoff", source=agent, target=target, reason=reason)
        agent = target

    if decision.method == "offline" and decision.confidence < UNSURE_CONFIDENCE and not handoffs:
        answer = (
            f"(I was unsure who should handle this: the {agent} specialist, at {decision.confidence:.0%}. "
            "If this is not what you meant, rephrase the task or pass agent=build|log|pipeline|plugin in "
            f"the context.)\n\n{answer}"
        )
    if notes:
        answer = "\n".join(f"({note})" for note in notes) + "\n\n" + answer
    services.report("answered", agent=agent)
    return TaskResult(
        agent=agent,
        confidence=decision.confidence if agent == decision.agent else _offline_confidence(text, agent),
        answer=answer,
        actions=ctx.actions,
        artifacts=ctx.artifacts,
        routing=decision,
        usage=usage,
        mode=mode,
        handoffs=handoffs,
    )


def _offline_confidence(text: str, agent: AgentName) -> float:
    return round(default_router().scores(text).get(agent, 0.0), 4)


def _is_llm_failure(exc: Exception) -> bool:
    """Errors of the LLM server or the connection to it (not of our code)."""
    import httpx
    import openai

    return isinstance(exc, openai.APIError | httpx.HTTPError)


def _run_offline(specialist: Specialist, ctx: ToolContext, text: str) -> str:
    try:
        return specialist.offline(ctx, text)
    except ToolError as exc:  # the core's own "I cannot do that offline" answers
        return str(exc)
    except Exception as exc:  # a Jenkins call outside a tool (e.g. looking up the last build)
        answer = tool_error_text(exc)
        if answer is None:
            raise
        return answer


class HandoffArgs(BaseModel):
    agent: AgentName = Field(description="The specialist that should handle the task instead.")
    reason: str = Field(description="One sentence: why that specialist is the right one.")


def _handoff_tool(ctx: ToolContext, current: AgentName) -> BaseTool:
    others = [a for a in AGENT_NAMES if a != current]

    def transfer_to_specialist(agent: AgentName, reason: str) -> str:
        if agent == current:
            raise ToolError(f"you are the {current} specialist already; pick one of {', '.join(others)}")
        ctx.handoff = (agent, reason)
        return f"Handing the task to the {agent} specialist: {reason}"

    lines = "; ".join(f"{a}: {SPECIALISTS[a].description}" for a in others)
    return StructuredTool.from_function(
        transfer_to_specialist,
        name="transfer_to_specialist",
        args_schema=HandoffArgs,
        description=f"Hand the whole task to another specialist when it is not yours ({lines}).",
        return_direct=True,
    )


class ProgressMiddleware(AgentMiddleware):
    """Publishes a ``tool`` progress event for every tool the model calls, as the offline core does."""

    def __init__(self, services: AgentServices) -> None:
        super().__init__()
        self.services = services

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
    ) -> ToolMessage | Command[Any]:
        self.services.report("tool", tool=request.tool_call.get("name"))
        return handler(request)


def _on_tool_error(exc: Exception, request: ToolCallRequest) -> str:
    text = tool_error_text(exc)
    if text is not None:
        return text
    # Unexpected: keep the loop alive, tell the model only the exception type, keep details in our logs.
    logger.exception("tool failed", tool=request.tool_call.get("name"))
    return f"Error: the tool failed unexpectedly ({type(exc).__name__}). Do not retry it."


def _task_message(text: str, context: dict[str, Any]) -> str:
    shown = {k: context[k] for k in _CONTEXT_FOR_MODEL if k in context}
    message = text
    if shown:
        message += "\n\nTask context: " + json.dumps(shown, default=str)[:4000]
    confirmed = "HAS" if is_confirmed(context) else "has NOT"
    message += f"\n\nThe user {confirmed} confirmed destructive actions for this task."
    return message


def _run_llm(
    specialist: Specialist,
    ctx: ToolContext,
    text: str,
    llm: BaseChatModel,
    usage_so_far: Usage,
    handoffs: list[str],
) -> tuple[str, Usage]:
    tools = list(ctx.tools.values())
    if len(handoffs) < MAX_HANDOFFS:
        tools.append(_handoff_tool(ctx, specialist.name))
    budget = ctx.services.settings.llm_token_budget
    agent = create_agent(
        llm,
        tools,
        system_prompt=specialist.system_prompt,
        middleware=[
            RedactionMiddleware(),
            ProgressMiddleware(ctx.services),
            TokenBudgetMiddleware(budget, usage_so_far.input_tokens + usage_so_far.output_tokens),
            ToolErrorMiddleware(on_error=_on_tool_error),
        ],
        name=f"{specialist.name}_agent",
    )
    ctx.services.report("thinking", agent=specialist.name)
    state = agent.invoke(
        {"messages": [HumanMessage(content=redact_text(_task_message(text, ctx.context)))]},
        config={"recursion_limit": RECURSION_LIMIT},
    )
    messages: list[BaseMessage] = state["messages"]
    used = usage_of(messages, model_name(llm))
    if ctx.handoff is not None:
        return "", used
    final = next((m for m in reversed(messages) if isinstance(m, AIMessage) and m.content), None)
    if final is not None and isinstance(final.content, str):
        return final.content, used
    # The model stopped without words: answer with what the tools returned.
    found = [m.content for m in messages if isinstance(m, ToolMessage) and isinstance(m.content, str)]
    return "\n\n".join(found) or "The model returned no answer.", used
