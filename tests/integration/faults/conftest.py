"""Fault tests: real processes (workers, Redis, RabbitMQ, SecantusDB, the Jenkins double) stopped or killed with
signals while work is under way; each test counts what was lost and duplicated and how long recovery took.

Every test records one row (``fault_report``); ``make test-faults`` prints the table at the end of the run.
Time limits, the visibility timeout and retries are set short through settings, so that recovery takes
seconds; the tests wait on conditions, never on fixed sleeps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.services import PYTHON, REPO_ROOT, wait_until, worker_subprocess_env
from worker.settings import Settings

#: Short limits for the workers of these tests (production defaults: 120/240 s, visibility 300 s).
FAST: dict[str, str] = {
    "ANALYSIS_TIME_LIMIT_SECONDS": "8",
    "AGENT_TIME_LIMIT_SECONDS": "8",
    "LLM_TASK_SECONDS": "5",
    "BROKER_VISIBILITY_TIMEOUT_SECONDS": "12",
    "BROKER_RESTORE_INTERVAL_SECONDS": "1",
    "TASK_MAX_RETRIES": "2",
    "TASK_RETRY_BACKOFF_SECONDS": "0.5",
    "JENKINS_RETRIES": "1",
    "JENKINS_TIMEOUT_SECONDS": "3",
    "MONGO_TIMEOUT_SECONDS": "3",
}

_REPORT_KEY = pytest.StashKey[list[dict[str, Any]]]()


@dataclass
class FaultRow:
    fault: str
    lost: int
    duplicated: int
    recovery_seconds: float
    note: str = ""


@pytest.fixture
def fault_report(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``fault_report(fault, lost=, duplicated=, recovery_seconds=, note=)``: one row of the closing table."""

    def record(fault: str, *, lost: int, duplicated: int, recovery_seconds: float, note: str = "") -> None:
        row = FaultRow(fault, lost, duplicated, round(recovery_seconds, 1), note)
        request.config.stash.setdefault(_REPORT_KEY, []).append(row.__dict__)
        print(
            f"FAULT {row.fault}: lost {row.lost}, duplicated {row.duplicated}, recovery {row.recovery_seconds} s"
        )

    return record


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rows = config.stash.get(_REPORT_KEY, [])
    if not rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault tests")
    write(f"{'fault':<58} {'lost':>4} {'dup':>4} {'recovery s':>10}  note")
    for r in rows:
        write(
            f"{r['fault']:<58} {r['lost']:>4} {r['duplicated']:>4} {r['recovery_seconds']:>10}  {r['note']}"
        )


@dataclass
class WorkerProcess:
    """A real Celery worker (prefork, one child) in its own process group, so SIGKILL takes it whole, as
    when a container or machine dies."""

    settings: Settings
    name: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        env = worker_subprocess_env(self.settings, **{**FAST, **self.env})
        if self.settings.broker_url:
            env["BROKER_URL"] = self.settings.broker_url
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool=prefork",
                 "--concurrency=1", "--loglevel=INFO", "-n", f"{self.name}@%h", "--without-gossip",
                 "--without-mingle", "--without-heartbeat"],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        return self

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        wait_until(
            lambda: b" ready." in self.log_path.read_bytes(), timeout=timeout, what=f"worker {self.name}"
        )
        return self

    def kill(self) -> None:
        """SIGKILL to the whole worker (main process and its pool child)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, size: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """``workers(settings, name, **env)`` starts a worker subprocess; all are stopped after the test (their
    logs are printed when the test failed)."""
    started: list[WorkerProcess] = []

    def start(settings: Settings, name: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess(settings, name, tmp_path / f"{name}.log", env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        print(f"--- worker {worker.name} ---\n{worker.log_tail()}")  # shown by pytest when the test failed


class Clock:
    """Seconds since ``start()``: the recovery time of a fault."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def start(self) -> None:
        self.started = time.monotonic()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started
