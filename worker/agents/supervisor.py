"""The supervisor: route a task, run the specialist (LLM loop or deterministic core), collect the result."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ToolErrorMiddleware
from langchain.agents.middleware.types import ToolCallRequest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.types import Command
from pydantic import BaseModel, Field

from worker.agents import build, log, pipeline, plugin
from worker.agents.answer import GUARD_PREFIXES, clean_answer, without_tool_talk
from worker.agents.confirmation import confirmation_for, plan_sentence
from worker.agents.grounding import NO_EVIDENCE, dropped_note, ground
from worker.agents.llm import RedactionMiddleware, model_name, quick_variant, redact_text, usage_of
from worker.agents.loop import LoopGuard, ModelOutputError, TaskBudget
from worker.agents.models import (
    AGENT_NAMES,
    AgentName,
    Confirmation,
    PlannedAction,
    RoutingDecision,
    TaskResult,
    Usage,
)
from worker.agents.router import default_router, route, route_with_llm
from worker.agents.services import AgentServices
from worker.agents.textcalls import looks_like_tool_call
from worker.agents.tools import (
    Specialist,
    ToolContext,
    ToolError,
    guard_tools,
    is_confirmed,
    tool_error_text,
)
from worker.confirmations import ConfirmationStore, Plan
from worker.logging import get_logger
from worker.metrics import LLM_FAILURES

if TYPE_CHECKING:
    from worker.settings import Settings

logger = get_logger(__name__)

SPECIALISTS: dict[AgentName, Specialist] = {
    s.name: s for s in (build.SPECIALIST, log.SPECIALIST, pipeline.SPECIALIST, plugin.SPECIALIST)
}
# Every tool a model may be offered: an answer holding one of them as a tag (<rebuild>...) is a call, not words.
ALL_TOOL_NAMES = (
    "generate_jenkinsfile",
    "lint_jenkinsfile",
    "validate_jenkinsfile",
    "create_pipeline_job",
    "analyze_build",
    "find_similar_failures",
    "build_status",
    "trigger_build",
    "abort_build",
    "rebuild",
    "wait_for_build",
    "list_queue",
    "list_plugins",
    "plugin_updates",
    "security_warnings",
    "install_plugin",
    "transfer_to_specialist",
)
MAX_HANDOFFS = 2
# The routing reply is one word; a couple of tokens more for a model that writes "Log." or " plugin".
ROUTING_REPLY_TOKENS = 3
# Below this offline-router probability the answer says the routing was a guess (4 agents: chance is 0.25).
UNSURE_CONFIDENCE = 0.45
# Model calls + tool calls per specialist run; a loop that needs more is stuck, not thorough.
RECURSION_LIMIT = 24
# Said to every specialist: small models need it spelled out.
SYSTEM_SUFFIX = (
    " Call tools only through the tool-calling interface, never as JSON or markup in your answer. Each tool at "
    "most once with the same arguments. Answer the user in plain words, briefly, using only facts the tools "
    "returned, without naming the tools; if no tool gave evidence, say so."
)
# Context keys passed to the model verbatim (bounded and redacted); anything else is only named.
_CONTEXT_FOR_MODEL = ("job", "build", "parameters", "plugin", "name", "jenkinsfile")


def run_task(
    text: str, context: dict[str, Any] | None = None, *, services: AgentServices, llm: BaseChatModel | None
) -> TaskResult:
    """Route ``text`` to a specialist and let it do the work; never raises for an expected failure.

    With ``llm`` the model routes and runs the specialist's tool loop (falling back to the offline core if
    the LLM server fails or its replies are unusable); without it the offline router and the deterministic
    core answer. A task that would change Jenkins without the user's confirmation changes nothing and ends
    with ``status="needs_confirmation"``, the plan and a single-use token (``worker.agents.confirmation``).
    """
    if not text or not text.strip():
        raise ValueError("task: must not be blank")
    context = dict(context or {})
    settings = services.settings
    usage = Usage()
    budget = TaskBudget.from_settings(settings)
    services.report("routing")
    notes: list[str] = []  # short, for the user, in the answer
    internal: list[str] = []  # the details, in TaskResult.notes
    decision: RoutingDecision | None = None
    if llm is not None and "agent" not in context:
        decision, used, llm_down = _route_with_model(text, llm, settings)
        usage = usage.add(used)
        budget.used_tokens += used.input_tokens + used.output_tokens
        if llm_down is not None:
            notes.append("The LLM server could not be reached; this answer was made without it.")
            internal.append(f"routing: the LLM server failed ({llm_down})")
            llm = None
    if decision is None:
        decision = route(text, context)
    services.report("routed", agent=decision.agent, confidence=decision.confidence, method=decision.method)

    agent: AgentName = decision.agent
    ctx = ToolContext(services=services, context=context)
    handoffs: list[str] = []
    answer = ""
    mode: Literal["offline", "llm"] = "offline"
    grounded_sources: list[str] | None = None
    while True:
        specialist = SPECIALISTS[agent]
        ctx.agent = agent
        ctx.tools = {t.name: t for t in guard_tools(specialist.make_tools(ctx), services.scopes)}
        ctx.handoff = None
        answered = False
        if llm is not None:
            try:
                answer, used = _run_llm(specialist, ctx, text, llm, budget, handoffs)
                usage = usage.add(used)
                mode = "llm"
                answered = True
                grounded_sources = [text, json.dumps(context, default=str), *budget.tool_results]
            except Exception as exc:
                reason = _llm_failure_reason(exc)
                if reason is None:
                    raise
                usage = usage.add(usage_of(budget.discarded, model_name(llm)))
                LLM_FAILURES.labels(stage="agent").inc()
                logger.warning("llm failed, answering offline", agent=agent, error=str(exc))
                llm = None
                notes.append(f"{reason}; this answer was made without it.")
                internal.append(f"{agent}: {type(exc).__name__}: {redact_text(str(exc), 500)}")
                if any(a.get("done") for a in ctx.actions):
                    # Tools already changed Jenkins: running the offline core could repeat them. Report what
                    # was done instead.
                    done = "; ".join(
                        f"{a['action']} {a['target']} ({a['detail']})" for a in ctx.actions if a.get("done")
                    )
                    answer, answered = f"Done before the failure: {done}.", True
        if not answered:
            answer = _run_offline(specialist, ctx, text)
        if ctx.handoff is None or len(handoffs) >= MAX_HANDOFFS:
            break
        target, reason_text = ctx.handoff
        handoffs.append(f"{agent}->{target}: {reason_text}")
        services.report("handoff", source=agent, target=target, reason=reason_text)
        agent = target

    if grounded_sources is not None and mode == "llm":
        answer = _grounded(clean_answer(answer), grounded_sources, agent, budget, internal)
        answer = SPECIALISTS[agent].finish(ctx, answer)
    internal += budget.notes
    status: Literal["done", "needs_confirmation"] = "done"
    confirmation: Confirmation | None = None
    if ctx.plan:
        status = "needs_confirmation"
        confirmation = _save_plan(services, ctx.plan)
        # The plan is the answer: what would be done and how to confirm, never the model's paraphrase of it.
        answer = plan_sentence(ctx.plan, confirmation)
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
        status=status,
        plan=list(ctx.plan),
        confirmation=confirmation,
        notes=internal,
    )


def run_confirmed(plan: Plan, *, services: AgentServices, store: ConfirmationStore | None) -> TaskResult:
    """Run exactly the actions of a claimed plan, confirmed, without a model; each at most once.

    With ``store`` every action passes :meth:`ConfirmationStore.first_run` first, so a retried task (a worker
    died mid-way) never repeats an action that already ran.
    """
    if not plan.actions:
        raise ValueError("plan: has no actions")
    services.report("confirmed", actions=len(plan.actions))
    ctx = ToolContext(services=services, context={"confirm": True})
    lines: list[str] = []
    agents: list[AgentName] = []
    for index, action in enumerate(plan.actions):
        agent = cast(AgentName, action.agent)  # the pattern of PlannedAction.agent allows only these
        agents.append(agent)
        specialist = SPECIALISTS[agent]
        ctx.agent = agent
        ctx.tools = {t.name: t for t in guard_tools(specialist.make_tools(ctx), services.scopes)}
        if action.tool not in ctx.tools:
            raise ValueError(f"plan.actions.{index}.tool: {action.tool!r} is not a {action.agent} tool")
        if store is not None and plan.digest and not store.first_run(plan.digest, index):
            lines.append(f"Already done by an earlier run of this confirmation: {action.sentence}.")
            continue
        _, result = ctx.call(action.tool, **action.arguments)
        lines.append(result)
    first = agents[0]
    services.report("answered", agent=first)
    return TaskResult(
        agent=first,
        confidence=1.0,
        answer="\n".join(lines),
        actions=ctx.actions,
        artifacts=ctx.artifacts,
        routing=RoutingDecision(
            agent=first, confidence=1.0, reason=f"confirmed plan of task {plan.task_id}", method="context"
        ),
        mode="offline",
        plan=list(plan.actions),
    )


def _save_plan(services: AgentServices, plan: list[PlannedAction]) -> Confirmation | None:
    store = services.confirmations
    if store is None:
        return None
    task_id = services.task_id or f"local-{uuid.uuid4()}"
    try:
        token = store.save(task_id, plan)
    except Exception as exc:  # Redis down: the plan is still shown; confirm=true in the context still works
        logger.warning("could not store the confirmation", error=str(exc))
        return None
    return confirmation_for(token, task_id, api=services.task_id is not None, ttl_seconds=store.ttl_seconds)


def _grounded(answer: str, sources: list[str], agent: AgentName, budget: TaskBudget, notes: list[str]) -> str:
    """The model's answer checked against this task's evidence (``worker.agents.grounding``)."""
    if looks_like_tool_call(answer, ALL_TOOL_NAMES):
        # Last line of defence: never return a call (JSON or markup) as the answer.
        notes.append(
            "the model's final reply was a tool call written as text; answered with the tool results"
        )
        found = budget.found_so_far()
        return (
            found
            or f"I could not get an answer from the model, and {NO_EVIDENCE[0].lower()}{NO_EVIDENCE[1:]}"
        )
    answer, talk = without_tool_talk(answer, ALL_TOOL_NAMES)
    if talk:
        notes.append(
            f"dropped {talk} sentence(s) that told the user to call one of the assistant's own tools"
        )
    answer, dropped = ground(answer, sources)
    if dropped:
        notes.append(dropped_note(dropped))
    if not answer.strip():
        answer = budget.found_so_far()
    evidence = [r for r in budget.tool_results if not r.startswith(("Error:", *GUARD_PREFIXES))]
    if not evidence and agent in ("build", "log", "plugin"):
        # Whatever the model wrote, nothing in this task checked it against Jenkins: the user must know.
        answer = f"({NO_EVIDENCE})\n\n{answer}" if answer.strip() else f"{NO_EVIDENCE}"
    return answer


def _route_with_model(
    text: str, llm: BaseChatModel, settings: Settings
) -> tuple[RoutingDecision | None, Usage, str | None]:
    """(decision or None to route offline, usage, why the LLM server is unusable or None).

    The model gets ``LLM_ROUTING_TIMEOUT_SECONDS`` and no retry; a timeout or an unusable reply routes offline
    with the reason in ``RoutingDecision.fallback``. A refused connection or a server error means the server is
    down: the task then runs without the model.
    """
    started = time.perf_counter()
    offline = default_router().route(text)
    skip = settings.llm_routing_skip_confidence
    if skip is not None and offline.confidence >= skip:
        return offline.model_copy(update={"seconds": round(time.perf_counter() - started, 3)}), Usage(), None
    fallback: str
    usage = Usage()
    down: str | None = None
    try:
        decision, raw, why = route_with_llm(
            text,
            quick_variant(llm, settings.llm_routing_timeout_seconds, max_tokens=ROUTING_REPLY_TOKENS),
            min_probability=settings.llm_routing_min_probability,
        )
        usage = usage_of([raw], model_name(llm))
        if decision is not None:
            return (
                decision.model_copy(update={"seconds": round(time.perf_counter() - started, 3)}),
                usage,
                None,
            )
        fallback = why or "the model's routing reply was unusable"
    except Exception as exc:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            fallback = f"the model did not route within {settings.llm_routing_timeout_seconds:g} s"
        elif isinstance(exc, openai.BadRequestError):  # e.g. a server without logprobs: not a dead server
            fallback = f"the server refused the routing request ({redact_text(str(exc), 200)})"
        elif _llm_failure_reason(exc) is not None:
            LLM_FAILURES.labels(stage="routing").inc()
            logger.warning("llm routing failed, routing offline", error=str(exc))
            fallback = f"the LLM server failed ({type(exc).__name__})"
            down = type(exc).__name__
        else:
            raise
    LLM_FAILURES.labels(stage="routing").inc()
    return (
        offline.model_copy(update={"fallback": fallback, "seconds": round(time.perf_counter() - started, 3)}),
        usage,
        down,
    )


def _offline_confidence(text: str, agent: AgentName) -> float:
    return round(default_router().scores(text).get(agent, 0.0), 4)


def _llm_failure_reason(exc: Exception) -> str | None:
    """Why the model could not be used, for failures of the LLM server, the connection or the model's output
    (not of our code, which propagate): ``None`` for anything else."""
    import httpx
    import openai
    from langgraph.errors import GraphRecursionError

    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return "The model did not answer in time"
    if isinstance(exc, openai.APIError | httpx.HTTPError):
        return "The LLM server failed"
    if isinstance(exc, ModelOutputError):
        return "The model's replies could not be used"
    if isinstance(exc, GraphRecursionError):
        return "The model did not finish within its step limit"
    return None


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
    message += f"\n\nThe user {confirmed} confirmed actions that change Jenkins for this task."
    return message


def _run_llm(
    specialist: Specialist,
    ctx: ToolContext,
    text: str,
    llm: BaseChatModel,
    budget: TaskBudget,
    handoffs: list[str],
) -> tuple[str, Usage]:
    tools = list(ctx.tools.values())
    if len(handoffs) < MAX_HANDOFFS:
        tools.append(_handoff_tool(ctx, specialist.name))
    schemas: dict[str, type[BaseModel] | None] = {
        t.name: t.args_schema
        if isinstance(t.args_schema, type) and issubclass(t.args_schema, BaseModel)
        else None
        for t in tools
    }
    guard = LoopGuard(budget, schemas)
    agent = create_agent(
        llm,
        tools,
        system_prompt=specialist.system_prompt + SYSTEM_SUFFIX,
        middleware=[
            RedactionMiddleware(),
            guard,
            ProgressMiddleware(ctx.services),
            ToolErrorMiddleware(on_error=_on_tool_error),
        ],
        name=f"{specialist.name}_agent",
    )
    messages: list[AnyMessage] = [HumanMessage(content=redact_text(_task_message(text, ctx.context)))]
    messages += _prefetched(specialist, ctx, text, guard)
    ctx.services.report("thinking", agent=specialist.name)
    state = agent.invoke(cast(Any, {"messages": messages}), config={"recursion_limit": RECURSION_LIMIT})
    messages = state["messages"]
    used = usage_of([*messages, *budget.discarded], model_name(llm))
    budget.discarded.clear()
    if ctx.handoff is not None:
        return "", used
    final = messages[-1] if messages and isinstance(messages[-1], AIMessage) else None
    if final is not None and isinstance(final.content, str) and final.content.strip():
        return final.content, used
    # The model stopped without words: answer with what the tools found (each result once).
    budget.notes.append(f"{specialist.name}: the model wrote no answer; answered with the tool results")
    return budget.found_so_far() or "The model returned no answer.", used


def _prefetched(specialist: Specialist, ctx: ToolContext, text: str, guard: LoopGuard) -> list[AnyMessage]:
    """The read-only calls the request plainly needs (``Specialist.prefetch``), run now and put in the
    conversation as the model's own first calls and their results: the model starts from the evidence."""
    calls = [(name, args) for name, args in specialist.prefetch(ctx, text) if name in ctx.tools]
    if not calls:
        return []
    made: list[ToolCall] = []
    results: list[AnyMessage] = []
    for index, (name, args) in enumerate(calls):
        _, result = ctx.call(name, **args)
        call_id = f"prefetch_{index}_{name}"
        made.append(ToolCall(name=name, args=args, id=call_id, type="tool_call"))
        results.append(ToolMessage(content=result, tool_call_id=call_id, name=name))
        guard.remember(name, args, result)
    return [AIMessage(content="", tool_calls=made), *results]
