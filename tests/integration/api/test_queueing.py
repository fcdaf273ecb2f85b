"""Accepted requests answer 202, record the task in MongoDB and leave its message (by name) on the broker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH, QueuedTask
from tests.integration.api.test_validation import VALID_EVENT
from worker import task_names
from worker.storage import Storage


def test_accepts_build_event_and_queues_ingest_by_name(
    client: FlaskClient, queued: Callable[[], list[QueuedTask]]
) -> None:
    response = client.post("/api/v1/events", json=VALID_EVENT, headers={**AUTH, "X-Request-ID": "req-42"})
    assert response.status_code == 202
    body = response.get_json()
    assert body == {
        "accepted": True,
        "task_id": body["task_id"],
        "status_url": "/api/v1/jobs/team/api-service/builds/42?jenkins_url=https://ci.example.com",
    }
    uuid.UUID(body["task_id"])
    [message] = queued()
    assert message.name == task_names.INGEST_EVENT == "builds.ingest_event"
    assert message.id == body["task_id"]
    # The validated, normalised event travels (trailing slash stripped from jenkins_url, defaults filled in).
    assert message.kwargs["event"]["jenkins_url"] == "https://ci.example.com"
    assert message.kwargs["event"]["stages"] == VALID_EVENT["stages"]
    assert message.kwargs["event"]["commit"] is None
    assert message.headers["request_id"] == "req-42"
    assert response.headers["X-Request-ID"] == "req-42"


def test_accepts_task_and_records_it_before_sending(
    client: FlaskClient, queued: Callable[[], list[QueuedTask]], storage: Storage
) -> None:
    response = client.post(
        "/api/v1/tasks",
        json={"task": "  why did api-service #42 fail?  ", "context": {"job": "api"}},
        headers=AUTH,
    )
    assert response.status_code == 202
    body = response.get_json()
    task_id = body["task_id"]
    assert body == {"task_id": task_id, "status_url": f"/api/v1/tasks/{task_id}"}

    record = storage.tasks.get(task_id)
    assert record is not None
    assert record["status"] == "queued" and record["kind"] == task_names.HANDLE_TASK
    [message] = queued()
    assert (message.id, message.name) == (task_id, "agents.handle_task")
    # The token's scopes ride along (the agents' Jenkins-changing tools check them); the body cannot set them.
    assert message.kwargs == {
        "task": "why did api-service #42 fail?",
        "context": {"job": "api"},
        "scopes": ["admin", "analyze", "operate", "read"],
    }

    # The status is readable at once, before any worker ran.
    status = client.get(body["status_url"], headers=AUTH)
    assert status.status_code == 200
    view = status.get_json()
    assert view["task_id"] == task_id and view["status"] == "queued" and view["kind"] == "agents.handle_task"
    assert view["result"] is None and view["error"] is None
    assert view["created_at"] and view["updated_at"]


def test_get_task_reports_the_stored_result(client: FlaskClient, storage: Storage) -> None:
    task_id = str(uuid.uuid4())
    storage.tasks.create(task_id, task_names.HANDLE_TASK, {"task": "x"})
    storage.tasks.mark_succeeded(task_id, {"agent": "log", "answer": "the tests failed"})
    view = client.get(f"/api/v1/tasks/{task_id}", headers=AUTH).get_json()
    assert view["status"] == "succeeded"
    assert view["result"] == {"agent": "log", "answer": "the tests failed"}
    assert "payload" not in view


@pytest.mark.parametrize("task_id", [str(uuid.uuid4()), "x" * 500])
def test_unknown_task_is_404(client: FlaskClient, task_id: str) -> None:
    response = client.get(f"/api/v1/tasks/{task_id}", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "body", "name", "kwargs"),
    [
        ("POST", "/api/v1/jobs/team/api-service/builds", {"parameters": {"BRANCH": "main"}},
         task_names.TRIGGER_BUILD,
         {"job": "team/api-service", "jenkins_url": "https://ci.example.com", "parameters": {"BRANCH": "main"}, "confirm": False}),
        ("POST", "/api/v1/jobs/team/api-service/builds", None,
         task_names.TRIGGER_BUILD, {"job": "team/api-service", "jenkins_url": "https://ci.example.com", "parameters": {}, "confirm": False}),
        ("POST", "/api/v1/jobs/team/api-service/builds/7/abort", {"confirm": True},
         task_names.ABORT_BUILD, {"job": "team/api-service", "build": 7, "confirm": True, "jenkins_url": "https://ci.example.com"}),
        ("POST", "/api/v1/jobs/team/api-service/builds/7/rebuild", None,
         task_names.REBUILD, {"job": "team/api-service", "build": 7, "confirm": False, "jenkins_url": "https://ci.example.com"}),
        ("POST", "/api/v1/queue/101/cancel", {"confirm": True}, task_names.CANCEL_QUEUE_ITEM,
         {"id": 101, "confirm": True, "jenkins_url": "https://ci.example.com"}),
        ("GET", "/api/v1/plugins", None, task_names.LIST_PLUGINS, {}),
        ("POST", "/api/v1/plugins/git-client/install", {"confirm": True},
         task_names.INSTALL_PLUGIN, {"name": "git-client", "confirm": True}),
    ],
    ids=["trigger", "trigger-empty-body", "abort", "rebuild", "cancel-queued", "plugins", "install-plugin"],
)  # fmt: skip
def test_actions_queue_their_task_with_a_record(
    client: FlaskClient,
    queued: Callable[[], list[QueuedTask]],
    storage: Storage,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    name: str,
    kwargs: dict[str, Any],
) -> None:
    response = client.open(path, method=method, json=body, headers=AUTH)
    assert response.status_code == 202, response.get_json()
    task_id = response.get_json()["task_id"]
    [message] = queued()
    assert (message.id, message.name, message.kwargs) == (task_id, name, kwargs)
    record = storage.tasks.get(task_id)
    assert record is not None and record["status"] == "queued" and record["kind"] == name


def test_rejects_invalid_plugin_name(client: FlaskClient, queued: Callable[[], list[QueuedTask]]) -> None:
    # An encoded slash is decoded before routing: no plugin route matches a name with a '/'.
    assert client.post("/api/v1/plugins/..%2Fetc/install", headers=AUTH).status_code == 404
    response = client.post("/api/v1/plugins/-rf/install", headers=AUTH)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"][0]["field"] == "name"
    assert queued() == []


def test_broker_down_is_503_quickly_and_marks_the_record_failed(
    make_app: Callable[..., Flask], closed_port_url: str, storage: Storage
) -> None:
    """Broker (Redis) on a closed port; MongoDB up: nothing is queued, the client is told to retry."""
    app = make_app(REDIS_URL=closed_port_url)
    client = app.test_client()
    started = time.monotonic()
    response = client.post("/api/v1/tasks", json={"task": "list plugins"}, headers=AUTH)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "broker_unavailable"
    assert response.headers["Retry-After"] == "5"
    assert elapsed < 5, f"a dead broker must fail fast, took {elapsed:.1f}s"
    records = list(storage.db.tasks.find({}))
    assert len(records) == 1 and records[0]["status"] == "failed"
    assert "queue is unavailable" in records[0]["error"]["message"]

    event = client.post("/api/v1/events", json=VALID_EVENT, headers=AUTH)
    assert event.status_code == 503 and event.get_json()["error"]["code"] == "broker_unavailable"
