"""The Celery application (and only the application).

Run a worker with ``celery -A worker.celery_app worker -l info``; Flower with ``celery -A worker.celery_app
flower``. Reliability choices, each on purpose:

- ``acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only after its task finished, so work
  acknowledged to a client survives a worker crash (it is redelivered); every task is therefore idempotent.
- ``worker_prefetch_multiplier=1``: a process reserves one message at a time, so long analyses don't hoard work
  that an idle process elsewhere could take; workers scale out horizontally.
- Time limits per kind of task (ANALYSIS_TIME_LIMIT_SECONDS for analyses, AGENT_TIME_LIMIT_SECONDS for
  everything else), short so that the Redis ``visibility_timeout`` (BROKER_VISIBILITY_TIMEOUT_SECONDS, default
  5 minutes) can be short too: it must outlast the longest hard limit (settings refuse it otherwise), and it
  is how long a crashed worker's unacknowledged message waits before another worker gets it. A RabbitMQ
  broker (``BROKER_URL=amqp://...``) redelivers as soon as the dead worker's connection drops.
- JSON only: no pickle from a network queue.
- Task events on, so Flower sees tasks.
"""

from __future__ import annotations

from celery import Celery

from worker import task_names
from worker.settings import Settings, get_settings, hard_time_limit

TASK_MODULES = (
    "worker.tasks.builds",
    "worker.tasks.logs",
    "worker.tasks.agents",
    "worker.tasks.plugins",
    "worker.tasks.pipelines",
)
#: Imported by every worker process with the tasks: signal handlers for logging, metrics and clients.
WORKER_MODULES = (*TASK_MODULES, "worker.lifecycle")


def create_celery(settings: Settings | None = None) -> Celery:
    """Build the worker's Celery app from settings (creating it connects to nothing)."""
    settings = settings or get_settings()
    app = Celery(
        "langchain_jenkins", broker=settings.queue_url, backend=settings.redis_url, include=WORKER_MODULES
    )
    analysis = settings.analysis_time_limit_seconds
    agent = settings.agent_time_limit_seconds
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_send_sent_event=True,
        worker_send_task_events=True,
        task_track_started=True,
        # Every task has the agents' limits but the analysis, which has its own (annotations win).
        task_soft_time_limit=agent,
        task_time_limit=hard_time_limit(agent),
        task_annotations={
            task_names.ANALYZE_BUILD: {"soft_time_limit": analysis, "time_limit": hard_time_limit(analysis)}
        },
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options=broker_transport_options(settings),
        result_backend_transport_options={"retry_policy": {"timeout": 5.0}},
        worker_hijack_root_logger=False,
        timezone="UTC",
    )
    app.conf.langchain_jenkins_settings = settings
    return app


def broker_transport_options(settings: Settings) -> dict[str, object]:
    """Kombu transport options: Redis needs its visibility timeout; RabbitMQ acknowledges by connection."""
    if not settings.uses_redis_broker:
        return {}
    visibility = settings.broker_visibility_timeout_seconds
    return {
        "visibility_timeout": visibility,
        # How soon a live worker re-queues a dead worker's unacknowledged message once its visibility timeout
        # has passed. Kombu's default sweep is every 10 s x 10 = 100 s; sweep every few seconds instead (one
        # cheap ZRANGE on Redis).
        "unacked_restore_interval": settings.broker_restore_interval_seconds
        or max(1, min(10, visibility // 3)),
        "unacked_restore_throttle": 1,
    }


app = create_celery()
