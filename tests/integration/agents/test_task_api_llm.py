"""A task through the whole system with the stub LLM: API -> Redis -> Celery worker -> supervisor -> ChatOpenAI
(stub, real HTTP) -> tool -> Jenkins double (real HTTP) -> MongoDB -> API."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.llm_stub import StubLLM, route_reply

FAILED_LOG = (
    "+ npm ci\n"
    "npm ERR! code ERESOLVE\n"
    "npm ERR! ERESOLVE unable to resolve dependency tree\n"
    "npm ERR! Found: react@18.2.0\n"
    "Finished: FAILURE\n"
)


@pytest.fixture
def settings_overrides(llm_stub: StubLLM) -> dict[str, Any]:
    """The LLM stub as the configured OpenAI-compatible server."""
    return {"OPENAI_BASE_URL": llm_stub.url, "OPENAI_API_KEY": "sk-stub", "LLM_MAX_RETRIES": 0}


def wait_for_task(api: Any, task_id: str, timeout: float = 60.0) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.token}"}
    deadline = time.monotonic() + timeout
    while True:
        view = requests.get(f"{api.url}/api/v1/tasks/{task_id}", headers=headers, timeout=10).json()
        if view["status"] in {"succeeded", "failed", "rejected"} or time.monotonic() > deadline:
            return dict(view)
        time.sleep(0.1)


def test_task_runs_the_llm_agent_loop_and_stores_the_answer(
    api_server: Any, jenkins_double: Any, llm_stub: StubLLM
) -> None:
    jenkins_double.add_build("web", 12, "FAILURE", FAILED_LOG)
    llm_stub.script(
        route_reply("log", 0.88),
        lambda body: (
            "web #12 failed: "
            + next(m["content"] for m in reversed(body["messages"]) if m["role"] == "tool").splitlines()[0]
        ),
    )
    response = requests.post(
        f"{api_server.url}/api/v1/tasks",
        json={"task": "why did web #12 fail?", "context": {}},
        headers={"Authorization": f"Bearer {api_server.token}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    view = wait_for_task(api_server, response.json()["task_id"])

    assert view["status"] == "succeeded", view
    result = view["result"]
    assert result["agent"] == "log" and result["mode"] == "llm"
    routing = result["routing"]
    assert 0 <= routing.pop("seconds") < 10
    assert routing == {
        "agent": "log",
        "confidence": 0.88,
        "reason": "the model answered 'log' (p=0.88)",
        "method": "llm",
        "scores": {},
        "fallback": None,
    }
    assert result["answer"].startswith("web #12 failed: web #12: dependency failure.")
    assert result["artifacts"]["analysis"]["category"] == "dependency"
    assert result["usage"]["llm_calls"] == 2 and result["usage"]["input_tokens"] > 0
    assert ("GET", "/job/web/12/logText/progressiveText") in jenkins_double.requests
    assert llm_stub.remaining == 0
