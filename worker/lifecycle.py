"""Worker process start-up: logging, the metrics endpoint, and clients after fork.

Connected through Celery's signals; imported by the app (``include``) so every worker process has them.
"""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging, worker_init, worker_process_init, worker_ready

from worker.context import get_context
from worker.health import JenkinsHealthReporter
from worker.logging import configure_logging, get_logger
from worker.metrics import start_metrics_server
from worker.settings import get_settings

log = get_logger(__name__)


@setup_logging.connect
def _configure_logging(**_: Any) -> None:
    """Replace Celery's logging set-up with our structured one (one JSON shape for every line)."""
    configure_logging(get_settings())


@worker_init.connect
def _start_metrics(**_: Any) -> None:
    settings = get_settings()
    if settings.worker_metrics_port:
        start_metrics_server(settings.worker_metrics_port, multiprocess_dir=settings.prometheus_multiproc_dir)
        log.info("worker metrics served", port=settings.worker_metrics_port)


@worker_process_init.connect
def _connect_after_fork(**_: Any) -> None:
    """Each pool process opens its own MongoDB client (pymongo clients are not fork-safe) and indexes exist."""
    try:
        get_context().storage.ping()
    except Exception as exc:  # tasks retry on their own when the database comes back
        log.warning("MongoDB not reachable at process start", error=str(exc))


@worker_ready.connect
def _migrate_controller_keys(**_: Any) -> None:
    """Records of older versions are brought to the controller + job + number keys (once per worker start;
    idempotent and cheap: it reads the distinct controller URLs through their index)."""
    from worker.storage.migrations import canonicalize_controller_keys

    ctx = get_context()
    try:
        canonicalize_controller_keys(ctx.storage.db, ctx.settings.controllers.default_url)
    except Exception as exc:  # the database may be down at start; the next start tries again
        log.warning("controller keys not migrated", error=str(exc))


@worker_ready.connect
def _backfill_build_rollups(**_: Any) -> None:
    """Builds stored before the build-statistics rollups existed are rolled up once (a no-op afterwards: it
    looks for one rollup document)."""
    try:
        counted = get_context().storage.rollups.backfill_if_missing()
    except Exception as exc:  # the database may be down at start; the next start tries again
        log.warning("build rollups not backfilled", error=str(exc))
        return
    if counted:
        log.info("build rollups backfilled", builds=counted)


@worker_ready.connect
def _report_jenkins_health(**_: Any) -> None:
    """Check Jenkins every 30 s from the main process, for the API's /readyz."""
    ctx = get_context()
    if ctx.has_jenkins:
        JenkinsHealthReporter(ctx.jenkins.ping, ctx.redis).start()
