"""Work acknowledged to a client survives a worker crash: ``kill -9`` mid-task, another worker finishes it."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import PYTHON, REPO_ROOT, make_settings, wait_until, worker_subprocess_env
from worker import task_names
from worker.settings import Settings

CONSOLE = "[Pipeline] sh\n+ npm ci\nnpm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nFinished: FAILURE\n"


class BlackHole:
    """A TCP server that reads requests and never answers: a Jenkins that hangs.

    ``task_started`` is set by a request for a job's build (the task at work), not by other calls such as the
    worker's periodic health ping, so the test kills the worker while it is inside the task.
    """

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.task_started = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)
            threading.Thread(target=self._read_request, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> None:
        try:
            request_line = conn.recv(4096).split(b"\r\n", 1)[0]
        except OSError:
            return
        if b"/job/" in request_line:
            self.task_started.set()

    def close(self) -> None:
        for conn in self._held:
            conn.close()
        self._sock.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    server = BlackHole()
    yield server
    server.close()


def _start_worker(
    settings: Settings, jenkins_url: str, name: str, log_path: Path, *, public_url: str
) -> subprocess.Popen[bytes]:
    env = worker_subprocess_env(
        settings,
        JENKINS_URL=jenkins_url,
        JENKINS_PUBLIC_URL=public_url,  # builds report the double's URL, whichever way this worker reaches it
        JENKINS_TIMEOUT_SECONDS="120",
        BROKER_VISIBILITY_TIMEOUT_SECONDS="3",
    )
    return subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool=prefork", "--concurrency=1",
         "--loglevel=INFO", "-n", f"{name}@%h", "--without-gossip", "--without-mingle"],
        cwd=REPO_ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_task_of_a_killed_worker_is_redelivered_and_completed(
    settings: Settings, jenkins_double: Any, black_hole: BlackHole, storage: Any, tmp_path: Path
) -> None:
    jenkins_double.add_job("web")
    jenkins_double.add_build("web", 5, "FAILURE", console=CONSOLE)
    producer = make_settings(REDIS_URL=settings.redis_url)
    from worker.celery_app import create_celery

    client = create_celery(producer)
    first = _start_worker(
        settings, black_hole.url, "doomed", tmp_path / "doomed.log", public_url=jenkins_double.url
    )
    second: subprocess.Popen[bytes] | None = None
    try:
        client.send_task(
            task_names.ANALYZE_BUILD, kwargs={"jenkins_url": jenkins_double.url, "job": "web", "build": 5}
        )
        # The first worker took the task and is stuck talking to the hanging "Jenkins".
        assert black_hole.task_started.wait(60), "the first worker never picked up the task"
        first.kill()
        first.wait(timeout=10)
        assert storage.analyses.get("web", 5) is None

        second = _start_worker(
            settings, jenkins_double.url, "rescuer", tmp_path / "rescuer.log", public_url=jenkins_double.url
        )
        try:
            wait_until(
                lambda: (storage.builds.get("web", 5) or {}).get("analysis_status") == "done",
                timeout=90,
                what="the redelivered analysis",
                interval=0.5,
            )
        except BaseException:
            print(
                (tmp_path / "rescuer.log").read_text(errors="replace")[-6000:]
            )  # shown by pytest on failure
            raise
        analysis = storage.analyses.get("web", 5)
        assert analysis["category"] == "dependency"
        assert storage.db.analyses.count_documents({"job": "web", "build": 5}) == 1
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        client.close()
