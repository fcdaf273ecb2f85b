"""Jenkins reachability, as seen by the workers, shared with the API's ``/readyz`` through Redis.

The API never talks to Jenkins; each worker checks it every ``INTERVAL_SECONDS`` and writes the result under
one Redis key with a time-to-live, so ``/readyz`` can say "Jenkins answered 12 s ago" or "no worker reported".
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis

from worker.metrics import JENKINS_UP

JENKINS_HEALTH_KEY = "langchain_jenkins:jenkins_health"
INTERVAL_SECONDS = 30.0
#: A report older than this is gone: no live worker has checked Jenkins recently.
TTL_SECONDS = 120


def check_jenkins(ping: Callable[[], bool]) -> dict[str, Any]:
    """Run one check and describe it."""
    started = time.perf_counter()
    try:
        ok = bool(ping())
        error = None if ok else "Jenkins did not answer like Jenkins"
    except Exception as exc:  # any failure means "not reachable"; the reason is for the operator
        ok, error = False, f"{type(exc).__name__}: {exc}"[:300]
    return {
        "ok": ok,
        "error": error,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "checked_at": datetime.now(UTC).isoformat(),
        "worker": socket.gethostname(),
    }


def write_report(client: redis.Redis, report: dict[str, Any]) -> None:
    client.set(JENKINS_HEALTH_KEY, json.dumps(report), ex=TTL_SECONDS)


def read_report(client: redis.Redis) -> dict[str, Any]:
    """The latest worker report, or ``ok: None`` when no worker reported within the TTL."""
    raw: bytes | None = client.get(JENKINS_HEALTH_KEY)  # type: ignore[assignment]  # sync client
    if raw is None:
        return {
            "ok": None,
            "detail": "no worker has reported on Jenkins recently (the API never calls Jenkins)",
        }
    report: dict[str, Any] = json.loads(raw)
    return report


class JenkinsHealthReporter(threading.Thread):
    """A daemon thread in the worker's main process that checks Jenkins periodically."""

    def __init__(
        self, ping: Callable[[], bool], client: redis.Redis, interval: float = INTERVAL_SECONDS
    ) -> None:
        super().__init__(name="jenkins-health", daemon=True)
        self._ping, self._client, self._interval = ping, client, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            # Redis down: the broker is down too, and /readyz already says so.
            report = check_jenkins(self._ping)
            JENKINS_UP.set(1 if report["ok"] else 0)
            with contextlib.suppress(redis.RedisError):
                write_report(self._client, report)
            self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()
