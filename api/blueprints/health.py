"""Liveness, readiness and metrics: no authentication, no rate limit (probes and Prometheus call them)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from api.openapi import Body, operation
from api.schemas import Health, Readiness
from api.services import services
from worker.health import read_report
from worker.queue_depth import QueueDepthCollector

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation(tags=["operations"], responses={200: Body(Health)}, public=True)
def healthz() -> dict[str, str]:
    """The process is alive and serving (checks nothing else, so a dependency outage never restarts it)."""
    return {"status": "ok"}


def _probe(check: Callable[[], object]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure means "not ready"; the reason is for the operator
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


@bp.get("/readyz")
@operation(
    tags=["operations"],
    responses={200: Body(Readiness, "ready"), 503: Body(Readiness, "not ready: see which dependency")},
    public=True,
)
def readyz() -> tuple[dict[str, Any], int]:
    """Redis, MongoDB and the broker, each reported; 503 unless all three answer.

    Jenkins is not checked here: the API never talks to Jenkins. Workers check it every 30 s and leave the
    result in Redis; it is reported, but does not decide readiness (the API still accepts work without it).
    """
    svc = services()
    report: dict[str, Any] = {
        "redis": _probe(svc.redis.ping),
        "mongo": _probe(lambda: svc.storage.ping()),
        "broker": _probe(svc.queue.ping),
    }
    try:
        report["jenkins"] = read_report(svc.redis)  # as last seen by a worker; informational only
    except Exception as exc:  # Redis down is already reported above
        report["jenkins"] = {"ok": None, "detail": f"unknown: {type(exc).__name__}"}
    ready = all(report[name]["ok"] for name in ("redis", "mongo", "broker"))
    report["status"] = "ready" if ready else "unavailable"
    return report, 200 if ready else 503


@bp.get("/metrics")
@operation(
    tags=["operations"],
    responses={
        200: Body(
            description="Prometheus text exposition format",
            media_type="text/plain; version=0.0.4",
            schema={"type": "string"},
        )
    },
    public=True,
)
def metrics() -> Response:
    """Prometheus exposition of the API's metrics.

    Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder, per deployment):
    every worker process then writes its samples there and any of them serves the sum of all; without it, a
    scrape would see only the worker that happened to answer.
    """
    svc = services()
    registry = CollectorRegistry()
    if svc.settings.prometheus_multiproc_dir:
        multiprocess.MultiProcessCollector(registry, path=svc.settings.prometheus_multiproc_dir)
    else:
        registry = REGISTRY  # this process's own metrics
    # What waits in the broker, read from Redis now (see worker.queue_depth); fresh per scrape, never kept.
    queue = CollectorRegistry(auto_describe=False)
    queue.register(QueueDepthCollector(svc.redis))
    return Response(generate_latest(registry) + generate_latest(queue), mimetype=CONTENT_TYPE_LATEST)
