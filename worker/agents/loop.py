"""What keeps the specialist's LLM loop safe and bounded, whatever the model does.

:class:`LoopGuard` wraps every model call and every tool call of a task:

- **Text tool calls** (``worker.agents.textcalls``): a reply whose words are a call to a known tool with valid
  arguments becomes a real call; other call-shaped text gets one corrective re-prompt per task, then the task
  fails clearly (:class:`ModelOutputError`) — the call (JSON or markup) is never returned as the answer.
- **Template tokens** (``<|im_start|>`` …) are stripped from every reply.
- **Budget** (:class:`TaskBudget`, from settings): tokens and seconds per task, checked before each model call
  (the loop then answers with what the tools found, and records why in ``TaskBudget.notes``); each call's
  HTTP timeout is the smaller of ``LLM_TIMEOUT_SECONDS`` and the time left; replies are capped at
  ``LLM_MAX_TOKENS``; messages are cut to fit ``LLM_CONTEXT_TOKENS``.
- **Tool calls**: at most ``LLM_MAX_TOOL_CALLS`` per task and ``MAX_TOOL_ERRORS`` failed ones (then the model
  must answer without tools), and a repeated identical call is answered from the first result, not run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ToolCallRequest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.types import Command
from pydantic import BaseModel

from worker.agents.answer import evidence
from worker.agents.textcalls import parse_text_calls, strip_template_tokens
from worker.confirmations import action_key

if TYPE_CHECKING:
    from worker.settings import Settings

# Rough characters per token for sizing prompts to the context window (no tokenizer download).
CHARS_PER_TOKEN = 3
# Tokens the system prompt and tool schemas take, kept free when fitting messages into the context.
PROMPT_OVERHEAD_TOKENS = 1500
MIN_CALL_TIMEOUT_SECONDS = 1.0
# Failed tool calls after which the model must answer without tools: a small model that guesses job names
# otherwise spends the whole budget on "no such job" (the real model did: 12k tokens, 52 s).
MAX_TOOL_ERRORS = 2


class ModelOutputError(Exception):
    """The model's reply could not be used (a broken tool call after the corrective re-prompt, or a loop)."""


@dataclass
class TaskBudget:
    """Limits of one task's LLM work (routing included), shared by every specialist it passes through."""

    tokens: int
    seconds: float
    max_tool_calls: int
    max_tokens_per_reply: int
    context_tokens: int
    call_timeout_seconds: float
    started: float = field(default_factory=time.monotonic)
    used_tokens: int = 0
    tool_calls: int = 0
    reprompted: bool = False
    #: Replies replaced by a corrective re-prompt: they cost tokens but are not in the conversation.
    discarded: list[AIMessage] = field(default_factory=list)
    #: What every tool returned, in order (the answer of last resort).
    tool_results: list[str] = field(default_factory=list)
    #: What the guards did (stops, fallbacks), for ``TaskResult.notes``: never part of the answer.
    notes: list[str] = field(default_factory=list)
    #: Tool calls that failed (an unknown job, invalid arguments): a model guessing names stops after a few.
    tool_errors: int = 0
    stopped_tools: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> TaskBudget:
        return cls(
            tokens=settings.llm_token_budget,
            seconds=settings.llm_task_seconds,
            max_tool_calls=settings.llm_max_tool_calls,
            max_tokens_per_reply=settings.llm_max_tokens,
            context_tokens=settings.llm_context_tokens,
            call_timeout_seconds=settings.llm_timeout_seconds,
        )

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def count(self, message: BaseMessage) -> None:
        if isinstance(message, AIMessage) and message.usage_metadata:
            self.used_tokens += int(message.usage_metadata.get("total_tokens", 0))

    def exhausted(self) -> str | None:
        """Why no further model call may be made, or ``None``."""
        if self.used_tokens >= self.tokens:
            return f"this task used {self.used_tokens} of its {self.tokens} LLM tokens"
        if self.elapsed >= self.seconds:
            return f"this task used its {self.seconds:.0f} seconds for the LLM"
        return None

    def call_timeout(self) -> float:
        left = self.seconds - self.elapsed
        return max(MIN_CALL_TIMEOUT_SECONDS, min(self.call_timeout_seconds, left))

    def found_so_far(self, limit: int = 3000) -> str:
        """What the tools found, each result once, without the guards' own texts."""
        return evidence(self.tool_results, limit)


def _fit_context(messages: list[BaseMessage], max_chars: int) -> list[BaseMessage]:
    """Cut the longest tool results until the conversation fits ``max_chars`` (the newest stay whole longest)."""
    total = sum(len(m.content) if isinstance(m.content, str) else 0 for m in messages)
    if total <= max_chars:
        return messages
    out = list(messages)
    tool_indexes = sorted(
        (i for i, m in enumerate(out) if isinstance(m, ToolMessage) and isinstance(m.content, str)),
        key=lambda i: len(str(out[i].content)),
        reverse=True,
    )
    for i in tool_indexes:
        if total <= max_chars:
            break
        content = str(out[i].content)
        keep = max(200, len(content) - (total - max_chars))
        if keep < len(content):
            out[i] = out[i].model_copy(update={"content": content[:keep] + "\n[... cut to fit the context]"})
            total -= len(content) - keep - 30
    return out


def _correction(problems: list[str], tools: list[str]) -> str:
    return (
        "Your last reply was a tool call written as text, and it cannot be used: "
        + "; ".join(problems[:3])
        + f". The tools are: {', '.join(tools) or 'none'}. Either call one of them through the tool-calling "
        "interface with valid arguments, or answer the user in plain words (no JSON)."
    )


class LoopGuard(AgentMiddleware):
    """See the module docstring. One instance per specialist run; the budget is shared across them."""

    def __init__(self, budget: TaskBudget, schemas: Mapping[str, type[BaseModel] | None]) -> None:
        super().__init__()
        self.budget = budget
        self.schemas = dict(schemas)
        self.results: dict[str, str] = {}

    # -- model calls -------------------------------------------------------------------------------
    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse | AIMessage:
        budget = self.budget
        stop = budget.exhausted()
        if stop is not None:
            # The answer is what the tools found (or that there is nothing); why it stopped is a note.
            budget.notes.append(f"stopped before the model's answer: {stop}")
            found = budget.found_so_far()
            return AIMessage(content=found or "I could not finish this task within its budget.")
        tools_allowed = budget.tool_calls < budget.max_tool_calls and budget.tool_errors < MAX_TOOL_ERRORS
        if not tools_allowed and budget.tool_errors >= MAX_TOOL_ERRORS and not budget.stopped_tools:
            budget.stopped_tools = True
            budget.notes.append(
                f"{budget.tool_errors} tool calls failed; the model had to answer without tools"
            )
        settings = {
            **request.model_settings,
            "timeout": budget.call_timeout(),
            "max_completion_tokens": budget.max_tokens_per_reply,
        }
        overrides: dict[str, Any] = {"model_settings": settings}
        if not tools_allowed and request.tools:
            overrides["tool_choice"] = "none"
        max_chars = max(
            2000,
            (budget.context_tokens - budget.max_tokens_per_reply - PROMPT_OVERHEAD_TOKENS) * CHARS_PER_TOKEN,
        )
        overrides["messages"] = _fit_context(list(request.messages), max_chars)
        request = request.override(**overrides)

        response = handler(request)
        reply = self._reply(response)
        if reply is None:
            return response
        budget.count(reply)
        fixed, problems = self._interpret(reply, tools_allowed)
        if fixed is not None:
            return self._replace(response, reply, fixed)
        # Call-shaped text that is no usable call: one corrective re-prompt per task, then a clear failure.
        if budget.reprompted:
            raise ModelOutputError("the model wrote an unusable tool call again: " + "; ".join(problems[:3]))
        budget.reprompted = True
        budget.discarded.append(reply)
        names = sorted(self.schemas) if tools_allowed else []
        retry = request.override(
            messages=[
                *request.messages,
                AIMessage(content=strip_template_tokens(str(reply.content))),
                HumanMessage(content=_correction(problems, names)),
            ]
        )
        response = handler(retry)
        reply = self._reply(response)
        if reply is None:
            return response
        budget.count(reply)
        fixed, problems = self._interpret(reply, tools_allowed)
        if fixed is None:
            raise ModelOutputError("the model wrote an unusable tool call twice: " + "; ".join(problems[:3]))
        return self._replace(response, reply, fixed)

    @staticmethod
    def _reply(response: ModelResponse) -> AIMessage | None:
        return next((m for m in reversed(response.result) if isinstance(m, AIMessage)), None)

    @staticmethod
    def _replace(response: ModelResponse, old: AIMessage, new: AIMessage) -> ModelResponse:
        return ModelResponse(
            result=[new if m is old else m for m in response.result],
            structured_response=response.structured_response,
        )

    def _interpret(self, reply: AIMessage, tools_allowed: bool) -> tuple[AIMessage | None, list[str]]:
        """(the reply to keep, or None with the problems of its call-shaped text)."""
        if reply.tool_calls:
            return reply, []
        text = reply.content if isinstance(reply.content, str) else ""
        cleaned = strip_template_tokens(text)
        parsed = parse_text_calls(cleaned, self.schemas if tools_allowed else {})
        if parsed.calls:
            calls = [
                {
                    "name": c["name"],
                    "args": c["args"],
                    "id": f"text_call_{i}_{c['name']}",
                    "type": "tool_call",
                }
                for i, c in enumerate(parsed.calls)
            ]
            return reply.model_copy(update={"content": "", "tool_calls": calls}), []
        if parsed.looks_like_call:
            problems = parsed.problems or ["it is not a complete call"]
            if not tools_allowed:
                problems = ["no more tool calls are allowed in this task"]
            return None, problems
        if cleaned != text:
            return reply.model_copy(update={"content": cleaned}), []
        return reply, []

    def remember(self, name: str, args: dict[str, Any], result: str) -> None:
        """A call made for the model before its first turn (a prefetch): counted, and answered from this
        result if the model makes it again."""
        self.budget.tool_calls += 1
        self.results[action_key(name, args)] = result
        self.budget.tool_results.append(result)
        self.budget.tool_errors += result.startswith("Error:")

    # -- tool calls --------------------------------------------------------------------------------
    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
    ) -> ToolMessage | Command[Any]:
        call = request.tool_call
        name = str(call.get("name"))
        key = action_key(name, dict(call.get("args") or {}))
        if key in self.results:
            return ToolMessage(
                content="(The same call was already made in this task; its result again:)\n"
                + self.results[key],
                tool_call_id=call["id"],
                name=name,
            )
        if self.budget.tool_calls >= self.budget.max_tool_calls:
            return ToolMessage(
                content=f"Error: this task reached its limit of {self.budget.max_tool_calls} tool calls. "
                "Answer now from the results you have.",
                tool_call_id=call["id"],
                name=name,
            )
        self.budget.tool_calls += 1
        result = handler(request)
        if isinstance(result, ToolMessage) and isinstance(result.content, str):
            self.results[key] = result.content
            self.budget.tool_results.append(result.content)
            self.budget.tool_errors += result.content.startswith("Error:")
        return result
