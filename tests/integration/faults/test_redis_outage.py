"""Redis stopped while build events arrive: the API answers 503 with Retry-After (never 2xx for an event it could
not queue); once Redis is back the worker reconnects by itself and every event answered 2xx is analysed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.faults.conftest import Clock, WorkerProcess
from tests.services import ServiceProcess, serve_api, start_redis, wait_until
from worker.settings import Settings

CONSOLE = "[Pipeline] sh\n+ npm ci\nnpm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nFinished: FAILURE\n"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[ServiceProcess]:
    """A Redis this test may stop: append-only, so a restart keeps the queue, as in production (compose)."""
    service = start_redis(tmp_path, name="outage-redis", appendonly=True)
    yield service
    service.stop()


@pytest.fixture
def settings_overrides(own_redis: ServiceProcess) -> dict[str, Any]:
    return {"REDIS_URL": own_redis.url}


def test_redis_outage_refuses_events_with_503_and_loses_none_it_accepted(
    settings: Settings,
    storage: Any,
    jenkins_double: Any,
    own_redis: ServiceProcess,
    workers: Callable[..., WorkerProcess],
    fault_report: Callable[..., None],
) -> None:
    jenkins_double.add_job("web")
    for build in range(1, 10):
        jenkins_double.add_build("web", build, "FAILURE", console=CONSOLE)
    workers(settings, "steady").wait_ready()
    accepted: list[int] = []
    refused: list[tuple[int, float, str | None]] = []
    with serve_api(settings) as api, requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {api.token}"

        def send(build: int) -> int:
            event = {"jenkins_url": jenkins_double.url, "job": "web", "build": build, "status": "FAILURE"}
            started = time.monotonic()
            response = http.post(f"{api.url}/api/v1/events", json=event, timeout=30)
            if response.status_code == 202:
                accepted.append(build)
            else:
                refused.append((build, time.monotonic() - started, response.headers.get("Retry-After")))
                assert response.status_code == 503, response.text
            return response.status_code

        def analysed(builds: list[int]) -> Callable[[], bool]:
            return lambda: all(
                (storage.builds.get("web", b) or {}).get("analysis_status") == "done" for b in builds
            )

        for build in (1, 2, 3):
            assert send(build) == 202
        wait_until(analysed([1, 2, 3]), timeout=60, what="the first analyses", interval=0.2)

        own_redis.stop()
        for build in (4, 5, 6):
            assert send(build) == 503
        own_redis.start_again()
        clock = Clock()
        # The client (publishBuildEvent) sends a refused event again after Retry-After; here at once.
        for build in (4, 5, 6, 7, 8, 9):
            wait_until(
                lambda b=build: send(b) == 202, timeout=30, what=f"event {build} accepted", interval=0.2
            )
        wait_until(analysed(accepted), timeout=90, what="every accepted event's analysis", interval=0.2)
        recovery = clock.seconds
    analyses = {b: storage.db.analyses.count_documents({"job": "web", "build": b}) for b in accepted}
    writes = {b: jenkins_double.requests.count(("POST", f"/job/web/{b}/submitDescription")) for b in accepted}
    lost = sum(1 for n in analyses.values() if n == 0)
    duplicated = sum(max(0, n - 1) for n in [*analyses.values(), *writes.values()])
    slowest = max(seconds for _, seconds, _ in refused)
    fault_report(
        "Redis stopped while events arrive",
        lost=lost,
        duplicated=duplicated,
        recovery_seconds=recovery,
        note=f"{len(refused)} x 503 + Retry-After (slowest {slowest:.2f} s), {len(accepted)} accepted",
    )
    assert sorted(set(accepted)) == list(range(1, 10))
    assert all(retry_after and int(retry_after) > 0 for _, _, retry_after in refused)
    assert lost == 0 and duplicated == 0
