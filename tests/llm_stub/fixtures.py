"""Pytest fixture for the OpenAI-compatible LLM stub (registered in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm_stub.server import StubLLM


@pytest.fixture
def llm_stub() -> Iterator[StubLLM]:
    """A scripted LLM server on 127.0.0.1 (free port), stopped after the test; ``.url`` is the base_url."""
    stub = StubLLM().start()
    try:
        yield stub
    finally:
        stub.stop()
