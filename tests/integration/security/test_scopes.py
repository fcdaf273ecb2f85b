"""Least privilege: every /api/v1 operation needs the token scope it declares, and no other grants it.

The matrix is read from the served OpenAPI document, so a new route is covered the day it is added (and a
route that declares no scope needs ``admin``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from api.auth import GRANTS, SCOPES, issue_token
from api.cli import token as token_command
from worker.models import BuildEvent
from worker.settings import get_settings
from worker.storage import Storage

#: Values for path parameters: enough to reach the view (the scope check comes before the view runs).
PATH_VALUES = {
    "job": "team/api",
    "number": "7",
    "item_id": "12",
    "name": "git",
    "task_id": "nope",
    "token": "x",
}
#: What each route needs, as the README's scope table says (a change here is a change of the contract).
EXPECTED = {
    ("post", "/api/v1/events"): "analyze",
    ("post", "/api/v1/analyze"): "analyze",
    ("post", "/api/v1/tasks"): "analyze",
    ("post", "/api/v1/tasks/{task_id}/confirm"): "analyze",  # each action: its tool's scope, in the worker
    ("get", "/api/v1/tasks/{task_id}"): "read",
    ("get", "/api/v1/tasks/{task_id}/stream"): "read",
    ("get", "/api/v1/jobs/{job}/builds"): "read",
    ("get", "/api/v1/jobs/{job}/builds/{number}"): "read",
    ("get", "/api/v1/jobs/{job}/builds/{number}/analysis"): "read",
    ("post", "/api/v1/jobs/{job}/builds"): "operate",
    ("post", "/api/v1/jobs/{job}/builds/{number}/abort"): "operate",
    ("post", "/api/v1/jobs/{job}/builds/{number}/rebuild"): "operate",
    ("post", "/api/v1/queue/{item_id}/cancel"): "operate",
    ("post", "/api/v1/plugins/{name}/install"): "admin",
}


def _operations(client: FlaskClient) -> list[tuple[str, str, str]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    return [
        (method, path, op["x-required-scope"])
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method != "parameters" and op.get("security") != []
    ]


def _url(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


@pytest.fixture
def token_with(app: Flask) -> Callable[[str], dict[str, str]]:
    settings = app.extensions["langchain_jenkins"].settings

    def make(scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(settings, 'scoped', 300, scopes=[scope])}"}

    return make


def test_every_operation_declares_the_scope_the_contract_says(client: FlaskClient) -> None:
    declared = {(method, path): scope for method, path, scope in _operations(client)}
    assert {key: declared.get(key) for key in EXPECTED} == EXPECTED
    assert all(path.startswith("/api/v1/") for _, path in declared), "public routes need no token"
    assert set(declared.values()) <= set(SCOPES)


def test_each_scope_opens_exactly_the_operations_it_grants(
    client: FlaskClient, token_with: Callable[[str], dict[str, str]]
) -> None:
    wrong: list[str] = []
    for method, path, needed in _operations(client):
        for scope in SCOPES:
            response = client.open(_url(path), method=method.upper(), headers=token_with(scope), json={})
            allowed = needed in GRANTS[scope]
            if allowed and response.status_code in (401, 403):
                wrong.append(f"{scope} refused {method} {path}: {response.status_code}")
            if not allowed:
                body = response.get_json() or {}
                if response.status_code != 403 or f"'{needed}' scope" not in body["error"]["message"]:
                    wrong.append(f"{scope} not refused {method} {path}: {response.status_code}")
    assert wrong == []


def test_the_403_names_the_missing_scope_in_body_and_challenge(
    client: FlaskClient, token_with: Callable[[str], dict[str, str]]
) -> None:
    response = client.post("/api/v1/jobs/team/api/builds", headers=token_with("analyze"), json={})
    assert response.status_code == 403
    assert response.get_json()["error"] == {
        "code": "forbidden",
        "message": "this token lacks the 'operate' scope needed to POST /api/v1/jobs/<path:job>/builds",
        "fields": [],
    }
    assert 'error="insufficient_scope", scope="operate"' in response.headers["WWW-Authenticate"]


def test_the_jenkins_steps_need_only_analyze(
    client: FlaskClient, token_with: Callable[[str], dict[str, str]], queued: Any, storage: Storage
) -> None:
    # publishBuildEvent, analyzeFailure and askJenkinsAgent: POST events/tasks, GET the build and the task.
    auth = token_with("analyze")
    event = {"jenkins_url": "https://ci.example.com", "job": "team/api", "build": 7, "status": "FAILURE"}
    storage.builds.upsert_event(BuildEvent.model_validate(event))  # as the worker would have stored it
    assert client.post("/api/v1/events", json=event, headers=auth).status_code == 202
    accepted = client.post("/api/v1/tasks", json={"task": "why did team/api #7 fail?"}, headers=auth)
    assert accepted.status_code == 202
    assert client.get(accepted.get_json()["status_url"], headers=auth).status_code == 200
    assert client.get("/api/v1/jobs/team/api/builds/7", headers=auth).status_code == 200
    # The task carries the token's scopes to the worker, whose Jenkins-changing tools check them.
    assert queued()[-1].kwargs["scopes"] == ["analyze", "read"]


def test_static_tokens_take_scopes_after_a_colon(make_app: Callable[..., Flask]) -> None:
    client = make_app(API_TOKENS="reader-tok:read,ops-tok:read+operate,legacy-tok").test_client()
    read = {"Authorization": "Bearer reader-tok"}
    ops = {"Authorization": "Bearer ops-tok"}
    legacy = {"Authorization": "Bearer legacy-tok"}
    assert client.get("/api/v1/jobs/team/api/builds", headers=read).status_code == 200
    assert client.post("/api/v1/jobs/team/api/builds", headers=read, json={}).status_code == 403
    assert client.post("/api/v1/plugins/git/install", headers=ops, json={}).status_code == 403
    assert client.post("/api/v1/jobs/team/api/builds", headers=ops, json={}).status_code not in (401, 403)
    # A bare token (how API_TOKENS was written before scopes) keeps its full access; the suffix is no token.
    assert client.post("/api/v1/plugins/git/install", headers=legacy, json={}).status_code not in (401, 403)
    assert (
        client.get("/api/v1/jobs/x/builds", headers={"Authorization": "Bearer reader-tok:read"}).status_code
        == 401
    )


def test_token_command_writes_the_scopes_asked_for(
    monkeypatch: pytest.MonkeyPatch, app: Flask, make_app: Callable[..., Flask]
) -> None:
    secret = app.extensions["langchain_jenkins"].settings.jwt_secret.get_secret_value()
    get_settings.cache_clear()
    monkeypatch.setenv("JWT_SECRET", secret)
    try:
        default = CliRunner().invoke(token_command, ["jenkins-prod"])
        operator = CliRunner().invoke(token_command, ["oncall", "--scope", "operate", "--scope", "read"])
        bad = CliRunner().invoke(token_command, ["x", "--scope", "root"])
    finally:
        get_settings.cache_clear()
    assert default.exit_code == 0 and operator.exit_code == 0, (default.output, operator.output)
    assert bad.exit_code == 2 and "root" in bad.output
    client = app.test_client()
    jenkins = {"Authorization": f"Bearer {default.output.strip()}"}
    oncall = {"Authorization": f"Bearer {operator.output.strip()}"}
    assert client.post("/api/v1/jobs/team/api/builds", headers=jenkins, json={}).status_code == 403
    assert client.post("/api/v1/jobs/team/api/builds", headers=oncall, json={}).status_code == 202
    assert client.post("/api/v1/tasks", headers=oncall, json={"task": "hi"}).status_code == 403
