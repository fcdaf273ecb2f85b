"""The queue gauges on /metrics: messages waiting in Redis, and those a worker took but has not acknowledged."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from kombu import Connection

from tests.integration.api.conftest import AUTH

EVENT = {"jenkins_url": "https://ci.example.com", "job": "app", "build": 1, "status": "FAILURE"}


def _gauge(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def test_waiting_and_unacknowledged_messages_are_counted_from_redis(
    client: FlaskClient, redis_url: str
) -> None:
    scrape = client.get("/metrics").get_data(as_text=True)
    assert _gauge(scrape, "langchain_jenkins_queue_up") == 1
    assert _gauge(scrape, 'langchain_jenkins_queue_messages{queue="celery"}') == 0
    for build in (1, 2, 3):
        assert client.post("/api/v1/events", json={**EVENT, "build": build}, headers=AUTH).status_code == 202

    scrape = client.get("/metrics").get_data(as_text=True)
    assert _gauge(scrape, 'langchain_jenkins_queue_messages{queue="celery"}') == 3
    assert _gauge(scrape, "langchain_jenkins_queue_unacked_messages") == 0

    # A consumer takes one message and does not acknowledge it yet, as a worker running a task does.
    with Connection(redis_url) as conn:
        queue = conn.SimpleQueue("celery")
        message = queue.get(timeout=5)
        scrape = client.get("/metrics").get_data(as_text=True)
        assert _gauge(scrape, 'langchain_jenkins_queue_messages{queue="celery"}') == 2
        assert _gauge(scrape, "langchain_jenkins_queue_unacked_messages") == 1
        message.ack()
        queue.close()
    scrape = client.get("/metrics").get_data(as_text=True)
    assert _gauge(scrape, "langchain_jenkins_queue_unacked_messages") == 0


def test_an_unreachable_broker_is_reported_not_a_failed_scrape(
    make_app: Callable[..., Flask], closed_port_url: str
) -> None:
    scrape = make_app(REDIS_URL=closed_port_url).test_client().get("/metrics")
    assert scrape.status_code == 200
    text = scrape.get_data(as_text=True)
    assert _gauge(text, "langchain_jenkins_queue_up") == 0
    assert "langchain_jenkins_queue_messages{" not in text
