"""What answering ``POST /api/v1/events`` costs: the enqueue latency is mostly Redis round trips (each one a
context switch on a loaded machine), so they are counted here, on a real server and a real Redis."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import redis
import requests
from flask import Flask

from api.queue import TaskQueue
from tests.integration.api.conftest import AUTH, QUEUE, LiveServer, QueuedTask
from tests.integration.api.test_validation import VALID_EVENT
from worker.task_names import HANDLE_TASK, INGEST_EVENT


def _reads(redis_client: redis.Redis) -> int:
    """Socket reads Redis has processed: a pipeline sent at once is one read, like a single command."""
    return int(redis_client.info("stats")["total_reads_processed"])


def test_an_event_costs_one_redis_round_trip_for_the_rate_limit_and_the_publish(
    live_server: LiveServer, redis_client: redis.Redis
) -> None:
    session = requests.Session()
    url = f"{live_server.url}/api/v1/events"
    assert (
        session.post(url, json=VALID_EVENT, headers=AUTH, timeout=10).status_code == 202
    )  # connections made
    reads = []
    for build in range(43, 51):
        before = _reads(redis_client)
        response = session.post(url, json={**VALID_EVENT, "build": build}, headers=AUTH, timeout=10)
        assert response.status_code == 202
        reads.append(_reads(redis_client) - before - 1)  # the INFO above is the one read more
    # One script takes the rate limit's hit and pushes the task message (two round trips before: Flask-Limiter's
    # script, then kombu's pipeline with the task-sent event). The fewest of eight: other clients of this Redis
    # (a worker of an earlier test polling its queue) may add reads to a sample on a loaded machine, never remove.
    assert min(reads) == 1, reads


def _sent_events(pubsub: Any, want: int, wait: float) -> list[dict[str, Any]]:
    """The ``task-sent`` events published on kombu's fanout channel within ``wait`` s (at most ``want``)."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while len(events) < want and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)  # None also for the subscription's own reply
        if message is not None:
            assert message["channel"].endswith(b"task.sent")
            events.append({"channel": message["channel"], **json.loads(message["data"])})
    return events


def test_an_event_sends_flower_no_task_sent_and_other_tasks_still_do(
    live_server: LiveServer, redis_client: redis.Redis, app: Flask
) -> None:
    """Build events are sent without monitoring events (``task_names.WITHOUT_EVENTS``; the worker sends none
    for them either); every other task's ``task-sent`` still reaches Flower, on both publish paths."""
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("*celeryev*")  # kombu's fanout exchange on Redis: PUBLISH to "/<db>.celeryev/<key>"
    queue: TaskQueue = app.extensions["langchain_jenkins"].queue
    try:
        response = requests.post(
            f"{live_server.url}/api/v1/events", json=VALID_EVENT, headers=AUTH, timeout=10
        )
        assert response.status_code == 202
        queue._send_with_celery(INGEST_EVENT, {"event": VALID_EVENT}, "celery-event-1", None, None)
        queue.send(HANDLE_TASK, {"task": "why?"}, task_id="task-1")
        queue._send_with_celery(HANDLE_TASK, {"task": "why?"}, "celery-task-1", None, None)
        events = _sent_events(pubsub, want=4, wait=3)
    finally:
        pubsub.close()
    assert [json.loads(base64.b64decode(e["body"]))["uuid"] for e in events] == ["task-1", "celery-task-1"]
    queued = [json.loads(raw)["headers"]["id"] for raw in redis_client.lrange(QUEUE, 0, -1)]
    assert len(queued) == 4 and {"celery-event-1", response.json()["task_id"]} < set(queued)


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


def test_events_spend_the_budget_every_other_route_spends(
    make_app: Callable[..., Flask], jwt_for: Callable[..., str], queued: Callable[[], list[QueuedTask]]
) -> None:
    """The event's hit is taken in its publish script, on Flask-Limiter's own key: one budget per caller."""
    client = make_app(RATE_LIMIT="3/minute").test_client()
    alice = {"Authorization": f"Bearer {jwt_for('alice')}"}
    builds = "/api/v1/jobs/team/api-service/builds"
    assert client.post("/api/v1/events", json=VALID_EVENT, headers=alice).status_code == 202
    assert client.get(builds, headers=alice).status_code == 200
    assert client.post("/api/v1/events", json={**VALID_EVENT, "build": 43}, headers=alice).status_code == 202
    limited = client.post("/api/v1/events", json={**VALID_EVENT, "build": 44}, headers=alice)
    assert limited.status_code == 429
    error = limited.get_json()["error"]
    assert error["code"] == "rate_limited" and "3 per 1 minute" in error["message"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get(builds, headers=alice).status_code == 429  # spent by the events too
    assert [task.kwargs["event"]["build"] for task in queued()] == [42, 43]  # the refused one is not queued
    bob = {"Authorization": f"Bearer {jwt_for('bob')}"}
    assert client.post("/api/v1/events", json={**VALID_EVENT, "build": 45}, headers=bob).status_code == 202


def test_refused_events_spend_budget_and_guesses_are_limited_before_auth(
    make_app: Callable[..., Flask], queued: Callable[[], list[QueuedTask]]
) -> None:
    client = make_app(RATE_LIMIT="2/minute").test_client()
    bad = {**VALID_EVENT, "build": "42"}  # a string: 422
    statuses = [client.post("/api/v1/events", json=bad, headers=AUTH).status_code for _ in range(2)]
    statuses.append(client.post("/api/v1/events", json=VALID_EVENT, headers=AUTH).status_code)
    assert statuses == [422, 422, 429]
    assert client.post("/api/v1/events", json=bad, headers=AUTH).status_code == 429  # no budget: 429 first
    guess = {"Authorization": "Bearer guess"}
    guesses = [client.post("/api/v1/events", json=VALID_EVENT, headers=guess).status_code for _ in range(3)]
    assert guesses == [401, 401, 429]
    assert queued() == []


def test_the_api_publishes_what_celery_would(
    make_app: Callable[..., Flask], redis_client: redis.Redis
) -> None:
    """The task message and task-sent event the API writes itself have every field Celery's ``send_task``
    writes, with the same values where they are not per message (ids, tags, times)."""
    app = make_app()
    queue: TaskQueue = app.extensions["langchain_jenkins"].queue
    kwargs: dict[str, Any] = {"task": "why did web #1 fail?"}
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("*celeryev*")
    try:
        queue.send(HANDLE_TASK, kwargs, task_id="direct-1", request_id="req-1", summary="web #1")
        queue._send_with_celery(HANDLE_TASK, kwargs, "celery-1", "req-1", "web #1")
        events = _sent_events(pubsub, want=2, wait=10)
    finally:
        pubsub.close()
    celery_raw, direct_raw = redis_client.lrange(QUEUE, 0, -1)  # LPUSH: the newest first
    direct, by_celery = json.loads(direct_raw), json.loads(celery_raw)
    direct_event, celery_event = events
    assert direct_event["channel"] == celery_event["channel"]  # the fanout channel Flower listens on
    per_message = {
        "id", "root_id", "correlation_id", "delivery_tag", "reply_to", "origin", "uuid", "clock", "timestamp",
        "hostname", "pid",
    }  # fmt: skip
    by_celery["properties"].pop("kwargsrepr")  # kombu copies send_task's extra option there too
    for ours, theirs in ((direct, by_celery), (direct_event, celery_event)):
        assert ours.keys() == theirs.keys()
        for part in ("headers", "properties"):
            assert ours[part].keys() == theirs[part].keys(), part
            for key, value in theirs[part].items():
                if key not in per_message:
                    assert ours[part][key] == value, (part, key)
    assert base64.b64decode(direct["body"]) == base64.b64decode(by_celery["body"])
    ours_sent = json.loads(base64.b64decode(direct_event["body"]))
    theirs_sent = json.loads(base64.b64decode(celery_event["body"]))
    assert ours_sent.keys() == theirs_sent.keys()
    assert {k: v for k, v in ours_sent.items() if k not in per_message} == {
        k: v for k, v in theirs_sent.items() if k not in per_message
    }
    assert direct["headers"]["id"] == direct["headers"]["root_id"] == direct["properties"]["correlation_id"]
