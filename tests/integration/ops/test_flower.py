"""Flower as docker-compose runs it: the exact command line of the compose file, with the compose environment
(on top of the worker image's own ENV), against a loopback Redis: it starts, asks for basic auth, serves
/metrics to Prometheus without it, and keeps its state in the --db file."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.services import REPO_ROOT, ServiceProcess, free_port, wait_until


def _image_env() -> dict[str, str]:
    """The ENV lines of Dockerfile.worker (what every container of that image inherits)."""
    text = (REPO_ROOT / "Dockerfile.worker").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} with nothing set: the default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_flower_starts_with_the_compose_command_and_environment(redis_url: str, tmp_path: Path) -> None:
    compose: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    flower = compose["services"]["flower"]
    environment = {k: _interpolate(str(v)) for k, v in flower["environment"].items()}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "MONGO_", "PROMETHEUS_"))}}
    env.update(_image_env())
    env.update(environment)
    assert "PROMETHEUS_MULTIPROC_DIR" not in env  # the folder does not exist in Flower's container
    env["REDIS_URL"] = redis_url  # the compose host "redis" is our loopback Redis here
    env["PYTHONPATH"] = str(REPO_ROOT)
    user, password = env["FLOWER_BASIC_AUTH"].split(":", 1)

    volume = str(tmp_path)
    (mount,) = [v.split(":")[1] for v in flower["volumes"]]
    port = free_port()
    command = [
        arg.replace(mount, volume).replace("--port=5555", f"--port={port}") for arg in flower["command"]
    ]
    assert command[0] == "celery"
    args = [sys.executable, "-m", "celery", *command[1:], "--address=127.0.0.1"]
    log_path = tmp_path / "flower.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    service = ServiceProcess("flower", proc, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_until(
            lambda: urllib.request.urlopen(service.url + "/healthcheck", timeout=1).status == 200,
            timeout=30,
            what=f"flower ({service.log_tail()})",
            interval=0.2,
        )
        metrics = urllib.request.urlopen(service.url + "/metrics", timeout=5).read().decode()
        assert "flower_events_total" in metrics or "flower_worker_online" in metrics, metrics[:500]
        try:
            urllib.request.urlopen(service.url + "/workers", timeout=5)
            raise AssertionError("the UI answered without credentials")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        login = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = urllib.request.Request(
            service.url + "/workers", headers={"Authorization": f"Basic {login}"}
        )
        assert urllib.request.urlopen(request, timeout=5).status == 200
        assert proc.poll() is None, service.log_tail()
    finally:
        service.stop()
    assert "Traceback" not in log_path.read_text(errors="replace"), service.log_tail()
    assert list(tmp_path.glob("flower.db*")), "no persistent state was written to the volume"
