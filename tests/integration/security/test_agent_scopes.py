"""The agents' Jenkins-changing tools need the scope the same action needs through the REST API: a task sent
with an ``analyze`` token may read and explain, not rebuild or install (worker.agents.tools.TOOL_SCOPES).
Through the whole system: API -> Redis -> Celery worker -> supervisor -> tools -> Jenkins double."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from api.auth import issue_token


def ask(api: Any, token: str, text: str, context: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.post(
        f"{api.url}/api/v1/tasks", json={"task": text, "context": context}, headers=headers, timeout=10
    )
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 60
    while True:
        view = requests.get(f"{api.url}{response.json()['status_url']}", headers=headers, timeout=10).json()
        if view["status"] in {"succeeded", "failed", "rejected"} or time.monotonic() > deadline:
            return dict(view)
        time.sleep(0.1)


def _writes(jenkins_double: Any) -> list[tuple[str, str]]:
    return [(m, p) for m, p in jenkins_double.requests if m == "POST" and "/api/json" not in p]


@pytest.mark.parametrize(
    ("text", "scopes", "needed"),
    [
        ("rebuild api-service 42 with DEBUG=true", ["analyze"], "operate"),
        ("install the git plugin", ["analyze", "operate"], "admin"),
    ],
)
def test_a_tool_refuses_a_task_whose_token_lacks_its_scope(
    api_server: Any, jenkins_double: Any, text: str, scopes: list[str], needed: str
) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build("api-service", 42, "FAILURE", "BUILD FAILURE\n", parameters={"DEBUG": "false"})
    jenkins_double.add_plugin("git", "4.0.0", installed=False)
    token = issue_token(api_server.settings, "jenkins-prod", 300, scopes=scopes)

    view = ask(api_server, token, text, {"confirm": True})

    assert view["status"] == "succeeded", view
    assert f"lacks the '{needed}' scope" in view["result"]["answer"], view["result"]["answer"]
    assert _writes(jenkins_double) == [] and jenkins_double.installs == []


def test_the_same_task_acts_with_the_scope(api_server: Any, jenkins_double: Any) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build("api-service", 42, "FAILURE", "BUILD FAILURE\n", parameters={"DEBUG": "false"})
    token = issue_token(api_server.settings, "oncall", 300, scopes=["analyze", "operate"])

    view = ask(api_server, token, "rebuild api-service 42 with DEBUG=true", {"confirm": True})

    assert view["status"] == "succeeded", view
    assert view["result"]["answer"].startswith("Rebuilt api-service #42"), view["result"]["answer"]
    assert _writes(jenkins_double) != []
