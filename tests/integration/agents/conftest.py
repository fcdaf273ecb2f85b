"""Fixtures for the agent integration tests: a guard that records every outbound TCP connection."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.services import make_settings
from worker.agents import AgentServices
from worker.confirmations import ConfirmationStore
from worker.jenkins import JenkinsClient
from worker.settings import Settings

_recording: list[list[Any]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # sys.audit fires "socket.connect" for every connect(), whichever library makes it (httpx, requests,
    # urllib, tiktoken's downloader): the one place to see that nothing leaves the machine.
    if event == "socket.connect" and _recording:
        sock, address = args
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            _recording[-1].append(address)


sys.addaudithook(_audit)  # audit hooks cannot be removed; it only records while a test asks it to


@pytest.fixture
def outbound_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every (host, port) this test connected to; tiktoken pointed at an empty cache it must not fill."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    seen: list[Any] = []
    _recording.append(seen)
    try:
        yield seen
    finally:
        _recording.remove(seen)
    assert list(cache.iterdir()) == [], "tiktoken downloaded an encoding"


def agent_settings(jenkins_double: Any, llm_stub: Any | None = None, **env: Any) -> Settings:
    """Settings for an in-process agent run against the Jenkins double (and the LLM stub when given)."""
    values: dict[str, Any] = {
        "JENKINS_URL": jenkins_double.url,
        "JENKINS_USER": jenkins_double.user,
        "JENKINS_TOKEN": jenkins_double.token,
        **env,
    }
    if llm_stub is not None:
        values.update(OPENAI_BASE_URL=llm_stub.url, OPENAI_API_KEY="sk-stub", LLM_MAX_RETRIES=0)
    return make_settings(**values)


@pytest.fixture
def services_for() -> Iterator[Any]:
    """Build AgentServices with a real JenkinsClient for given settings; clients are closed after the test."""
    clients: list[JenkinsClient] = []

    def make(settings: Settings, **extra: Any) -> AgentServices:
        client = JenkinsClient.from_settings(settings)
        clients.append(client)
        return AgentServices(settings=settings, jenkins=client, **extra)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def confirmations(redis_url: str) -> Iterator[ConfirmationStore]:
    """Plans and tokens in the test's real Redis."""
    client = redis.Redis.from_url(redis_url)
    yield ConfirmationStore(client)
    client.close()
