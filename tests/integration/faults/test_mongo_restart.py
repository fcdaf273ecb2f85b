"""The MongoDB server restarted while a worker writes: the task retries with backoff; no analysis is lost or
stored twice, no description written twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.faults.conftest import Clock, WorkerProcess
from tests.services import ServiceProcess, start_secantus, wait_until
from worker import task_names
from worker.celery_app import create_celery
from worker.settings import Settings

BUILDS = range(1, 7)
HELD = 3  # the worker is reading this build's log when the database goes away


@pytest.fixture
def own_mongo(tmp_path: Path) -> Iterator[ServiceProcess]:
    """A SecantusDB on disk (its data outlives a restart), which this test stops and starts again."""
    (tmp_path / "mongo-data").mkdir()
    service = start_secantus(tmp_path, name="restarted-mongo", storage=str(tmp_path / "mongo-data"))
    yield service
    service.stop()


@pytest.fixture
def mongo_url(own_mongo: ServiceProcess) -> str:
    return own_mongo.url


def test_mongo_restart_during_writes_loses_and_repeats_nothing(
    settings: Settings,
    storage: Any,
    jenkins_double: Any,
    own_mongo: ServiceProcess,
    workers: Callable[..., WorkerProcess],
    fault_report: Callable[..., None],
) -> None:
    jenkins_double.add_job("web")
    for build in BUILDS:
        jenkins_double.add_build(
            "web", build, "FAILURE", console=f"+ make # {build}\nmake: *** [all] Error 2\nFinished: FAILURE\n"
        )
    jenkins_double.stall(f"/job/web/{HELD}/logText/progressiveText")
    worker = workers(settings, "steady", TASK_MAX_RETRIES="8", JENKINS_TIMEOUT_SECONDS="60")
    producer = create_celery(settings)
    try:
        for build in BUILDS:
            producer.send_task(
                task_names.ANALYZE_BUILD,
                kwargs={"jenkins_url": jenkins_double.url, "job": "web", "build": build},
            )
        assert jenkins_double.stalled.wait(90), "the worker never reached the held log"
        clock = Clock()
        own_mongo.stop()
        jenkins_double.release()  # the analysis goes on and reaches the database, which is gone
        wait_until(
            lambda: b"transient failure, retrying" in worker.log_path.read_bytes(),
            timeout=60,
            what="a retry after the database went away",
        )
        own_mongo.start_again()

        def all_done() -> bool:
            return all((storage.builds.get("web", b) or {}).get("analysis_status") == "done" for b in BUILDS)

        wait_until(all_done, timeout=120, what="every analysis after the restart", interval=0.2)
        recovery = clock.seconds
    finally:
        producer.close()
    analyses = {b: storage.db.analyses.count_documents({"job": "web", "build": b}) for b in BUILDS}
    writes = {b: jenkins_double.requests.count(("POST", f"/job/web/{b}/submitDescription")) for b in BUILDS}
    lost = sum(1 for n in analyses.values() if n == 0)
    duplicated = sum(max(0, n - 1) for n in [*analyses.values(), *writes.values()])
    fault_report(
        "MongoDB restarted during writes",
        lost=lost,
        duplicated=duplicated,
        recovery_seconds=recovery,
        note=f"{len(BUILDS)} analyses; the held one retried",
    )
    assert analyses == dict.fromkeys(BUILDS, 1)
    assert writes == dict.fromkeys(BUILDS, 1)
