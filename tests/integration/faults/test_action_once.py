"""Agent actions cannot run twice: a worker killed between its Jenkins write and the acknowledgement of its task
leaves one build, not two, when the task is redelivered (idempotency keys, ``worker.jenkins._idempotency``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.faults.conftest import Clock, WorkerProcess
from tests.services import wait_until
from worker import task_names
from worker.celery_app import create_celery
from worker.settings import Settings

# Where the first worker dies: waiting for the answer to its trigger (Jenkins queued the build; the worker never
# learnt it), or polling the queue item after it (the trigger was recorded as done).
KILL_POINTS = {
    "before the trigger's answer": ("/job/deploy/buildWithParameters", True),
    "after the trigger, waiting for the build": ("/queue/item/", False),
}


@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
def test_worker_killed_between_trigger_and_ack_leaves_one_build(
    kill_point: str,
    settings: Settings,
    storage: Any,
    jenkins_double: Any,
    workers: Callable[..., WorkerProcess],
    fault_report: Callable[..., None],
) -> None:
    jenkins_double.add_job("deploy", parameters={"ENV": "staging"})
    path, after = KILL_POINTS[kill_point]
    jenkins_double.stall(path, after=after)
    producer = create_celery(settings)
    task_id = str(uuid.uuid4())
    doomed = workers(settings, "doomed", JENKINS_TIMEOUT_SECONDS="60")
    try:
        producer.send_task(
            task_names.TRIGGER_BUILD,
            kwargs={"job": "deploy", "parameters": {"ENV": "prod"}, "wait_seconds": 5},
            task_id=task_id,
        )
        assert jenkins_double.stalled.wait(90), "the first worker never triggered the build"
        clock = Clock()
        doomed.kill()
        jenkins_double.release()
        workers(settings, "rescuer")

        def finished() -> bool:
            return (storage.tasks.get(task_id) or {}).get("status") == "succeeded"

        wait_until(finished, timeout=90, what="the redelivered trigger task", interval=0.2)
        recovery = clock.seconds
    finally:
        producer.close()
    triggers = sum(
        1 for method, p in jenkins_double.requests if method == "POST" and p.startswith("/job/deploy/build")
    )
    builds = len(jenkins_double.jobs["deploy"].builds) + sum(
        1 for q in jenkins_double.queue_entries.values() if q.job == "deploy" and q.build_number is None
    )
    result = storage.tasks.get(task_id)["result"]
    fault_report(
        f"worker SIGKILL {kill_point} (redis)",
        lost=1 - min(builds, 1),
        duplicated=max(0, builds - 1),
        recovery_seconds=recovery,
        note=f"{triggers} trigger POST(s), {builds} build(s)",
    )
    assert builds == 1, f"{builds} builds of deploy"
    assert triggers == 1
    assert result["build"] == 1 and result["queue_item"]["parameters"] == {"ENV": "prod"}
    assert jenkins_double.jobs["deploy"].builds[1].parameters["ENV"] == "prod"
    record = storage.actions.get(f"{task_id}:trigger:deploy")
    assert record["state"] == "done"
