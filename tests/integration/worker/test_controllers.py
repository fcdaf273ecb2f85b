"""The worker talks only to configured controllers: a payload naming any other URL is rejected, never fetched."""

from __future__ import annotations

from typing import Any

from tests.jenkins_double import JenkinsDouble
from tests.services import wait_until
from worker import task_names


def test_a_task_naming_an_unconfigured_controller_is_rejected_without_a_request(
    celery_worker: Any, jenkins_double: JenkinsDouble, storage: Any
) -> None:
    from worker.celery_app import app

    stranger = JenkinsDouble(user="someone-else").start()  # a real server the worker was never told about
    try:
        stranger.add_build("web", 5, "FAILURE", console="boom\n")
        for name, kwargs in (
            (task_names.ANALYZE_BUILD, {"jenkins_url": stranger.url, "job": "web", "build": 5}),
            (task_names.INGEST_EVENT, {"event": {"jenkins_url": stranger.url, "job": "web", "build": 5,
                                                 "status": "FAILURE"}}),
        ):  # fmt: skip
            # What a user finds (GET /api/v1/tasks/<task_id>; an event keeps no result in Redis): rejected, and why.
            task_id = app.send_task(name, kwargs=kwargs).id
            wait_until(
                lambda: (storage.tasks.get(task_id) or {}).get("status") == "rejected",  # noqa: B023
                timeout=30,
                what=f"{name} rejected",
            )
            record = storage.tasks.get(task_id)
            assert record["kind"] == name and record["error"]["code"] == "invalid_payload"
            [error] = record["error"]["fields"]
            assert error["field"] == "jenkins_url" and error["rule"] == "unknown_controller"
        assert stranger.requests == []  # not one request: no log fetched, no credentials sent
        assert jenkins_double.requests == []  # and the configured one was not asked in its place
        assert storage.builds.get("web", 5) is None
    finally:
        stranger.stop()
