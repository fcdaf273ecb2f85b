"""``GET /api/v1/metrics/builds``: totals, success rate and durations over a window, overall and by job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH
from worker.models import BuildEvent
from worker.storage import Storage

JENKINS = "https://ci.example.com"


def _completed(
    storage: Storage, job: str, build: int, status: str, duration_ms: int, days_ago: float = 0
) -> None:
    event = {"jenkins_url": JENKINS, "job": job, "build": build, "status": status, "duration_ms": duration_ms}
    storage.builds.upsert_event(BuildEvent.model_validate(event))
    if days_ago:
        when = datetime.now(UTC) - timedelta(days=days_ago)
        storage.db.builds.update_one({"job": job, "build": build}, {"$set": {"completed_at": when}})


def test_totals_rates_and_durations_over_the_window_by_job(client: FlaskClient, storage: Storage) -> None:
    for n in range(1, 21):  # api: 20 builds, 1..20 s, every 4th one fails
        _completed(storage, "team/api", n, "FAILURE" if n % 4 == 0 else "SUCCESS", n * 1000)
    _completed(storage, "team/web", 1, "UNSTABLE", 50_000)
    _completed(storage, "team/web", 2, "SUCCESS", 70_000)
    _completed(storage, "team/web", 3, "SUCCESS", 999_000, days_ago=10)  # outside the default 7 days
    storage.builds.upsert_event(  # started, never completed: not counted
        BuildEvent.model_validate({"jenkins_url": JENKINS, "job": "team/web", "build": 4, "event": "started"})
    )

    body = client.get("/api/v1/metrics/builds", headers=AUTH).get_json()
    assert body["window"]["hours"] == 168
    assert body["totals"] == {
        "builds": 22,
        "successes": 16,
        "failures": 5,
        "unstable": 1,
        "aborted": 0,
        "success_rate": round(16 / 22, 4),
        "mean_duration_ms": round((sum(range(1, 21)) * 1000 + 120_000) / 22),
        "p95_duration_ms": body["totals"]["p95_duration_ms"],
    }
    assert 20_000 <= body["totals"]["p95_duration_ms"] <= 70_000
    api, web = body["jobs"]  # busiest first
    assert (api["job"], api["builds"], api["success_rate"], api["mean_duration_ms"]) == (
        "team/api",
        20,
        0.75,
        10_500,
    )
    assert 18_000 <= api["p95_duration_ms"] <= 20_000
    assert (web["job"], web["builds"], web["mean_duration_ms"]) == ("team/web", 2, 60_000)

    month = client.get("/api/v1/metrics/builds?hours=720&job=team/web", headers=AUTH).get_json()
    assert [j["job"] for j in month["jobs"]] == ["team/web"] and month["totals"]["builds"] == 3

    nothing = client.get("/api/v1/metrics/builds?job=nobody", headers=AUTH).get_json()
    assert (
        nothing["totals"]["builds"] == 0
        and nothing["totals"]["success_rate"] is None
        and nothing["jobs"] == []
    )


def test_bad_windows_and_jobs_are_named(client: FlaskClient) -> None:
    for query, field in (
        ("hours=0", "hours"),
        ("hours=x", "hours"),
        ("job=a//b", "job"),
        ("jenkins_url=nope", "jenkins_url"),
    ):
        response = client.get(f"/api/v1/metrics/builds?{query}", headers=AUTH)
        assert response.status_code == 422, query
        assert response.get_json()["error"]["fields"][0]["field"] == field
