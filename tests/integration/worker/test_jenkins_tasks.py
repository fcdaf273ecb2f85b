"""Jenkins capabilities reachable from the API (202 + a task) and from Celery by name, against the double."""

from __future__ import annotations

import time
from typing import Any

import requests

from worker import task_names

VALID = """pipeline {
    agent any
    stages {
        stage('Build') {
            steps {
                sh 'make'
            }
        }
    }
}
"""


def _result(api: Any, body: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.token}"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = requests.get(f"{api.url}{body['status_url']}", headers=headers, timeout=10).json()
        if task["status"] in {"succeeded", "failed", "rejected"}:
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {body['task_id']} did not finish")


def test_job_status_queue_and_validation_through_the_api(api_server: Any, jenkins_double: Any) -> None:
    headers = {"Authorization": f"Bearer {api_server.token}"}
    jenkins_double.add_job("team/api-service")
    for number, result in ((1, "SUCCESS"), (2, "FAILURE")):
        jenkins_double.add_build("team/api-service", number, result, console="done\n")

    posted = requests.get(f"{api_server.url}/api/v1/jobs/team/api-service/status?limit=5", headers=headers)
    assert posted.status_code == 202
    status = _result(api_server, posted.json())
    assert status["status"] == "succeeded", status
    assert [b["number"] for b in status["result"]["recent_builds"]] == [2, 1]
    assert status["result"]["last_failed_build"] == 2

    queue = _result(api_server, requests.get(f"{api_server.url}/api/v1/queue", headers=headers).json())
    assert queue["status"] == "succeeded", queue
    assert {"queue", "nodes"} <= set(queue["result"])

    good = requests.post(
        f"{api_server.url}/api/v1/pipelines/validate", json={"jenkinsfile": VALID}, headers=headers
    )
    verdict = _result(api_server, good.json())["result"]
    assert verdict["valid"] is True and verdict["lint"]["ok"] and verdict["jenkins"]["valid"]
    broken = requests.post(
        f"{api_server.url}/api/v1/pipelines/validate", json={"jenkinsfile": "pipeline {\n"}, headers=headers
    )
    assert _result(api_server, broken.json())["result"]["valid"] is False

    missing = requests.post(f"{api_server.url}/api/v1/pipelines/validate", json={}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"][0]["field"] == "jenkinsfile"


def test_wait_for_build_by_task_name(celery_worker: Any, jenkins_double: Any) -> None:
    from worker.celery_app import app

    jenkins_double.add_build("web", 9, "UNSTABLE", console="tests unstable\n")
    info = app.send_task(task_names.WAIT_FOR_BUILD, kwargs={"job": "web", "build": 9, "timeout_seconds": 10})
    result = info.get(timeout=30)
    assert result["number"] == 9 and result["result"] == "UNSTABLE"
