"""The agents' Jenkins-changing tools need the scope the same action needs through the REST API: a task sent
with an ``analyze`` token may read, explain and plan nothing it could not do itself, and a plan runs only if the
token that confirms it holds each action's scope (worker.agents.tools.TOOL_SCOPES).
Through the whole system: API -> Redis -> Celery worker -> supervisor -> tools -> Jenkins double."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from api.auth import issue_token


def _post(api: Any, token: str, path: str, body: dict[str, Any]) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.post(f"{api.url}{path}", json=body, headers=headers, timeout=10)


def _wait(api: Any, token: str, status_url: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 60
    while True:
        view = requests.get(f"{api.url}{status_url}", headers=headers, timeout=10).json()
        if view["status"] in {"succeeded", "failed", "rejected"} or time.monotonic() > deadline:
            return dict(view)
        time.sleep(0.1)


def ask(api: Any, token: str, text: str) -> dict[str, Any]:
    response = _post(api, token, "/api/v1/tasks", {"task": text, "context": {}})
    assert response.status_code == 202, response.text
    return _wait(api, token, response.json()["status_url"])


@pytest.fixture
def jenkins(jenkins_double: Any) -> Any:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build("api-service", 42, "FAILURE", "BUILD FAILURE\n", parameters={"DEBUG": "false"})
    jenkins_double.add_plugin("git", "4.0.0", installed=False)
    return jenkins_double


@pytest.mark.parametrize(
    ("text", "scopes", "needed"),
    [
        ("rebuild api-service #42", ["analyze"], "operate"),
        ("install the git plugin", ["analyze", "operate"], "admin"),
    ],
)
def test_a_task_cannot_plan_what_its_token_may_not_do(
    api_server: Any, jenkins: Any, text: str, scopes: list[str], needed: str
) -> None:
    token = issue_token(api_server.settings, "jenkins-prod", 300, scopes=scopes)

    view = ask(api_server, token, text)

    assert view["status"] == "succeeded", view
    result = view["result"]
    assert f"lacks the '{needed}' scope" in result["answer"], result["answer"]
    assert result["status"] != "needs_confirmation" and not result.get("plan"), result
    assert sorted(jenkins.jobs["api-service"].builds) == [42] and jenkins.installs == []


def test_a_plan_runs_only_for_a_confirming_token_with_the_scope(api_server: Any, jenkins: Any) -> None:
    oncall = issue_token(api_server.settings, "oncall", 300, scopes=["analyze", "operate"])
    reader = issue_token(api_server.settings, "ci", 300, scopes=["analyze"])

    # Planned with the scope; confirmed by a token without it (it could read the plan and its token): nothing runs.
    planned = ask(api_server, oncall, "rebuild api-service #42")["result"]
    assert planned["status"] == "needs_confirmation", planned
    confirmed = _post(
        api_server,
        reader,
        planned["confirmation"]["confirm_url"],
        {"token": planned["confirmation"]["token"]},
    )
    assert confirmed.status_code == 202, confirmed.text
    done = _wait(api_server, reader, confirmed.json()["status_url"])
    assert "lacks the 'operate' scope" in done["result"]["answer"], done
    assert sorted(jenkins.jobs["api-service"].builds) == [42]

    # The same plan confirmed by a token with the scope runs, once.
    planned = ask(api_server, oncall, "rebuild api-service #42")["result"]
    confirmed = _post(
        api_server,
        oncall,
        planned["confirmation"]["confirm_url"],
        {"token": planned["confirmation"]["token"]},
    )
    done = _wait(api_server, oncall, confirmed.json()["status_url"])
    assert done["result"]["answer"].startswith("Rebuilt api-service #42"), done
    assert sorted(jenkins.jobs["api-service"].builds) == [42, 43]
