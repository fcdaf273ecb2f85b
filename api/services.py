"""The API's connections, created lazily on first use and shared by the requests of one process.

``create_app`` builds nothing that connects: the MongoDB client, the Redis client and the broker connection
pool are made the first time a request needs them, after gunicorn has forked, and then reused (each is a
thread-safe pool). If MongoDB is down when first needed, the failure is not cached: the next request tries
again.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from celery import Celery
from flask import current_app

from api.queue import TaskQueue, create_celery_client
from worker.settings import Settings
from worker.storage import Storage, ensure_indexes

EXTENSION_KEY = "langchain_jenkins"


class Services:
    """Per-app holder of the settings and the lazily created clients."""

    def __init__(self, settings: Settings, *, celery: Celery | None = None, db: Any = None) -> None:
        self.settings = settings
        # A redis:// or rediss:// broker: the API writes task messages itself (api.queue.RedisPublisher).
        direct = settings.queue_url.startswith(("redis://", "rediss://"))
        self.queue = TaskQueue(
            celery if celery is not None else create_celery_client(settings),
            direct_url=settings.queue_url if direct else None,
        )
        self._storage: Storage | None = Storage(db) if db is not None else None
        self._redis: redis.Redis | None = None
        self._lock = threading.Lock()

    @property
    def storage(self) -> Storage:
        """The repositories (MongoDB); indexes are ensured once, when the client is first created."""
        if self._storage is None:
            with self._lock:
                if self._storage is None:
                    storage = Storage.from_settings(self.settings, create_indexes=False)
                    try:
                        ensure_indexes(storage.db)  # idempotent; the API may start before any worker
                    except Exception:
                        storage.close()  # MongoDB is down: don't leak the client, retry on the next request
                        raise
                    self._storage = storage
        return self._storage

    @property
    def redis(self) -> redis.Redis:
        """A Redis client (for pub/sub and readiness), with short timeouts so an outage fails fast."""
        if self._redis is None:
            with self._lock:
                if self._redis is None:
                    self._redis = redis.Redis.from_url(
                        self.settings.redis_url,
                        socket_connect_timeout=2.0,
                        socket_timeout=5.0,
                        health_check_interval=30,
                    )
        return self._redis

    def close(self) -> None:
        """Close whatever was opened (tests and graceful shutdown)."""
        if self._redis is not None:
            self._redis.close()
        if self._storage is not None:
            self._storage.close()
        self.queue.close()


def services() -> Services:
    """The services of the current app."""
    svc: Services = current_app.extensions[EXTENSION_KEY]
    return svc
