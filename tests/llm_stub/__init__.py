"""A local OpenAI-compatible chat-completions server with scripted replies, for tests."""

from tests.llm_stub.server import Reply, StubLLM, route_reply, text_reply, tool_call

__all__ = ["Reply", "StubLLM", "route_reply", "text_reply", "tool_call"]
