"""``GET /api/v1/tasks/<id>/stream``: progress and result relayed from Redis pub/sub as Server-Sent Events."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests
from flask import Flask

from tests.integration.api.conftest import AUTH, LiveServer
from worker import task_names
from worker.storage import Storage


def parse_sse(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """(event, data) pairs; comments come out as ("comment", text), ``retry:`` as ("retry", ms)."""
    event, data = "message", list[str]()
    for line in lines:
        if line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", list[str]()
        elif line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("retry:"):
            yield "retry", int(line.split(":", 1)[1])
        elif line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())


def _open(server: LiveServer, task_id: str) -> requests.Response:
    response = requests.get(
        f"{server.url}/api/v1/tasks/{task_id}/stream", headers=AUTH, stream=True, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    return response


def _queued_task(storage: Storage) -> str:
    task_id = str(uuid.uuid4())
    storage.tasks.create(task_id, task_names.HANDLE_TASK, {"task": "why did it fail"})
    return task_id


def _wait_for_subscriber(client: redis.Redis, channel: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) > 0:
            return
        time.sleep(0.02)
    pytest.fail(f"nobody subscribed to {channel}")


def test_streams_progress_then_result_published_on_redis(
    live_server: LiveServer, storage: Storage, redis_client: redis.Redis
) -> None:
    task_id = _queued_task(storage)
    response = _open(live_server, task_id)
    channel = f"tasks:{task_id}"
    _wait_for_subscriber(redis_client, channel)
    # What the worker publishes (worker.context.WorkerContext.publish).
    redis_client.publish(
        channel, json.dumps({"event": "progress", "data": {"stage": "routing", "agent": "log"}})
    )
    redis_client.publish(channel, "not json: ignored")
    redis_client.publish(
        channel, json.dumps({"event": "result", "data": {"status": "succeeded", "result": {"a": 1}}})
    )

    events = [(e, d) for e, d in parse_sse(response.iter_lines(decode_unicode=True)) if e != "comment"]
    assert events == [
        ("retry", 15000),
        ("progress", {"stage": "routing", "agent": "log"}),
        ("result", {"status": "succeeded", "result": {"a": 1}}),
    ]  # and the stream closed after the result
    assert dict(redis_client.pubsub_numsub(channel))[channel.encode()] == 0, (
        "the subscription must be released"
    )


def test_finished_task_streams_its_result_at_once(live_server: LiveServer, storage: Storage) -> None:
    task_id = _queued_task(storage)
    storage.tasks.mark_succeeded(task_id, {"answer": "flaky test"})
    started = time.monotonic()
    events = list(parse_sse(_open(live_server, task_id).iter_lines(decode_unicode=True)))
    assert time.monotonic() - started < 5
    [data] = [d for e, d in events if e == "result"]
    assert data["status"] == "succeeded" and data["result"] == {"answer": "flaky test"}
    assert data["task_id"] == task_id


def test_idle_stream_sends_heartbeats_notices_a_stored_result_and_ends(
    app: Flask, live_server: LiveServer, storage: Storage
) -> None:
    """A result written to the record while nobody published it (e.g. published before we subscribed)."""
    app.config.update(SSE_HEARTBEAT_SECONDS=0.2, SSE_MAX_SECONDS=5)
    task_id = _queued_task(storage)
    response = _open(live_server, task_id)
    lines = response.iter_lines(decode_unicode=True)
    seen: list[tuple[str, Any]] = []
    finisher = threading.Timer(0.7, storage.tasks.mark_failed, args=(task_id, "Jenkins said no"))
    finisher.start()
    try:
        for event in parse_sse(lines):
            seen.append(event)
    finally:
        finisher.cancel()
    assert ("comment", "keep-alive") in seen
    assert seen[-1][0] == "result"
    assert seen[-1][1]["status"] == "failed" and seen[-1][1]["error"]["message"] == "Jenkins said no"


def test_stream_ends_after_max_duration(app: Flask, live_server: LiveServer, storage: Storage) -> None:
    app.config.update(SSE_HEARTBEAT_SECONDS=0.2, SSE_MAX_SECONDS=0.6)
    task_id = _queued_task(storage)
    started = time.monotonic()
    events = list(parse_sse(_open(live_server, task_id).iter_lines(decode_unicode=True)))
    assert time.monotonic() - started < 5
    assert events[-1] == ("comment", "maximum stream duration reached; reconnect to continue")
    assert not any(e == "result" for e, _ in events)


def test_stream_of_unknown_task_is_404(live_server: LiveServer) -> None:
    response = requests.get(f"{live_server.url}/api/v1/tasks/{uuid.uuid4()}/stream", headers=AUTH, timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
