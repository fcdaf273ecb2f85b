"""The issue's example tasks through the whole system without an LLM: API -> Redis -> Celery worker ->
supervisor -> offline core -> tools -> Jenkins double -> MongoDB -> API."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

EXAMPLES = [
    ("why did api-service #42 fail", "log", "api-service #42: compilation failure."),
    (
        "rebuild api-service 42 with DEBUG=true",
        "build",
        "Rebuilt api-service #42 with DEBUG=true: started as build #43.",
    ),
    (
        "generate a pipeline for a Gradle project with tests and docker push",
        "pipeline",
        "Generated a declarative",
    ),
    ("which plugins have security warnings", "plugin", "1 security warning(s) apply:"),
]


def ask(api: Any, text: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.token}"}
    response = requests.post(
        f"{api.url}/api/v1/tasks", json={"task": text, "context": context or {}}, headers=headers, timeout=10
    )
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 60
    while True:
        view = requests.get(f"{api.url}{response.json()['status_url']}", headers=headers, timeout=10).json()
        if view["status"] in {"succeeded", "failed", "rejected"} or time.monotonic() > deadline:
            return dict(view)
        time.sleep(0.1)


@pytest.mark.parametrize(("text", "agent", "answer_start"), EXAMPLES)
def test_example_task_is_answered_offline_through_the_api(
    api_server: Any, jenkins_double: Any, text: str, agent: str, answer_start: str
) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build(
        "api-service",
        42,
        "FAILURE",
        "+ mvn -B verify\n[ERROR] COMPILATION ERROR :\n[ERROR] Api.java:[3,5] cannot find symbol\nBUILD FAILURE\n",
        parameters={"DEBUG": "false"},
    )
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.0")
    jenkins_double.add_warning("git", r"4\..*", id="SECURITY-1234", message="Missing permission check")

    view = ask(api_server, text)

    assert view["status"] == "succeeded", view
    result = view["result"]
    assert (result["agent"], result["mode"], result["routing"]["method"]) == (agent, "offline", "offline")
    assert result["answer"].startswith(answer_start), result["answer"]
    assert 0.5 < result["confidence"] <= 1.0
    assert result["routing"]["reason"].startswith(f"closest to {agent} examples")
