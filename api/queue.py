"""The API's side of the queue: a lightweight Celery client that sends tasks by name.

The API never imports ``worker.tasks`` (nor LangChain): it knows only the names in ``worker.task_names`` and
the JSON kwargs each task takes. It also never waits for a worker; results are read from MongoDB.

The client has no result backend on purpose: with a Redis backend, every ``send_task`` subscribes this process
to the task's result channel (``RedisBackend.on_task_call``) and the subscriptions pile up in a long-lived web
process. The worker stores results wherever its own configuration says.

Timeouts are short so that a dead broker turns into a quick 503, not a hung request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import amqp.exceptions
import redis.exceptions
from celery import Celery
from kombu.exceptions import BatchPublishError, OperationalError

from api.errors import APIError
from api.metrics import TASKS_ENQUEUED
from worker.logging import get_logger
from worker.settings import Settings

log = get_logger(__name__)

#: Seconds to wait for a TCP connection to the broker.
CONNECT_TIMEOUT_SECONDS = 2.0
#: One quick retry covers a broker restart or a stale pooled connection; more would only delay the 503.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.0, "interval_step": 0.2, "interval_max": 0.2}
RETRY_AFTER_SECONDS = 5

#: What a dead or unreachable broker raises (kombu wraps most of it; redis-py, py-amqp and the OS the rest).
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    # The publish batch (message + task-sent event, one pipeline) could not be flushed. Kombu calls delivery
    # "uncertain"; the client is told 503 and sends again, and a repeated event is recorded once by the worker.
    BatchPublishError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    amqp.exceptions.ConnectionError,  # RabbitMQ closed the connection or channel (RecoverableConnectionError)
    ConnectionError,
    TimeoutError,
)


def create_celery_client(settings: Settings) -> Celery:
    """A producer-only Celery app on the broker (``BROKER_URL``, else ``REDIS_URL``); connects to nothing yet."""
    app = Celery("langchain_jenkins_api", broker=settings.queue_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        broker_connection_timeout=CONNECT_TIMEOUT_SECONDS,
        broker_connection_retry=False,
        broker_connection_max_retries=1,
        broker_transport_options=(
            {"socket_connect_timeout": CONNECT_TIMEOUT_SECONDS, "socket_timeout": 5.0}
            if settings.uses_redis_broker
            # RabbitMQ: wait for the broker's publisher confirm, so a 202 means the queue has the message.
            else {"confirm_publish": True}
        ),
        task_publish_retry_policy=PUBLISH_RETRY_POLICY,
        # Flower shows a task as soon as the API sent it.
        task_send_sent_event=True,
        timezone="UTC",
    )
    return app


def broker_unavailable(exc: BaseException) -> APIError:
    """The 503 for a broker that cannot take a task right now."""
    return APIError(
        503,
        "broker_unavailable",
        "the task queue is unavailable; nothing was queued, retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class TaskQueue:
    """Sends tasks by name and counts them; broker failures become :func:`broker_unavailable`."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def send(
        self,
        name: str,
        kwargs: Mapping[str, Any],
        *,
        task_id: str,
        request_id: str | None = None,
        summary: str | None = None,
    ) -> str:
        """Publish task ``name`` with JSON ``kwargs`` under ``task_id``; returns the id.

        ``request_id`` travels as a message header so the worker's logs can carry the id of the HTTP request
        that caused the task. ``summary`` is what Flower and the worker's logs show for the arguments (Celery's
        ``kwargsrepr``; default: Celery's own repr of ``kwargs``, which costs the request a walk of them).

        On Redis the message and its ``task-sent`` event (for Flower) go in one pipeline, one round trip, on a
        pooled connection (kombu's publish batch). A broker error then comes from the flush, which kombu does
        not retry (delivery is uncertain): the client gets 503 and sends again, and a repeated event is
        recorded once by the worker.
        """
        options: dict[str, Any] = {"kwargsrepr": summary} if summary is not None else {}
        try:
            with self.celery.producer_or_acquire() as producer, producer.batch():
                self.celery.send_task(
                    name,
                    kwargs=dict(kwargs),
                    task_id=task_id,
                    producer=producer,
                    retry=True,
                    retry_policy=PUBLISH_RETRY_POLICY,
                    headers={"request_id": request_id} if request_id else None,
                    **options,
                )
        except BROKER_ERRORS as exc:
            log.warning("broker_unavailable", task=name, task_id=task_id, error=str(exc))
            raise broker_unavailable(exc) from exc
        TASKS_ENQUEUED.labels(task=name).inc()
        log.info("task_enqueued", task=name, task_id=task_id)
        return task_id

    def ping(self) -> None:
        """Raise if the broker cannot be reached (for ``/readyz``)."""
        with self.celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=CONNECT_TIMEOUT_SECONDS)
