"""The API's side of the queue: a lightweight Celery client that sends tasks by name.

The API never imports ``worker.tasks`` (nor LangChain): it knows only the names in ``worker.task_names`` and
the JSON kwargs each task takes. It also never waits for a worker; results are read from MongoDB.

The client has no result backend on purpose: with a Redis backend, every ``send_task`` subscribes this process
to the task's result channel (``RedisBackend.on_task_call``) and the subscriptions pile up in a long-lived web
process. The worker stores results wherever its own configuration says.

Timeouts are short so that a dead broker turns into a quick 503, not a hung request.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import amqp.exceptions
import redis
import redis.exceptions
from celery import Celery
from celery.utils.saferepr import saferepr
from celery.utils.time import utcoffset
from kombu.exceptions import BatchPublishError, OperationalError
from redis.backoff import NoBackoff
from redis.retry import Retry

from api.errors import APIError
from api.metrics import TASKS_ENQUEUED
from worker.logging import get_logger
from worker.settings import Settings
from worker.task_names import WITHOUT_EVENTS

log = get_logger(__name__)

#: Seconds to wait for a TCP connection to the broker.
CONNECT_TIMEOUT_SECONDS = 2.0
#: One quick retry covers a broker restart or a stale pooled connection; more would only delay the 503.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.0, "interval_step": 0.2, "interval_max": 0.2}
RETRY_AFTER_SECONDS = 5
#: Celery's default ``kwargsrepr_maxsize``: how long the arguments' repr in a message header gets.
KWARGSREPR_MAXSIZE = 1024

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


@dataclass(frozen=True)
class RateCharge:
    """One request's hit on the API's rate limit, taken in the same Redis script as the publish (one round trip
    per event instead of two). The key and the algorithm are Flask-Limiter's own (``limits``' moving window on
    Redis), so this budget is the one every other route of the same caller spends."""

    #: The limiter's Redis key for the caller (``LIMITS:LIMITER/<prefix>/<caller>/global/<n>/<m>/<unit>``).
    key: str
    #: Requests allowed per ``expiry`` seconds.
    amount: int
    expiry: int
    #: As Flask-Limiter words it, e.g. ``120 per 1 minute``.
    description: str


def rate_limited(charge: RateCharge, retry_after: int) -> APIError:
    """The 429 the limiter answers (same code, message and header as ``api.app``'s handler)."""
    return APIError(
        429,
        "rate_limited",
        f"rate limit of {charge.description} exceeded; retry after {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


#: In one script, so one round trip: (1) when KEYS[1] is set, a hit on the moving window, exactly as ``limits``'
#: ``acquire_moving_window.lua`` takes one (refused: the oldest timestamp in the window is returned, for
#: Retry-After); (2) when KEYS[2] is set, the task message onto its queue (kombu's Redis transport: LPUSH) and,
#: when ARGV[5] names the channel, its ``task-sent`` event on the fanout channel Flower listens to (PUBLISH)
#: (none for the tasks in ``task_names.WITHOUT_EVENTS``). A script runs atomically: a
#: refused request publishes nothing, and an accepted one is on the queue when the answer comes back.
_PUBLISH_SCRIPT = """
if KEYS[1] ~= '' then
    local timestamp = tonumber(ARGV[1])
    local limit = tonumber(ARGV[2])
    local expiry = tonumber(ARGV[3])
    if limit < 1 then
        return '0'
    end
    local entry = redis.call('lindex', KEYS[1], limit - 1)
    if entry and tonumber(entry) >= timestamp - expiry then
        return entry
    end
    redis.call('lpush', KEYS[1], timestamp)
    redis.call('ltrim', KEYS[1], 0, limit - 1)
    redis.call('expire', KEYS[1], expiry)
end
if KEYS[2] ~= '' then
    redis.call('lpush', KEYS[2], ARGV[4])
    if ARGV[5] ~= '' then
        redis.call('publish', ARGV[5], ARGV[6])
    end
end
return false
"""


class _NoEvents:
    """An event dispatcher for ``send_task`` that publishes nothing (no ``task-sent``)."""

    def publish(self, *args: Any, **kwargs: Any) -> None:
        pass


_NO_EVENTS = _NoEvents()

#: Celery's message protocol 2: the body's third element (no callbacks, errbacks, chain nor chord).
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}


class RedisPublisher:
    """Publishes Celery task messages straight to Redis: what ``Celery.send_task`` with kombu's Redis transport
    writes (protocol 2 message, LPUSH onto the queue's list, and the ``task-sent`` event PUBLISHed on the
    ``celeryev`` fanout channel), built here as JSON and sent by one script call on one long-lived client.

    Celery's own path costs the API more CPU than the rest of the request (its signature and routing machinery,
    kombu's producer, a publish batch that makes a new Redis client per call); this writes the same bytes in
    one round trip, and can take the request's rate-limit hit in it too. Only for ``redis://`` and
    ``rediss://`` brokers; any other (RabbitMQ) goes through Celery.
    """

    def __init__(self, url: str, *, queue: str = "celery") -> None:
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=5.0,
            # One immediate retry (a stale pooled connection after a Redis restart); more would delay the 503.
            retry=Retry(NoBackoff(), 1),
            health_check_interval=30,
        )
        self.queue = queue
        db = self.client.connection_pool.connection_kwargs.get("db", 0)
        self.event_channel = f"/{db}.celeryev/task.sent"  # kombu: keyprefix_fanout + exchange + "/" + key
        self.script = self.client.register_script(_PUBLISH_SCRIPT)
        self.hostname = f"gen{os.getpid()}@{socket.gethostname()}"  # what Celery calls a client's origin
        self.pid = os.getpid()
        self.reply_to = str(uuid.uuid4())
        self.clock = itertools.count(1)

    def message(
        self, name: str, kwargs: Mapping[str, Any], task_id: str, request_id: str | None, kwargsrepr: str
    ) -> tuple[str, str | None]:
        """The task message and its ``task-sent`` event (None for a task in ``WITHOUT_EVENTS``), as kombu's Redis
        transport stores them."""
        body = json.dumps([[], dict(kwargs), _EMBED])
        headers: dict[str, Any] = {
            "lang": "py",
            "task": name,
            "id": task_id,
            "shadow": None,
            "eta": None,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": [None, None],
            "root_id": task_id,
            "parent_id": None,
            "argsrepr": "()",
            "kwargsrepr": kwargsrepr,
            "origin": self.hostname,
            "ignore_result": None,
            "replaced_task_nesting": 0,
            "stamped_headers": None,
            "stamps": {},
        }
        if request_id:
            headers["request_id"] = request_id
        message = {
            "body": base64.b64encode(body.encode()).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": headers,
            "properties": {
                "correlation_id": task_id,
                "reply_to": self.reply_to,
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": self.queue},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
        if name in WITHOUT_EVENTS:
            return json.dumps(message), None
        event = json.dumps(
            {
                "hostname": self.hostname,
                "utcoffset": utcoffset(),
                "pid": self.pid,
                "clock": next(self.clock),
                "uuid": task_id,
                "root_id": task_id,
                "parent_id": None,
                "name": name,
                "args": "()",
                "kwargs": kwargsrepr,
                "retries": 0,
                "eta": None,
                "expires": None,
                "queue": self.queue,
                "exchange": "",
                "routing_key": self.queue,
                "timestamp": time.time(),
                "type": "task-sent",
            }
        )
        envelope = {
            "body": base64.b64encode(event.encode()).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {"hostname": self.hostname},
            "properties": {
                "delivery_mode": 1,
                "delivery_info": {"exchange": "celeryev", "routing_key": "task.sent"},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
        return json.dumps(message), json.dumps(envelope)

    def run(self, charge: RateCharge | None, message: tuple[str, str | None] | None) -> None:
        """Take ``charge`` (if any), then publish ``message`` (if any), in one script call; raises the 429 when
        the charge is refused (then nothing is published) and the broker errors as redis-py raises them."""
        keys = [charge.key if charge else "", self.queue if message else ""]
        args: list[str | int | float] = [time.time(), charge.amount, charge.expiry] if charge else [0, 0, 0]
        if message is None:
            args += ["", "", ""]
        elif message[1] is None:  # no task-sent event
            args += [message[0], "", ""]
        else:
            args += [message[0], self.event_channel, message[1]]
        refused = self.script(keys=keys, args=args)
        if refused is not None:
            assert charge is not None
            reset = float(refused) + charge.expiry if float(refused) > 0 else time.time() + charge.expiry
            raise rate_limited(charge, max(1, int(reset - time.time())))


class TaskQueue:
    """Sends tasks by name and counts them; broker failures become :func:`broker_unavailable`."""

    def __init__(self, celery: Celery, *, direct_url: str | None = None) -> None:
        self.celery = celery
        #: Set when the broker is a ``redis://``/``rediss://`` Redis: tasks are then published by
        #: :class:`RedisPublisher` (made on first use, after gunicorn has forked).
        self.direct_url = direct_url
        self._publisher: RedisPublisher | None = None

    @property
    def publisher(self) -> RedisPublisher | None:
        if self._publisher is None and self.direct_url:
            self._publisher = RedisPublisher(self.direct_url, queue=self.celery.conf.task_default_queue)
        return self._publisher

    def send(
        self,
        name: str,
        kwargs: Mapping[str, Any],
        *,
        task_id: str,
        request_id: str | None = None,
        summary: str | None = None,
        charge: RateCharge | None = None,
    ) -> str:
        """Publish task ``name`` with JSON ``kwargs`` under ``task_id``; returns the id.

        ``request_id`` travels as a message header so the worker's logs can carry the id of the HTTP request
        that caused the task. ``summary`` is what Flower and the worker's logs show for the arguments (Celery's
        ``kwargsrepr``; default: the repr of ``kwargs``). ``charge`` is the request's rate-limit hit, taken
        atomically before the publish (only with a Redis broker: :meth:`charges_in_publish`); over the limit,
        nothing is published and the 429 is raised.

        On Redis the message and its ``task-sent`` event (for Flower; none for ``WITHOUT_EVENTS``) go in one
        script call: one round trip, on a pooled connection. A broker error is not retried beyond one immediate
        attempt (delivery may be uncertain): the client gets 503 and sends again, and a repeated event is
        recorded once by the worker.
        """
        publisher = self.publisher
        try:
            if publisher is not None:
                kwargsrepr = summary if summary is not None else saferepr(dict(kwargs), KWARGSREPR_MAXSIZE)
                publisher.run(charge, publisher.message(name, kwargs, task_id, request_id, kwargsrepr))
            else:
                self._send_with_celery(name, kwargs, task_id, request_id, summary)
        except BROKER_ERRORS as exc:
            log.warning("broker_unavailable", task=name, task_id=task_id, error=str(exc))
            raise broker_unavailable(exc) from exc
        TASKS_ENQUEUED.labels(task=name).inc()
        log.info("task_enqueued", task=name, task_id=task_id)
        return task_id

    @property
    def charges_in_publish(self) -> bool:
        """Whether :meth:`send` can take a rate-limit hit in its publish (the broker is a Redis)."""
        return bool(self.direct_url)

    def charge(self, charge: RateCharge) -> None:
        """Take a rate-limit hit alone (a request refused before it published anything): 429 when over the
        limit. The limiter's storage being unreachable lets the request through, as Flask-Limiter does."""
        publisher = self.publisher
        if publisher is None:
            return
        try:
            publisher.run(charge, None)
        except BROKER_ERRORS as exc:
            log.warning("rate_limit_unavailable", error=str(exc))

    def _send_with_celery(
        self, name: str, kwargs: Mapping[str, Any], task_id: str, request_id: str | None, summary: str | None
    ) -> None:
        options: dict[str, Any] = {"kwargsrepr": summary} if summary is not None else {}
        if name in WITHOUT_EVENTS:
            options["event_dispatcher"] = _NO_EVENTS  # Celery's task-sent is app-wide; not for this task
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

    def ping(self) -> None:
        """Raise if the broker cannot be reached (for ``/readyz``)."""
        with self.celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=CONNECT_TIMEOUT_SECONDS)

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.client.close()
        self.celery.close()
