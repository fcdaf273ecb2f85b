"""withJenkinsAgent(retryTransient:) runs the body again in the same build: each attempt's failure is its own
event and its own analysis, of the part of the log that attempt added, with the console's line numbers."""

from __future__ import annotations

import time
from typing import Any

from tests.logs import DISK_FULL, MAVEN_TEST_FAILURE, line_of, pipeline_log
from tests.services import wait_for_idle_queue, wait_until
from worker import task_names
from worker.settings import Settings


def _wait(storage: Any, attempt: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        analysis = storage.analyses.get("web", 9)
        if analysis and analysis.get("attempt") == attempt:
            return dict(analysis)
        time.sleep(0.1)
    raise AssertionError(f"no analysis of attempt {attempt}")


def test_a_retried_attempt_is_analysed_on_the_log_it_added(
    celery_worker: Any, jenkins_double: Any, storage: Any, settings: Settings
) -> None:
    from worker.celery_app import app

    first_part = pipeline_log(DISK_FULL, noise_lines=120, seed=3, finished=False)
    jenkins_double.add_build("web", 9, None, console=first_part, building=True)
    event = {"jenkins_url": jenkins_double.url, "job": "web", "build": 9, "status": "FAILURE"}
    app.send_task(task_names.INGEST_EVENT, kwargs={"event": event})
    first = _wait(storage, 1)
    assert first["category"] == "infrastructure" and first["retryable"] is True

    second_part = pipeline_log(MAVEN_TEST_FAILURE, noise_lines=60, seed=4)
    jenkins_double.append_console("web", 9, second_part)
    app.send_task(task_names.INGEST_EVENT, kwargs={"event": {**event, "attempt": 2}})
    second = _wait(storage, 2)

    whole = first_part + second_part
    assert second["category"] == "test" and second["retryable"] is False
    assert second["log_range"]["first_line"] == first["log_range"]["last_line"] + 1
    block = second["excerpt"][0]
    assert block["start_line"] > first["log_range"]["last_line"]
    lines = whole.split("\n")[block["start_line"] - 1 : block["end_line"]]  # the console's own numbering
    assert [line.split() for line in block["text"].split("\n")] == [line.split() for line in lines]
    assert block["start_line"] <= line_of(whole, "AssertionFailedError") <= block["end_line"]
    assert "No space left on device" not in str(second["excerpt"])
    # the same event again is still one analysis: a redelivered attempt does not queue another
    wait_for_idle_queue(settings.redis_url)
    build, analysed = storage.builds.get("web", 9), storage.analyses.get("web", 9)
    app.send_task(task_names.INGEST_EVENT, kwargs={"event": {**event, "attempt": 2}})
    wait_until(
        lambda: storage.builds.get("web", 9)["updated_at"] != build["updated_at"],
        timeout=30,
        what="the repeat's refresh of the build",
    )
    wait_for_idle_queue(settings.redis_url)  # an analysis it queued would have run by now
    assert storage.analyses.get("web", 9)["updated_at"] == analysed["updated_at"]
    assert storage.db.build_events.count_documents({"job": "web", "build": 9}) == 2  # one per attempt
