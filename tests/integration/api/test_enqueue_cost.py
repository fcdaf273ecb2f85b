"""What answering ``POST /api/v1/events`` costs: the enqueue latency is mostly Redis round trips (each one a
context switch on a loaded machine), so they are counted here, on a real server and a real Redis."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import redis
import requests

from tests.integration.api.conftest import AUTH, LiveServer, QueuedTask
from tests.integration.api.test_validation import VALID_EVENT


def _reads(redis_client: redis.Redis) -> int:
    """Socket reads Redis has processed: a pipeline sent at once is one read, like a single command."""
    return int(redis_client.info("stats")["total_reads_processed"])


def test_an_event_costs_two_redis_round_trips_the_rate_limit_and_one_publish(
    live_server: LiveServer, redis_client: redis.Redis
) -> None:
    session = requests.Session()
    url = f"{live_server.url}/api/v1/events"
    assert (
        session.post(url, json=VALID_EVENT, headers=AUTH, timeout=10).status_code == 202
    )  # connections made
    for build in range(43, 46):
        before = _reads(redis_client)
        response = session.post(url, json={**VALID_EVENT, "build": build}, headers=AUTH, timeout=10)
        assert response.status_code == 202
        # The rate limit's script, then the task message and its task-sent event in one pipeline (three round
        # trips before: the event was published on its own); the INFO above is the one read more.
        assert _reads(redis_client) - before - 1 == 2


def test_the_task_sent_event_still_reaches_flower(live_server: LiveServer, redis_client: redis.Redis) -> None:
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("*celeryev*")  # kombu's fanout exchange on Redis: PUBLISH to "/<db>.celeryev/<key>"
    try:
        response = requests.post(
            f"{live_server.url}/api/v1/events", json=VALID_EVENT, headers=AUTH, timeout=10
        )
        assert response.status_code == 202
        deadline, message = time.monotonic() + 10, None
        while message is None and time.monotonic() < deadline:  # None also for the subscription's own reply
            message = pubsub.get_message(timeout=1)
        assert message is not None and message["channel"].endswith(b"task.sent")
        event = json.loads(base64.b64decode(json.loads(message["data"])["body"]))
        assert (event["type"], event["uuid"]) == ("task-sent", response.json()["task_id"])
    finally:
        pubsub.close()


def test_what_flower_shows_of_an_event_is_the_build_not_its_parameters(
    live_server: LiveServer, queued: Callable[[], list[QueuedTask]]
) -> None:
    # The worker redacts parameters before storing them; the message's kwargsrepr (Flower, worker logs) is
    # written by the API, so it names the build only. It also spares the request Celery's repr of the event.
    event = {**VALID_EVENT, "parameters": {"DEPLOY_PASSWORD": "hunter2-not-for-flower"}}
    response = requests.post(f"{live_server.url}/api/v1/events", json=event, headers=AUTH, timeout=10)
    assert response.status_code == 202
    [message] = queued()
    assert message.headers["kwargsrepr"] == "completed FAILURE team/api-service #42"
    assert message.kwargs["event"]["parameters"] == {"DEPLOY_PASSWORD": "hunter2-not-for-flower"}
