"""The chat model and what wraps every call to it: redaction, a token budget, usage and cost accounting.

``build_chat_model(settings)`` returns a ``ChatOpenAI`` for any OpenAI-compatible server (OpenAI, Ollama,
vLLM, llama.cpp) or ``None`` when no LLM is configured. The model is injected into the agents, never created
at import time. Token counting uses the ``usage`` the server reports, never tiktoken, so nothing is
downloaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain.agents.middleware.types import hook_config
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import LLMResult

from worker.agents.models import Usage

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from worker.settings import Settings

# Every tool result and message sent to the model is cut to this many characters: the model gets the
# excerpt and the causes, never a whole log or inventory.
MAX_MESSAGE_CHARS = 6000
MAX_LINE_CHARS = 1000

# USD per million tokens (input, output) of models people point this at; unknown and local models cost 0.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
}


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """A ``ChatOpenAI`` configured from settings, or ``None`` when no LLM is configured.

    Every call it makes is counted by :class:`MetricsCallback` (tokens and latency by model).
    """
    if not settings.llm_enabled:
        return None
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.openai_base_url,
        api_key=key,  # str is accepted and wrapped in SecretStr
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        temperature=0,
        # One reply never needs more than this (the tools return the facts); the per-task budget bounds the sum.
        max_completion_tokens=settings.llm_max_tokens,
        callbacks=[MetricsCallback(settings.llm_model)],
    )


def quick_variant(llm: BaseChatModel, timeout: float, *, max_tokens: int | None = None) -> BaseChatModel:
    """The same model for a short call that must answer within ``timeout`` seconds or not at all (routing).

    The OpenAI client retries a timed-out call (``max_retries``), so a 2 s budget would become 6 s: the variant
    is a copy with its own client, no retries, the short timeout, ``max_tokens`` reply tokens and the token
    probabilities (``logprobs``) of its reply. Other chat models are returned as they are.
    """
    from langchain_openai import ChatOpenAI

    if not isinstance(llm, ChatOpenAI):
        return llm
    return ChatOpenAI(
        model=llm.model_name,
        base_url=llm.openai_api_base,
        api_key=llm.openai_api_key,
        timeout=timeout,
        max_retries=0,
        temperature=llm.temperature,
        max_completion_tokens=max_tokens or llm.max_tokens,
        logprobs=True,
        callbacks=llm.callbacks,
    )


class MetricsCallback(BaseCallbackHandler):
    """Prometheus tokens, calls and latency of every chat-model call, labelled by model."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._started: dict[UUID, float] = {}

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._started[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        from worker import metrics

        started = self._started.pop(run_id, None)
        if started is not None:
            metrics.LLM_CALL_SECONDS.labels(model=self.model).observe(time.perf_counter() - started)
        metrics.LLM_CALLS.labels(model=self.model, outcome="ok").inc()
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                usage = getattr(message, "usage_metadata", None) or {}
                metrics.LLM_TOKENS.labels(model=self.model, direction="input").inc(
                    usage.get("input_tokens", 0)
                )
                metrics.LLM_TOKENS.labels(model=self.model, direction="output").inc(
                    usage.get("output_tokens", 0)
                )

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        from worker import metrics

        started = self._started.pop(run_id, None)
        if started is not None:
            metrics.LLM_CALL_SECONDS.labels(model=self.model).observe(time.perf_counter() - started)
        metrics.LLM_CALLS.labels(model=self.model, outcome="error").inc()


def redact_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Redact secrets (the engine's rules) and bound the length of text for the model.

    The text is cut *before* redaction too (to the limit, and every line to ``MAX_LINE_CHARS``): the model
    never sees more, and the redaction patterns slow down sharply on very long unbroken tokens (minified
    code, base64 blobs), so they never get one.
    """
    from worker.analysis import redact

    total = len(text)
    lines = text[: limit + MAX_LINE_CHARS].split("\n")
    cut = "\n".join(
        line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + " [...]" for line in lines
    )
    cleaned = redact(cut)
    if len(cleaned) > limit or total > len(cut):
        cleaned = cleaned[:limit] + f"\n[... {max(total - limit, 0)} more characters cut]"
    return cleaned


def price(model: str, input_tokens: int, output_tokens: int) -> float:
    """Cost in USD; the longest matching model-name prefix wins (``gpt-4o-mini-2024-07-18``)."""
    matches = [name for name in PRICES_PER_MILLION if model.startswith(name)]
    if not matches:
        return 0.0
    inp, out = PRICES_PER_MILLION[max(matches, key=len)]
    return round((input_tokens * inp + output_tokens * out) / 1_000_000, 6)


def model_name(llm: BaseChatModel) -> str:
    return str(getattr(llm, "model_name", None) or getattr(llm, "model", None) or "unknown")


def usage_of(messages: Iterable[BaseMessage | None], model: str) -> Usage:
    """Tokens and cost summed over the AI messages' ``usage_metadata`` (as the server reported them)."""
    usage = Usage()
    for message in messages:
        if isinstance(message, AIMessage) and message.usage_metadata:
            inp = int(message.usage_metadata.get("input_tokens", 0))
            out = int(message.usage_metadata.get("output_tokens", 0))
            usage = usage.add(
                Usage(input_tokens=inp, output_tokens=out, cost_usd=price(model, inp, out), llm_calls=1)
            )
        elif isinstance(message, AIMessage) and message.response_metadata.get("model_provider"):
            usage = usage.add(Usage(llm_calls=1))
    return usage


def _redacted(message: BaseMessage) -> BaseMessage:
    if isinstance(message.content, str):
        return message.model_copy(update={"content": redact_text(message.content)})
    return message


class RedactionMiddleware(AgentMiddleware):
    """Redacts and bounds every message right before it is sent to the model.

    Tools already return redacted, bounded text; this is the guarantee for everything else (the user's own
    task text, a pasted Jenkinsfile or log line, error messages) whatever path it took into the conversation.
    """

    def wrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
    ) -> ModelResponse:
        return handler(request.override(messages=[_redacted(m) for m in request.messages]))  # type: ignore[misc]


class TokenBudgetMiddleware(AgentMiddleware):
    """Stops the agent loop before a model call once the task has used its token budget."""

    def __init__(self, budget: int, already_used: int = 0) -> None:
        super().__init__()
        self.budget = budget
        self.already_used = already_used

    @hook_config(can_jump_to=["end"])
    def before_model(self, state: AgentState, runtime: Runtime[Any]) -> dict[str, Any] | None:
        used = self.already_used
        for message in state["messages"]:
            if isinstance(message, AIMessage) and message.usage_metadata:
                used += int(message.usage_metadata.get("total_tokens", 0))
        if used < self.budget:
            return None
        # Answer with what the tools found so far rather than failing the task.
        found = [
            m.content for m in state["messages"] if isinstance(m, ToolMessage) and isinstance(m.content, str)
        ]
        text = f"Stopped: this task used {used} of its {self.budget} LLM tokens."
        if found:
            text += " What the tools found so far:\n\n" + "\n\n".join(found)[-3000:]
        return {"jump_to": "end", "messages": [AIMessage(content=text)]}
