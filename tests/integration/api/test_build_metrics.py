"""``GET /api/v1/metrics/builds``: totals, success rate and durations over a window, overall and by job."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH
from tests.services import REPO_ROOT
from worker.models import BuildEvent
from worker.settings import Settings
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
        # What a later completed event does: the rollups move the build from its old hour to its new one.
        assert storage.rollups.record(storage.db.builds.find_one({"job": job, "build": build}) or {})


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
    # The closed periods were packed by that read; a build completed again moves out of them, and the packs
    # made before the move are not used.
    assert client.get("/api/v1/metrics/builds?hours=720", headers=AUTH).get_json()["totals"]["builds"] == 23
    assert storage.db.build_rollup_periods.count_documents({"pack_flat": {"$exists": True}}) == 1  # that day
    # A pack of the earlier format (histogram pairs under "packed"), left by an older version, is not read.
    storage.db.build_rollup_periods.update_many(
        {"pack_flat": {"$exists": True}}, {"$set": {"packed": '{"team/web": [{"SUCCESS": 999}, 0, []]}'}}
    )
    assert client.get("/api/v1/metrics/builds?hours=720", headers=AUTH).get_json()["totals"]["builds"] == 23
    _completed(storage, "team/web", 3, "SUCCESS", 999_000)
    week = client.get("/api/v1/metrics/builds?hours=720", headers=AUTH).get_json()
    assert week["totals"]["builds"] == 23
    assert client.get("/api/v1/metrics/builds", headers=AUTH).get_json()["totals"]["builds"] == 23

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


def test_a_build_counts_once_and_the_rebuild_gives_the_same_answer(
    client: FlaskClient, storage: Storage
) -> None:
    for n in range(1, 6):
        _completed(storage, "team/api", n, "SUCCESS", n * 1000)
    _completed(storage, "team/api", 3, "SUCCESS", 3000)  # the same event redelivered: still one build
    _completed(storage, "team/api", 5, "FAILURE", 9000)  # a later attempt changed it: counted as it is now
    _completed(storage, "team.dotted/$job", 1, "ABORTED", 500)  # names that MongoDB field names cannot hold
    before = client.get("/api/v1/metrics/builds", headers=AUTH).get_json()
    api, dotted = before["jobs"]
    assert (api["builds"], api["successes"], api["failures"], api["mean_duration_ms"]) == (5, 4, 1, 3800)
    assert (dotted["job"], dotted["aborted"]) == ("team.dotted/$job", 1)
    assert 500 / 1.045 <= dotted["p95_duration_ms"] <= 500 * 1.045  # the histogram's bound
    assert before["window"]["from"].endswith(":00:00+00:00")  # whole hours

    # Builds stored before the rollups existed (an upgrade): the rebuild counts every completed build.
    for name in ("build_rollups", "build_rollup_periods", "build_rollup_marks"):
        storage.db[name].delete_many({})
    assert client.get("/api/v1/metrics/builds", headers=AUTH).get_json()["totals"]["builds"] == 0
    assert storage.rollups.backfill_if_missing() == 6
    assert storage.rollups.backfill_if_missing() == 0  # already there: nothing done
    after = client.get("/api/v1/metrics/builds", headers=AUTH).get_json()
    assert (after["totals"], after["jobs"]) == (before["totals"], before["jobs"])


def test_the_rollup_command_backfills_builds_stored_before_rollups(
    client: FlaskClient, storage: Storage, api_settings: Settings
) -> None:
    _completed(storage, "team/api", 1, "SUCCESS", 1000)
    for name in ("build_rollups", "build_rollup_periods", "build_rollup_marks"):
        storage.db[name].delete_many({})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGO_", "REDIS_", "JENKINS_"))}
    env.update(
        MONGO_URL=api_settings.mongo_url, MONGO_DB=api_settings.mongo_db, REDIS_URL=api_settings.redis_url
    )
    command = [sys.executable, "-m", "worker.cli", "metrics-rollup"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert first.returncode == 0 and "from 1 completed builds" in first.stdout, first.stdout + first.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
    assert client.get("/api/v1/metrics/builds", headers=AUTH).get_json()["totals"]["builds"] == 1


def _tokens(storage: Storage) -> dict[str, str]:
    return {
        p["_id"]: p["pack_id"] for p in storage.db.build_rollup_periods.find({"pack_id": {"$exists": True}})
    }


def test_a_late_build_in_a_closed_day_changes_the_next_answer(client: FlaskClient, storage: Storage) -> None:
    from worker.storage import build_metrics

    for n in range(1, 5):
        _completed(storage, "team/api", n, "SUCCESS", n * 1000, days_ago=3 + n)
    month = "/api/v1/metrics/builds?hours=720"
    one_job = month + "&job=team/api"
    assert client.get(month, headers=AUTH).get_json()["totals"]["builds"] == 4  # packs the closed days
    tokens = _tokens(storage)
    assert len(tokens) >= 4  # the four days, at least
    kept = len(build_metrics._MERGED)
    first = client.get(month, headers=AUTH).get_json()["totals"]  # merges the packs once and keeps the sum
    assert client.get(one_job, headers=AUTH).get_json()["totals"] == first
    assert len(build_metrics._MERGED) == kept + 2  # all jobs, one job
    assert client.get(month, headers=AUTH).get_json()["totals"] == first  # from the kept sum
    assert len(build_metrics._MERGED) == kept + 2

    # A build completing late into a closed day, and one completed again there (failed this time).
    _completed(storage, "team/api", 9, "SUCCESS", 60_000, days_ago=5)
    _completed(storage, "team/api", 2, "FAILURE", 2000, days_ago=5.01)
    expected = (5, 4, 1, round((1000 + 2000 + 3000 + 4000 + 60_000) / 5))
    for url in (month, one_job, month):
        after = client.get(url, headers=AUTH).get_json()["totals"]
        assert (after["builds"], after["successes"], after["failures"], after["mean_duration_ms"]) == expected
    assert _tokens(storage) != tokens  # the changed day was re-packed under a new token
    # The rebuild makes new packs (new tokens): the same answer, nothing kept from before is used.
    storage.rollups.rebuild()
    rebuilt = client.get(month, headers=AUTH).get_json()["totals"]
    assert (
        rebuilt["builds"],
        rebuilt["successes"],
        rebuilt["failures"],
        rebuilt["mean_duration_ms"],
    ) == expected
