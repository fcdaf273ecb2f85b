"""A worker SIGKILLed in the middle of an analysis: its message is redelivered and every analysis is stored once,
every description written once, on Redis (after the visibility timeout) and on RabbitMQ (at once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kombu
import pytest

from tests.integration.faults.conftest import Clock, WorkerProcess
from tests.services import ServiceProcess, wait_until
from worker import task_names
from worker.celery_app import create_celery
from worker.settings import Settings

BUILDS = (1, 2, 3)
KILLED_IN = 2  # the build whose log the first worker is reading when it dies


def console(build: int) -> str:
    return (
        f"[Pipeline] sh\n+ npm ci # build {build}\nnpm ERR! code ERESOLVE\n"
        "npm ERR! ERESOLVE unable to resolve dependency tree\nFinished: FAILURE\n"
    )


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_overrides(broker: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if broker == "redis":
        return {}
    rabbit: ServiceProcess = request.getfixturevalue("rabbitmq_service")
    with kombu.Connection(rabbit.url) as conn:  # a clean queue: the node lives for the whole session
        conn.default_channel.queue_purge("celery") if _queue_exists(conn, "celery") else None
    return {"BROKER_URL": rabbit.url}


def _queue_exists(conn: kombu.Connection, name: str) -> bool:
    try:
        conn.channel().queue_declare(name, passive=True)
    except Exception:
        return False
    return True


def description_writes(jenkins_double: Any, build: int) -> int:
    return jenkins_double.requests.count(("POST", f"/job/web/{build}/submitDescription"))


def test_worker_killed_mid_analysis_loses_and_repeats_nothing(
    broker: str,
    settings: Settings,
    storage: Any,
    jenkins_double: Any,
    workers: Callable[..., WorkerProcess],
    fault_report: Callable[..., None],
) -> None:
    jenkins_double.add_job("web")
    for build in BUILDS:
        jenkins_double.add_build("web", build, "FAILURE", console=console(build))
    # The first worker hangs reading build 2's log: it is killed in the middle of that analysis.
    jenkins_double.stall(f"/job/web/{KILLED_IN}/logText/progressiveText")
    producer = create_celery(settings)
    doomed = workers(settings, "doomed", JENKINS_TIMEOUT_SECONDS="60")
    try:
        for build in BUILDS:
            producer.send_task(
                task_names.ANALYZE_BUILD,
                kwargs={"jenkins_url": jenkins_double.url, "job": "web", "build": build},
            )
        assert jenkins_double.stalled.wait(90), "the first worker never reached build 2's log"
        assert (storage.builds.get("web", 1) or {}).get("analysis_status") == "done"
        clock = Clock()
        doomed.kill()
        jenkins_double.release()
        assert storage.analyses.get("web", KILLED_IN) is None

        workers(settings, "rescuer")

        def all_done() -> bool:
            return all((storage.builds.get("web", b) or {}).get("analysis_status") == "done" for b in BUILDS)

        wait_until(all_done, timeout=90, what="every analysis after the kill", interval=0.2)
        recovery = clock.seconds
    finally:
        producer.close()
    analyses = {b: storage.db.analyses.count_documents({"job": "web", "build": b}) for b in BUILDS}
    writes = {b: description_writes(jenkins_double, b) for b in BUILDS}
    lost = sum(1 for b in BUILDS if analyses[b] == 0)
    duplicated = sum(max(0, n - 1) for n in analyses.values()) + sum(max(0, n - 1) for n in writes.values())
    fault_report(
        f"worker SIGKILL mid-analysis ({broker})",
        lost=lost,
        duplicated=duplicated,
        recovery_seconds=recovery,
        note="3 analyses; visibility timeout 12 s"
        if broker == "redis"
        else "3 analyses; redelivered on disconnect",
    )
    assert analyses == {1: 1, 2: 1, 3: 1}
    assert writes == {1: 1, 2: 1, 3: 1}, "each description is written once"
    assert storage.analyses.get("web", KILLED_IN)["category"] == "dependency"
    assert jenkins_double.description("web", KILLED_IN)
