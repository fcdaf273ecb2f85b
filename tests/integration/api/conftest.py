"""Fixtures for the API's integration tests: the real app on a real Redis (broker, pub/sub, rate limits) and
a real SecantusDB (from ``tests/services.py``). No worker runs here: the tests read what the API put on the
queue straight from the broker, and play the worker's part on Redis pub/sub where a test needs it.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from api.app import create_app
from api.auth import issue_token
from tests.services import free_port, make_settings
from worker.settings import Settings
from worker.storage import Storage

STATIC_TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {STATIC_TOKEN}"}
#: Celery's default queue: with the Redis transport, a list of that name.
QUEUE = "celery"


@pytest.fixture
def make_api_settings(redis_url: str, mongo_url: str, mongo_db_name: str) -> Callable[..., Settings]:
    """Settings for this test's Redis and fresh database, with overrides by variable name."""

    def make(**env: Any) -> Settings:
        values: dict[str, Any] = {
            "REDIS_URL": redis_url,
            "MONGO_URL": mongo_url,
            "MONGO_DB": mongo_db_name,
            "LOG_FORMAT": "console",
            # The controller the tests' events come from (events from any other are refused).
            "JENKINS_URL": "https://ci.example.com",
            **env,
        }
        return make_settings(**values)

    return make


@pytest.fixture
def api_settings(make_api_settings: Callable[..., Settings]) -> Settings:
    return make_api_settings()


@pytest.fixture
def make_app(make_api_settings: Callable[..., Settings]) -> Iterator[Callable[..., Flask]]:
    """Build apps with settings overrides; their clients are closed after the test."""
    apps: list[Flask] = []

    def make(**env: Any) -> Flask:
        app = create_app(make_api_settings(**env))
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["langchain_jenkins"].close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def storage(api_settings: Settings) -> Iterator[Storage]:
    """The same database the app uses, for seeding and checking records."""
    store = Storage.from_settings(api_settings)
    yield store
    store.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@dataclass
class QueuedTask:
    """A task message as the API left it on the broker."""

    id: str
    name: str
    kwargs: dict[str, Any]
    headers: dict[str, Any]


@pytest.fixture
def queued(redis_client: redis.Redis) -> Callable[[], list[QueuedTask]]:
    """Decode the task messages waiting in the broker's default queue (oldest first)."""

    def read() -> list[QueuedTask]:
        tasks = []
        for raw in reversed(redis_client.lrange(QUEUE, 0, -1)):  # kombu LPUSHes, workers BRPOP
            message = json.loads(raw)
            body = json.loads(base64.b64decode(message["body"]))
            args, kwargs, _embed = body
            assert args == [], "the API sends keyword arguments only"
            headers = message["headers"]
            tasks.append(QueuedTask(id=headers["id"], name=headers["task"], kwargs=kwargs, headers=headers))
        return tasks

    return read


@pytest.fixture
def jwt_for(api_settings: Settings) -> Callable[..., str]:
    def make(subject: str, ttl_seconds: int = 300) -> str:
        return issue_token(api_settings, subject, ttl_seconds)

    return make


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app behind Werkzeug's threaded server on a free loopback port (real sockets: streams, chunking)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-test-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def closed_port_url() -> str:
    """A Redis URL nobody listens on (a free port, not bound): the broker is down."""
    return f"redis://127.0.0.1:{free_port()}/0"
