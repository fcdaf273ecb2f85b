"""The app factory connects to nothing; routes that need no service answer without a socket."""

from __future__ import annotations

import pytest
from flask import Flask

from api.app import create_app
from tests.services import make_settings


@pytest.fixture
def app() -> Flask:
    # Ports nobody listens on: the no_network guard would fail the test on any connection attempt anyway.
    return create_app(make_settings(REDIS_URL="redis://127.0.0.1:9/0", MONGO_URL="mongodb://127.0.0.1:9"))


def test_create_app_registers_every_area(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {
        "/api/v1/events",
        "/api/v1/tasks",
        "/api/v1/tasks/<task_id>",
        "/api/v1/tasks/<task_id>/stream",
        "/api/v1/jobs/<path:job>/builds",
        "/api/v1/jobs/<path:job>/builds/<int:number>",
        "/api/v1/jobs/<path:job>/builds/<int:number>/analysis",
        "/api/v1/plugins",
        "/api/v1/analyze",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= rules
    assert app.config["MAX_CONTENT_LENGTH"] == 1_048_576


def test_healthz_and_metrics_answer_without_services(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and b"langchain_jenkins_api_requests_total" in metrics.data


def test_unknown_route_and_wrong_method_outside_the_api_are_json(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.post("/healthz")
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"
