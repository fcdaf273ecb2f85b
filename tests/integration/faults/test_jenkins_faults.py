"""Jenkins answering 5xx, timing out, or cutting the log stream mid-way: bounded retries with backoff, then a
readable error stored on the build; the next event for that build is analysed as usual."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.faults.conftest import FAST, Clock
from tests.services import wait_until
from worker import task_names
from worker.settings import Settings

CONSOLE = "[Pipeline] sh\n+ mvn -B test\n[ERROR] COMPILATION ERROR\n[ERROR] Foo.java:[3,1] cannot find symbol\nFinished: FAILURE\n"
LOG = "/job/web/7/logText/progressiveText"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {**FAST, "JENKINS_TIMEOUT_SECONDS": "1"}


def inject(jenkins_double: Any, fault: str) -> None:
    if fault == "5xx":
        jenkins_double.fail_next(1000, 503, path=LOG)
    elif fault == "timeout":
        jenkins_double.stall(LOG, 1000)
    else:
        jenkins_double.cut_console_next(1000, after_bytes=30)


def event(jenkins_double: Any, attempt: int) -> dict[str, Any]:
    return {
        "jenkins_url": jenkins_double.url,
        "job": "web",
        "build": 7,
        "event": "completed",
        "status": "FAILURE",
        "attempt": attempt,
    }


@pytest.mark.parametrize("fault", ["5xx", "timeout", "cut log stream"])
def test_jenkins_fault_ends_in_a_readable_error_and_the_next_event_works(
    fault: str,
    settings: Settings,
    storage: Any,
    jenkins_double: Any,
    celery_worker: Any,
    fault_report: Callable[..., None],
) -> None:
    from worker.celery_app import app

    jenkins_double.add_job("web")
    jenkins_double.add_build("web", 7, "FAILURE", console=CONSOLE)
    inject(jenkins_double, fault)
    clock = Clock()
    app.send_task(task_names.INGEST_EVENT, kwargs={"event": event(jenkins_double, 1)})

    def status() -> str | None:
        return (storage.builds.get("web", 7) or {}).get("analysis_status")

    wait_until(lambda: status() == "failed", timeout=60, what="the analysis to give up", interval=0.1)
    gave_up = clock.seconds
    error = storage.builds.get("web", 7)["analysis_error"]
    assert error.startswith("JenkinsUnavailable: ") and "(after 3 attempts)" in error, error
    reads = jenkins_double.requests.count(("GET", LOG))
    assert 3 <= reads <= 3 * 2, f"bounded retries: {reads} reads of the log"

    jenkins_double.clear_faults()
    clock.start()
    app.send_task(task_names.INGEST_EVENT, kwargs={"event": event(jenkins_double, 2)})
    wait_until(lambda: status() == "done", timeout=60, what="the next event's analysis", interval=0.1)
    assert storage.builds.get("web", 7)["analysis_error"] is None
    assert storage.analyses.get("web", 7)["category"] == "compilation"
    assert storage.db.analyses.count_documents({"job": "web", "build": 7}) == 1
    fault_report(
        f"Jenkins {fault} on the log",
        lost=0,
        duplicated=0,
        recovery_seconds=gave_up,
        note=f"error stored after 3 attempts ({reads} reads); next event analysed in {clock.seconds:.1f} s",
    )
