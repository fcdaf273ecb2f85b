"""``jenkins-ai serve`` (the API under gunicorn) and ``jenkins-ai worker`` (a Celery worker): the two long-running
processes, started the same way by the Dockerfiles, docker-compose, the k8s manifests and people.

Both read everything else from the environment (``worker.settings``), refuse bad settings at start with the
variable named, and create ``PROMETHEUS_MULTIPROC_DIR`` when it is set (several processes write their metrics
there; a missing folder would crash the first metric update).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from worker.settings import Settings, get_settings


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.ClickException(f"invalid configuration: {problems}") from None


def prepare_metrics_dir(settings: Settings, *, wipe: bool) -> None:
    """Create ``PROMETHEUS_MULTIPROC_DIR`` if it is set; ``wipe`` empties it first (samples of processes from an
    earlier run would otherwise be summed in, as prometheus-client's documentation warns)."""
    folder = settings.prometheus_multiproc_dir
    if not folder:
        return
    path = Path(folder)
    if wipe and path.is_dir():
        for entry in path.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    path.mkdir(parents=True, exist_ok=True)


@click.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Processes.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Threads per process (each open event stream holds one for up to 5 minutes).",
)
@click.option(
    "--timeout", type=click.IntRange(min=1), default=120, show_default=True, help="Worker timeout, s."
)
def serve(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    """Run the HTTP API with gunicorn (threaded workers), configured from the environment."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise click.ClickException(
            "the API is not installed here: pip install 'langchain-jenkins[api]'"
        ) from None
    settings = _settings()
    prepare_metrics_dir(settings, wipe=True)

    class API(BaseApplication):  # gunicorn's documented custom-application hook
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": timeout,
                "graceful_timeout": 30,
                "accesslog": None,  # the app logs every request itself, with its request id
                "child_exit": _child_exit,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from api.wsgi import app  # imported in each worker process, after fork

            return app

    API().run()


def _child_exit(_server: Any, worker: Any) -> None:
    """A gunicorn worker exited: drop its live gauges from the shared metrics (prometheus-client's recipe)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


@click.command("worker")
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=None, help="Pool processes (default: CPUs)."
)
@click.option(
    "--queues",
    default=None,
    help="Comma-separated queues to consume (default: the queue the API sends to).",
)
@click.option(
    "--loglevel",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Default: LOG_LEVEL.",
)
@click.option("--hostname", default=None, help="Node name (default: worker@<host>).")
def worker_command(
    concurrency: int | None, queues: str | None, loglevel: str | None, hostname: str | None
) -> None:
    """Run a Celery worker for the tasks, with task events on (Flower and the metrics see every task)."""
    settings = _settings()
    prepare_metrics_dir(settings, wipe=False)  # several workers may share it (one per container, usually)
    from worker.celery_app import app

    argv = [
        "worker",
        "--events",
        f"--queues={queues or app.conf.task_default_queue}",
        f"--loglevel={(loglevel or settings.log_level).upper()}",
    ]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
