"""``jenkins-ai serve`` and ``jenkins-ai worker`` as the images run them: real subprocesses on real sockets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import REPO_ROOT, ServiceProcess, free_port, wait_until

# The console script pip installed (beside this interpreter in a virtualenv, on the PATH otherwise).
JENKINS_AI = shutil.which(
    "jenkins-ai", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
)
CELERY = [sys.executable, "-m", "celery"]


def _jenkins_ai() -> str:
    if JENKINS_AI is None:
        pytest.fail("the jenkins-ai command is not installed: pip install -e '.[dev]'")
    return JENKINS_AI


def _env(redis_url: str, mongo_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JENKINS_", "MONGO_", "REDIS_"))
    }
    env.update(
        REDIS_URL=redis_url,
        MONGO_URL=mongo_url,
        API_TOKENS="t0ken",
        JWT_SECRET="a-test-jwt-secret-of-32-bytes-or-more",
        LOG_FORMAT="console",
        PYTHONPATH=str(REPO_ROOT),
    )
    env.update(extra)
    return env


def _start(args: list[str], env: dict[str, str], log_path: Path, url: str) -> ServiceProcess:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    return ServiceProcess(args[1], proc, url, log_path)


@pytest.fixture
def served(redis_url: str, mongo_url: str, tmp_path: Path) -> Iterator[tuple[ServiceProcess, Path]]:
    port = free_port()
    metrics_dir = tmp_path / "not" / "there" / "yet"
    env = _env(redis_url, mongo_url, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    args = [
        JENKINS_AI,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--threads",
        "4",
    ]
    service = _start(args, env, tmp_path / "serve.log", f"http://127.0.0.1:{port}")
    try:
        wait_until(
            lambda: urllib.request.urlopen(service.url + "/healthz", timeout=1).status == 200,
            timeout=30,
            what=f"jenkins-ai serve ({service.log_tail()})",
        )
        yield service, metrics_dir
    finally:
        service.stop()


def test_serve_answers_the_openapi_description_and_sums_metrics_of_its_processes(
    served: tuple[ServiceProcess, Path],
) -> None:
    service, metrics_dir = served
    with urllib.request.urlopen(service.url + "/api/v1/openapi.json", timeout=10) as response:
        spec = json.load(response)
    assert spec["openapi"] == "3.1.0" and "/api/v1/events" in spec["paths"]
    assert metrics_dir.is_dir()  # created for the processes that write their samples there
    with urllib.request.urlopen(service.url + "/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert 'langchain_jenkins_api_requests_total{endpoint="/api/v1/openapi.json"' in metrics


def test_serve_refuses_a_short_jwt_secret_naming_the_variable(redis_url: str, mongo_url: str) -> None:
    env = _env(redis_url, mongo_url, JWT_SECRET="12345")
    done = subprocess.run([_jenkins_ai(), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "JWT_SECRET must be at least 32 bytes (it has 5)" in done.stderr


def test_worker_consumes_the_api_queue_with_events_and_answers_its_health_check(
    redis_url: str, mongo_url: str, tmp_path: Path
) -> None:
    env = _env(redis_url, mongo_url, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    node = f"test-{free_port()}@localhost"
    args = [_jenkins_ai(), "worker", "--concurrency", "1", "--hostname", node, "--loglevel", "warning"]
    service = _start(args, env, tmp_path / "worker.log", redis_url)
    inspect = [*CELERY, "-A", "worker.celery_app", "inspect", "--timeout", "2", "-j", "-d", node]
    try:
        # The Dockerfile's HEALTHCHECK: `celery inspect ping` for this node only.
        wait_until(
            lambda: (
                subprocess.run([*inspect, "ping"], env=env, capture_output=True, timeout=30).returncode == 0
            ),
            timeout=60,
            what=f"jenkins-ai worker ({service.log_tail()})",
            interval=0.5,
        )
        stats = subprocess.run(
            [*inspect, "active_queues"], env=env, capture_output=True, text=True, timeout=30
        )
        queues = json.loads(stats.stdout)[node]
        assert [q["name"] for q in queues] == ["celery"]  # where the API sends (Celery's default queue)
        conf = subprocess.run([*inspect, "conf"], env=env, capture_output=True, text=True, timeout=30)
        assert json.loads(conf.stdout)[node]["worker_send_task_events"] is True  # -E: Flower sees tasks
    finally:
        service.stop()
    assert (tmp_path / "metrics").is_dir()
