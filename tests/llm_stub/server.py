"""An OpenAI-compatible ``/v1/chat/completions`` server that answers from a script and records every request.

The real ``ChatOpenAI`` client reaches it with ``base_url=stub.url``. A script is a list of replies consumed
in order; each reply is text, one or more tool calls, or a function of the request body returning either
(to build an answer from the tool results the client sent back). Non-streaming and streaming (SSE, with a
final usage chunk) responses are both served. Token usage is reported as a deterministic estimate (4
characters per token), so cost and budget accounting can be asserted.

When the script runs out the server answers 500 with a message saying so: a test that makes more model calls
than it scripted fails loudly instead of hanging.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted assistant message."""

    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    #: (token, log probability) of the reply's tokens, sent as the choice's ``logprobs`` when given.
    logprobs: list[tuple[str, float]] | None = None


ReplySpec = Reply | str | Callable[[dict[str, Any]], "Reply | str"]


def text_reply(content: str) -> Reply:
    return Reply(content=content)


def route_reply(agent: str, probability: float | None = 0.9) -> Reply:
    """The one-word routing answer (``worker.agents.router``), with the probability the server reports for it."""
    if probability is None:
        return Reply(content=agent)
    return Reply(content=agent, logprobs=[(agent, math.log(probability))])


def tool_call(name: str, arguments: dict[str, Any] | None = None, *more: tuple[str, dict[str, Any]]) -> Reply:
    """A reply that calls ``name(arguments)`` (and optionally more tools in parallel)."""
    calls = [(name, arguments or {}), *more]
    return Reply(
        tool_calls=[
            {"id": f"call_{i}_{n}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(calls)
        ]
    )


def _tokens(value: Any) -> int:
    return max(1, len(json.dumps(value)) // 4)


class StubLLM:
    """See the module docstring. ``StubLLM().start()``; ``.url`` is the ``base_url`` (ends in ``/v1``)."""

    def __init__(self, model: str = "gpt-4o-mini") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self._script: list[ReplySpec] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def script(self, *replies: ReplySpec) -> StubLLM:
        """Append replies to the script."""
        with self._lock:
            self._script.extend(replies)
        return self

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def start(self) -> StubLLM:
        stub = self

        class Handler(_Handler):
            llm = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="llm-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stub first"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def _next(self, body: dict[str, Any]) -> Reply | None:
        with self._lock:
            self.requests.append(body)
            if not self._script:
                return None
            spec = self._script.pop(0)
        reply = spec(body) if callable(spec) else spec
        return Reply(content=reply) if isinstance(reply, str) else reply

    def completion(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        reply = self._next(body)
        if reply is None:
            return 500, {"error": {"message": "llm_stub: no scripted reply left", "type": "server_error"}}
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.tool_calls:
            message["tool_calls"] = reply.tool_calls
        prompt, completion = _tokens(body.get("messages")), _tokens(message)
        return 200, {
            "id": f"chatcmpl-stub-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                    "logprobs": None
                    if reply.logprobs is None
                    else {
                        "content": [
                            {"token": t, "logprob": lp, "bytes": list(t.encode()), "top_logprobs": []}
                            for t, lp in reply.logprobs
                        ]
                    },
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


class _Handler(BaseHTTPRequestHandler):
    llm: StubLLM

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": self.llm.model, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"llm_stub: no route {self.path}"}})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"llm_stub: no route {self.path}"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            self._send(400, {"error": {"message": f"llm_stub: body is not JSON: {exc}"}})
            return
        status, payload = self.llm.completion(body)
        if status == 200 and body.get("stream"):
            self._stream(payload, include_usage=bool((body.get("stream_options") or {}).get("include_usage")))
        else:
            self._send(status, payload)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, payload: dict[str, Any], *, include_usage: bool) -> None:
        """The same reply as SSE chunks: role, content, tool calls (one chunk each), finish, usage."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        choice = payload["choices"][0]
        message = choice["message"]
        base = {k: payload[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

        def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> None:
            event = base | {
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if delta or finish else []
            }
            if usage is not None:
                event["usage"] = usage
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())

        chunk({"role": "assistant", "content": ""})
        if message.get("content"):
            chunk({"content": message["content"]})
        for index, call in enumerate(message.get("tool_calls") or []):
            chunk({"tool_calls": [{"index": index, **call}]})
        chunk({}, finish=choice["finish_reason"])
        if include_usage:
            chunk({}, usage=payload["usage"])
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
