"""Builds and analyses as the worker stored them: newest first, with the analysis, 404s that say why."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH
from worker.models import BuildEvent
from worker.storage import Storage

JENKINS = "https://ci.example.com"
JOB = "team/api-service"


def _report(storage: Storage, build: int, status: str = "FAILURE", job: str = JOB) -> None:
    """Record a build the way the worker's ``builds.ingest_event`` does."""
    event = {
        "jenkins_url": JENKINS,
        "job": job,
        "build": build,
        "status": status,
        "duration_ms": 1000 * build,
    }
    storage.builds.upsert_event(BuildEvent.model_validate(event))


def _analysis(category: str = "test") -> dict[str, Any]:
    return {
        "category": category,
        "summary": "3 tests failed in OrderServiceTest",
        "excerpt": [{"start_line": 120, "end_line": 124, "text": "FAILED: testCreate", "score": 0.9}],
        "causes": [],
        "fingerprint": "ab12cd34",
        "stats": {"lines": 400, "bytes": 20000, "seconds": 0.01},
        "vector": {"testcreate": 1.0},
    }


def test_lists_builds_newest_first_with_limit(client: FlaskClient, storage: Storage) -> None:
    for number in (1, 3, 2, 10):
        _report(storage, number)
    _report(storage, 99, job="team/other")

    body = client.get(f"/api/v1/jobs/{JOB}/builds", headers=AUTH).get_json()
    assert body["job"] == JOB
    assert [b["build"] for b in body["builds"]] == [10, 3, 2, 1]
    assert body["builds"][0]["status"] == "FAILURE" and body["builds"][0]["duration_ms"] == 10000
    assert body["builds"][0]["jenkins_url"] == JENKINS
    assert "_id" not in body["builds"][0]

    limited = client.get(f"/api/v1/jobs/{JOB}/builds?limit=2", headers=AUTH).get_json()
    assert [b["build"] for b in limited["builds"]] == [10, 3]


def test_unknown_job_has_no_builds(client: FlaskClient) -> None:
    body = client.get("/api/v1/jobs/nobody/builds", headers=AUTH).get_json()
    assert body == {"job": "nobody", "builds": []}


def test_gets_build_with_its_analysis(client: FlaskClient, storage: Storage) -> None:
    _report(storage, 7)
    storage.builds.set_analysis_status(JOB, 7, "done", jenkins_url=JENKINS)
    storage.analyses.save(JENKINS, JOB, 7, _analysis())

    body = client.get(f"/api/v1/jobs/{JOB}/builds/7", headers=AUTH).get_json()
    assert body["build"]["build"] == 7 and body["build"]["analysis_status"] == "done"
    assert body["analysis"]["category"] == "test"
    assert body["analysis"]["excerpt"][0]["start_line"] == 120
    assert "vector" not in body["analysis"]

    only = client.get(f"/api/v1/jobs/{JOB}/builds/7/analysis", headers=AUTH)
    assert only.status_code == 200
    assert only.get_json()["fingerprint"] == "ab12cd34"


def test_build_without_analysis_has_null_analysis(client: FlaskClient, storage: Storage) -> None:
    _report(storage, 8, status="SUCCESS")
    body = client.get(f"/api/v1/jobs/{JOB}/builds/8", headers=AUTH).get_json()
    assert body["analysis"] is None and body["build"]["analysis_status"] == "none"
    response = client.get(f"/api/v1/jobs/{JOB}/builds/8/analysis", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_analysis_in_progress_is_404_analysis_pending(client: FlaskClient, storage: Storage) -> None:
    _report(storage, 9)
    storage.builds.set_analysis_status(JOB, 9, "pending", jenkins_url=JENKINS)
    response = client.get(f"/api/v1/jobs/{JOB}/builds/9/analysis", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "analysis_pending"
    assert (
        client.get(f"/api/v1/jobs/{JOB}/builds/9", headers=AUTH).get_json()["build"]["analysis_status"]
        == "pending"
    )


def test_unknown_build_is_404(client: FlaskClient) -> None:
    for path in (f"/api/v1/jobs/{JOB}/builds/404", f"/api/v1/jobs/{JOB}/builds/404/analysis"):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404
        error = response.get_json()["error"]
        assert error["code"] == "not_found" and f"{JOB} #404" in error["message"]
    assert client.get(f"/api/v1/jobs/{JOB}/builds/0", headers=AUTH).status_code == 404
