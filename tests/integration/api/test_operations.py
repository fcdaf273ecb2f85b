"""Operations: readiness per dependency, Prometheus metrics, request ids, per-token rate limits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH
from tests.integration.api.test_validation import VALID_EVENT
from tests.services import REPO_ROOT, free_port


def test_healthz_is_ok_without_any_dependency(make_app: Callable[..., Flask], closed_port_url: str) -> None:
    client = make_app(REDIS_URL=closed_port_url, MONGO_URL="mongodb://127.0.0.1:9").test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    for name in ("redis", "mongo", "broker"):
        assert body[name]["ok"] is True and body[name]["latency_ms"] >= 0
    assert body["jenkins"]["ok"] is None and "no worker has reported" in body["jenkins"]["detail"]


def test_readyz_is_503_naming_the_dependency_that_is_down(
    make_app: Callable[..., Flask], closed_port_url: str
) -> None:
    client = make_app(REDIS_URL=closed_port_url).test_client()
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["redis"]["ok"] is False and "Connection" in body["redis"]["error"]
    assert body["broker"]["ok"] is False
    assert body["mongo"]["ok"] is True


def _sample(metrics: str, name: str, **labels: str) -> float:
    for line in metrics.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_url_rule_and_enqueued_tasks(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    client.post("/api/v1/tasks", json={"task": "list the plugins"}, headers=AUTH)
    client.get("/api/v1/jobs/team/a/builds", headers=AUTH)
    client.get("/api/v1/jobs/team/b/builds", headers=AUTH)
    response = client.get("/metrics")
    assert response.mimetype == "text/plain"
    after = response.get_data(as_text=True)

    def delta(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    requests = "langchain_jenkins_api_requests_total"
    assert delta(requests, method="POST", endpoint="/api/v1/tasks", status="202") == 1
    # One series for both jobs: the label is the URL rule, not the path.
    assert delta(requests, method="GET", endpoint="/api/v1/jobs/<path:job>/builds", status="200") == 2
    assert delta("langchain_jenkins_api_tasks_enqueued_total", task="agents.handle_task") == 1
    assert (
        delta("langchain_jenkins_api_request_duration_seconds_count", method="POST", endpoint="/api/v1/tasks")
        == 1
    )


def test_request_id_is_echoed_or_created(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    created = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", created)
    # Errors carry it too.
    assert client.get("/api/v1/tasks/x", headers={"X-Request-ID": "err-1"}).headers["X-Request-ID"] == "err-1"


def test_rate_limit_is_429_with_retry_after_per_token(
    make_app: Callable[..., Flask], jwt_for: Callable[..., str]
) -> None:
    client = make_app(RATE_LIMIT="3/minute").test_client()
    alice = {"Authorization": f"Bearer {jwt_for('alice')}"}
    bob = {"Authorization": f"Bearer {jwt_for('bob')}"}
    path = "/api/v1/jobs/team/api-service/builds"
    # The budget is shared by every API route of a subject.
    assert [client.get(path, headers=alice).status_code for _ in range(2)] == [200, 200]
    assert client.get("/api/v1/tasks/unknown", headers=alice).status_code == 404
    limited = client.get(path, headers=alice)
    assert limited.status_code == 429
    error = limited.get_json()["error"]
    assert error["code"] == "rate_limited" and "3 per 1 minute" in error["message"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Another subject has its own budget; health and metrics are never limited.
    assert client.get(path, headers=bob).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_unauthenticated_requests_are_limited_by_address(make_app: Callable[..., Flask]) -> None:
    """Guessing tokens costs budget too: the limit runs before authentication."""
    client = make_app(RATE_LIMIT="2/minute").test_client()
    statuses = [
        client.get("/api/v1/plugins", headers={"Authorization": "Bearer guess"}).status_code for _ in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_redis_down_does_not_turn_reads_into_500s(
    make_app: Callable[..., Flask], closed_port_url: str
) -> None:
    """The limiter's storage is unreachable: limits hold in memory, reads from MongoDB still work."""
    client = make_app(REDIS_URL=closed_port_url, RATE_LIMIT="2/minute").test_client()
    path = "/api/v1/jobs/team/api-service/builds"
    assert [client.get(path, headers=AUTH).status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]


def test_metrics_sum_every_gunicorn_worker_process(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, /metrics serves what *other* processes of the API counted too."""
    script = (
        "from api.metrics import TASKS_ENQUEUED\nTASKS_ENQUEUED.labels(task='plugins.inventory').inc(3)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    for _ in range(2):  # two "workers", each counting 3
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    client = make_app(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)).test_client()
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "langchain_jenkins_api_tasks_enqueued_total", task="plugins.inventory") == 6


def test_mongo_down_is_503_for_reads_while_events_are_still_accepted(make_app: Callable[..., Flask]) -> None:
    """Storage outage: reads answer 503 (never 500) after the driver's selection timeout; events need only
    the broker."""
    client = make_app(MONGO_URL=f"mongodb://127.0.0.1:{free_port()}").test_client()
    response = client.get("/api/v1/jobs/team/api-service/builds", headers=AUTH)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert response.headers["Retry-After"] == "5"
    assert client.post("/api/v1/events", json=VALID_EVENT, headers=AUTH).status_code == 202
