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
        "I would rebuild api-service #42 with DEBUG=true.",
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
    return wait(api, response.json()["status_url"])


def wait(api: Any, status_url: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.token}"}
    deadline = time.monotonic() + 60
    while True:
        view = requests.get(f"{api.url}{status_url}", headers=headers, timeout=10).json()
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


def test_a_planned_rebuild_is_confirmed_once_through_the_api(api_server: Any, jenkins_double: Any) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build("api-service", 42, "FAILURE", "boom\n", parameters={"DEBUG": "false"})
    headers = {"Authorization": f"Bearer {api_server.token}"}

    planned = ask(api_server, "rebuild api-service #42")
    result = planned["result"]
    assert result["status"] == "needs_confirmation" and result["mode"] == "offline"
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42]
    assert result["plan"] == [
        {
            "agent": "build",
            "tool": "rebuild",
            "arguments": {"job": "api-service", "build": 42, "parameters": {}},
            "sentence": "rebuild api-service #42 with DEBUG=false",
        }
    ]
    confirmation = result["confirmation"]
    task_id = planned["task_id"]
    assert confirmation["confirm_url"] == f"/api/v1/tasks/{task_id}/confirm"

    def confirm(url: str, body: Any) -> requests.Response:
        return requests.post(f"{api_server.url}{url}", json=body, headers=headers, timeout=10)

    # A token is valid only for the task that planned it; a malformed body names the field.
    other = ask(api_server, "which plugins have security warnings")
    wrong = confirm(f"/api/v1/tasks/{other['task_id']}/confirm", {"token": confirmation["token"]})
    assert wrong.status_code == 409 and "token" in wrong.json()["error"]["message"]
    bad = confirm(confirmation["confirm_url"], {"token": "short"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "token"
    assert confirm("/api/v1/tasks/no-such-task/confirm", {"token": confirmation["token"]}).status_code == 404

    accepted = confirm(confirmation["confirm_url"], {"token": confirmation["token"]})
    assert accepted.status_code == 202, accepted.text
    done = wait(api_server, accepted.json()["status_url"])
    assert done["status"] == "succeeded", done
    assert done["kind"] == "agents.confirm_task"
    assert done["result"]["answer"] == "Rebuilt api-service #42 with DEBUG=false: started as build #43."
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42, 43]

    # Single use: the same token again changes nothing.
    again = confirm(confirmation["confirm_url"], {"token": confirmation["token"]})
    assert again.status_code == 409
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42, 43]
