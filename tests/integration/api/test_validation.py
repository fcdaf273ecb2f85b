"""Bad input to each endpoint gets the documented 4xx and a message naming the field and the rule."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH, STATIC_TOKEN, LiveServer

VALID_EVENT: dict[str, Any] = {
    "jenkins_url": "https://ci.example.com/",
    "job": "team/api-service",
    "build": 42,
    "event": "completed",
    "status": "FAILURE",
    "duration_ms": 61000,
    "stages": [{"name": "Test", "status": "FAILED", "duration_ms": 5000}],
    "parameters": {"BRANCH": "main"},
}

# (path, a valid body, a body with a value of the wrong type, the field it names, the rule: JSON types are taken
# strictly, so a string where a number or boolean belongs is a wrong type, never parsed)
JSON_ENDPOINTS = [
    ("/api/v1/events", VALID_EVENT, {**VALID_EVENT, "build": "forty-two"}, "build", "int_type"),
    ("/api/v1/tasks", {"task": "why did api-service #42 fail?"}, {"task": 5}, "task", "string_type"),
    ("/api/v1/jobs/team/api-service/builds", {"parameters": {"A": "1"}}, {"parameters": "A=1"}, "parameters",
     "dict_type"),
    ("/api/v1/jobs/team/api-service/builds/7/abort", {"confirm": True}, {"confirm": "maybe"}, "confirm",
     "bool_type"),
    ("/api/v1/jobs/team/api-service/builds/7/rebuild", {"confirm": False}, {"confirm": [1]}, "confirm",
     "bool_type"),
    ("/api/v1/plugins/git/install", {"confirm": False}, {"confirm": {"yes": 1}}, "confirm", "bool_type"),
]  # fmt: skip
PATHS = [row[0] for row in JSON_ENDPOINTS]


def _error(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(("path", "valid", "wrong", "field", "rule"), JSON_ENDPOINTS, ids=PATHS)
def test_rejects_value_of_wrong_type_naming_field_and_rule(
    client: FlaskClient, path: str, valid: dict[str, Any], wrong: dict[str, Any], field: str, rule: str
) -> None:
    response = client.post(path, json=wrong, headers=AUTH)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_error"
    assert {"field": field, "rule": rule} in [
        {"field": f["field"], "rule": f["rule"]} for f in error["fields"]
    ]
    assert field in error["message"]


@pytest.mark.parametrize("path", PATHS)
def test_rejects_malformed_json(client: FlaskClient, path: str) -> None:
    response = client.post(path, data=b'{"job": "x",', headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "malformed_json"
    assert "not valid JSON" in error["message"] and "line 1 column" in error["message"]


@pytest.mark.parametrize("path", PATHS)
def test_rejects_wrong_content_type(client: FlaskClient, path: str) -> None:
    response = client.post(path, data=b"job=x&build=1", headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 415
    error = _error(response)
    assert error["code"] == "unsupported_media_type"
    assert "application/json" in error["message"] and "text/plain" in error["message"]


@pytest.mark.parametrize("path", PATHS)
def test_rejects_oversize_body(make_app: Callable[..., Flask], path: str) -> None:
    client = make_app(MAX_BODY_BYTES="1024").test_client()
    body = json.dumps({"task": "x" * 2000, "confirm": True})
    response = client.post(path, data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 413
    error = _error(response)
    assert error["code"] == "payload_too_large" and "limit 1024 bytes" in error["message"]


@pytest.mark.parametrize("path", PATHS)
def test_rejects_unknown_field(client: FlaskClient, path: str) -> None:
    response = client.post(path, json={"surprise": 1}, headers=AUTH)
    assert response.status_code == 422
    error = _error(response)
    assert {"field": "surprise", "rule": "extra_forbidden"} in [
        {"field": f["field"], "rule": f["rule"]} for f in error["fields"]
    ]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/events", {k: v for k, v in VALID_EVENT.items() if k != "job"}, "job"),
        ("/api/v1/events", {k: v for k, v in VALID_EVENT.items() if k != "jenkins_url"}, "jenkins_url"),
        ("/api/v1/events", {**VALID_EVENT, "stages": [{"status": "FAILED"}]}, "stages.0.name"),
        ("/api/v1/tasks", {"context": {}}, "task"),
    ],
    ids=["event-job", "event-jenkins-url", "event-nested-stage-name", "task-text"],
)
def test_rejects_missing_field_naming_its_path(
    client: FlaskClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == 422
    error = _error(response)
    assert {"field": field, "rule": "missing", "message": "Field required"} in error["fields"]
    assert f"{field}: Field required (missing)" in error["message"]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({**VALID_EVENT, "status": None}, "status", "value_error"),  # completed events need a final status
        ({**VALID_EVENT, "job": "team/../secrets"}, "job", "value_error"),
        ({**VALID_EVENT, "build": 0}, "build", "greater_than_equal"),
        ({**VALID_EVENT, "jenkins_url": "ftp://ci"}, "jenkins_url", "string_pattern_mismatch"),
        ({**VALID_EVENT, "status": "BROKEN"}, "status", "literal_error"),
    ],
    ids=["completed-without-status", "job-dotdot", "build-zero", "url-scheme", "status-enum"],
)
def test_rejects_event_breaking_a_rule(
    client: FlaskClient, body: dict[str, Any], field: str, rule: str
) -> None:
    response = client.post("/api/v1/events", json=body, headers=AUTH)
    assert response.status_code == 422
    assert {"field": field, "rule": rule} in [
        {"field": f["field"], "rule": f["rule"]} for f in _error(response)["fields"]
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "malformed_json"), (b"[1, 2]", "validation_error"), (b'"text"', "validation_error")],
    ids=["empty", "array", "string"],
)
def test_rejects_body_that_is_not_an_object(client: FlaskClient, data: bytes, code: str) -> None:
    response = client.post("/api/v1/tasks", data=data, headers={**AUTH, "Content-Type": "application/json"})
    error = _error(response)
    assert error["code"] == code
    if code == "validation_error":
        assert error["fields"][0]["field"] == "body" and error["fields"][0]["rule"] == "model_type"


def test_rejects_invalid_job_path_in_url(client: FlaskClient) -> None:
    response = client.get("/api/v1/jobs/team/./api/builds", headers=AUTH)
    assert response.status_code == 422
    assert _error(response)["fields"][0]["field"] == "job"


@pytest.mark.parametrize(("limit", "rule"), [("abc", "int_parsing"), ("0", "range"), ("101", "range")])
def test_rejects_bad_limit_query(client: FlaskClient, limit: str, rule: str) -> None:
    response = client.get(f"/api/v1/jobs/team/api-service/builds?limit={limit}", headers=AUTH)
    assert response.status_code == 422
    assert _error(response)["fields"] == [
        {"field": "limit", "rule": rule, "message": _error(response)["fields"][0]["message"]}
    ]


def test_unknown_route_and_wrong_method_use_the_error_shape(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing/here", headers=AUTH)
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"
    wrong = client.delete("/api/v1/tasks", headers=AUTH)
    assert wrong.status_code == 405 and _error(wrong)["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"] and "DELETE is not allowed" in _error(wrong)["message"]
    outside = client.get("/favicon.ico")
    assert outside.status_code == 404 and _error(outside)["code"] == "not_found"


def _chunked_post(server: LiveServer, path: str, chunks: list[bytes], content_type: str) -> tuple[int, Any]:
    """POST with ``Transfer-Encoding: chunked`` (no Content-Length) over a real socket."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Authorization", f"Bearer {STATIC_TOKEN}")
        conn.putheader("Content-Type", content_type)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for chunk in chunks:
                conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer 413 and close before reading everything
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_rejects_oversize_chunked_body(live_server: LiveServer) -> None:
    """A chunked body has no Content-Length to check up front; the limit still applies while reading."""
    max_body = live_server.app.config["MAX_CONTENT_LENGTH"]
    chunk = b" " * 65536
    chunks = [b'{"task": "'] + [chunk] * (max_body // len(chunk) + 2) + [b'"}']
    status, body = _chunked_post(live_server, "/api/v1/tasks", chunks, "application/json")
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"


def test_accepts_chunked_body_within_limit(live_server: LiveServer) -> None:
    status, body = _chunked_post(
        live_server, "/api/v1/tasks", [b'{"task": "why did ', b'api-service fail?"}'], "application/json"
    )
    assert status == 202, body
    assert body["task_id"]
