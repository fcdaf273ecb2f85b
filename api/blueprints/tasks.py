"""Natural-language tasks for the agents, their status, and a live stream of their progress.

Every task the API starts (here, and the build/plugin actions) gets a record in MongoDB *before* it is sent,
so ``GET /api/v1/tasks/<id>`` answers "queued" at once, whatever the worker is doing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import structlog
from flask import Blueprint, Response, current_app, g

from api.errors import APIError
from api.openapi import Body, operation
from api.proxy import status_link
from api.schemas import TaskAccepted, TaskConfirmRequest, TaskView
from api.services import Services, services
from api.validation import json_body
from worker.confirmations import ConfirmationStore
from worker.logging import get_logger
from worker.models import TaskRequest
from worker.storage import TaskRepository
from worker.task_names import CONFIRM_TASK, HANDLE_TASK

bp = Blueprint("tasks", __name__, url_prefix="/api/v1")
log = get_logger(__name__)

FINISHED = frozenset({"succeeded", "failed", "rejected"})
STREAM_EVENTS = frozenset({"progress", "result"})
#: Longest task id we look up; anything longer cannot be one of ours.
MAX_TASK_ID_LENGTH = 100


def start_task(
    name: str, kwargs: Mapping[str, Any], *, payload: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Record task ``name`` as queued, send it, and return the 202 body ``{task_id, status_url}``.

    The record is written first so the worker (and any client polling) always finds it. If the broker then
    refuses the task, the record is marked failed (not left "queued" forever) and the 503 propagates.
    """
    svc = services()
    task_id = str(uuid.uuid4())
    structlog.contextvars.bind_contextvars(task_id=task_id)
    tasks = svc.storage.tasks
    tasks.create(task_id, name, dict(payload if payload is not None else kwargs))
    try:
        svc.queue.send(name, kwargs, task_id=task_id, request_id=g.request_id)
    except APIError as exc:
        tasks.mark_failed(task_id, exc.message)
        raise
    return {"task_id": task_id, "status_url": status_link("tasks.get_task", task_id=task_id)}


@bp.post("/tasks")
@operation(tags=["tasks"], body=TaskRequest, responses={202: Body(TaskAccepted, "queued")}, scope="analyze")
def post_task() -> tuple[dict[str, Any], int]:
    """Queue a natural-language task for the supervisor agent (``agents.handle_task``)."""
    req = json_body(TaskRequest)
    request = req.model_dump(mode="json")
    # The agents' Jenkins-changing tools check these (worker.agents.tools.TOOL_SCOPES): the token's, not the body's.
    kwargs = {**request, "scopes": sorted(g.principal.scopes)}
    return start_task(HANDLE_TASK, kwargs, payload=request), 202


def _find(tasks: TaskRepository, task_id: str) -> dict[str, Any]:
    record = tasks.get(task_id) if len(task_id) <= MAX_TASK_ID_LENGTH else None
    if record is None:
        raise APIError(404, "not_found", f"no task with id {task_id!r}")
    return record


def task_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The public view of a task record (the request payload is not echoed back)."""
    view = {
        key: record.get(key)
        for key in ("task_id", "status", "kind", "result", "error", "created_at", "updated_at")
    }
    if record.get("progress") is not None:
        view["progress"] = record["progress"]
    return view


@bp.get("/tasks/<task_id>")
@operation(tags=["tasks"], responses={200: Body(TaskView)}, errors=[404], scope="read")
def get_task(task_id: str) -> dict[str, Any]:
    """A task's status and, once finished, its result or error."""
    return task_view(_find(services().storage.tasks, task_id))


@bp.post("/tasks/<task_id>/confirm")
@operation(
    tags=["tasks"],
    body=TaskConfirmRequest,
    responses={202: Body(TaskAccepted, "the confirmed actions are queued as a new task")},
    errors=[404, 409],
    # Each action also needs its own tool's scope (operate, admin) in the confirming token, checked by the worker.
    scope="analyze",
)
def confirm_task(task_id: str) -> tuple[dict[str, Any], int]:
    """Confirm what a task planned (it answered ``status: "needs_confirmation"``): runs exactly those actions.

    The token (``result.confirmation.token``) works once and only for this task; a second use, an expired
    token (15 minutes) or another task's token is a 409 and changes nothing. The actions run in a new task
    (``agents.confirm_task``), each at most once even if the worker retries it.
    """
    req = json_body(TaskConfirmRequest)
    svc = services()
    _find(svc.storage.tasks, task_id)
    plan = ConfirmationStore(svc.redis).claim(req.token, task_id=task_id)
    if plan is None:
        raise APIError(
            409,
            "conflict",
            "token: unknown, expired, already used, or not a confirmation of this task; ask again for a new plan",
        )
    payload = {"confirms": task_id, "actions": [a.model_dump(mode="json") for a in plan.actions]}
    kwargs = {"plan": plan.model_dump(mode="json"), "scopes": sorted(g.principal.scopes)}
    return start_task(CONFIRM_TASK, kwargs, payload=payload), 202


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; JSON has no raw newlines, so one ``data:`` line suffices."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


def decode_message(raw: bytes | str) -> tuple[str, Any] | None:
    """A worker's pub/sub message ``{"event": "progress"|"result", "data": {...}}``, or None if malformed."""
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(message, dict) or message.get("event") not in STREAM_EVENTS:
        return None
    return str(message["event"]), message.get("data")


def _events(
    svc: Services, task_id: str, record: Mapping[str, Any], heartbeat: float, max_seconds: float
) -> Generator[str, None, None]:
    """The event stream: the result at once if finished, else relayed pub/sub messages and heartbeats."""
    tasks = svc.storage.tasks
    pubsub = svc.redis.pubsub(ignore_subscribe_messages=True)
    # Subscribe *before* re-reading the record: a result published in between is then either in the record or
    # on the channel, never lost.
    pubsub.subscribe(f"tasks:{task_id}")
    try:
        current = tasks.get(task_id) or record
        yield f"retry: {int(heartbeat * 1000)}\n\n"
        if current.get("status") in FINISHED:
            yield sse("result", task_view(current))
            return
        started = last_sent = time.monotonic()
        while (now := time.monotonic()) - started < max_seconds:
            message = pubsub.get_message(timeout=min(heartbeat, max_seconds - (now - started)))
            if message is None or message.get("type") != "message":
                if time.monotonic() - last_sent >= heartbeat:
                    # Quiet for a while: the worker may have finished while we were not listening (or died);
                    # the record is the source of truth.
                    current = tasks.get(task_id) or current
                    if current.get("status") in FINISHED:
                        yield sse("result", task_view(current))
                        return
                    yield ": keep-alive\n\n"
                    last_sent = time.monotonic()
                continue
            decoded = decode_message(message["data"])
            if decoded is None:
                log.warning("stream_message_ignored", task_id=task_id)
                continue
            event, data = decoded
            yield sse(event, data)
            last_sent = time.monotonic()
            if event == "result":
                return
        yield ": maximum stream duration reached; reconnect to continue\n\n"
    except Exception as exc:  # the response has started: report in-band, never crash the worker thread
        log.warning("stream_failed", task_id=task_id, error=str(exc))
        yield sse("error", {"code": "stream_failed", "message": "the event stream failed; reconnect"})
    finally:
        pubsub.close()


@bp.get("/tasks/<task_id>/stream")
@operation(
    tags=["tasks"],
    responses={
        200: Body(
            description="`event: progress` messages, then one `event: result` with the task view",
            media_type="text/event-stream",
            schema={"type": "string"},
        )
    },
    errors=[404],
    scope="read",
)
def stream_task(task_id: str) -> Response:
    """Server-Sent Events for a task: ``progress`` events, then one ``result`` event, then the stream closes.

    Heartbeat comments keep proxies from closing an idle stream; a stream lasts at most ``SSE_MAX_SECONDS``.
    """
    svc = services()
    record = _find(svc.storage.tasks, task_id)
    events = _events(
        svc,
        task_id,
        record,
        float(current_app.config["SSE_HEARTBEAT_SECONDS"]),
        float(current_app.config["SSE_MAX_SECONDS"]),
    )
    # Start the generator here, inside the request, so a Redis outage at subscribe time is a clean 503.
    first = next(events)

    def chain() -> Iterator[str]:
        yield first
        yield from events

    response = Response(
        chain(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    # A client that disconnects before the first read still gets its subscription closed.
    response.call_on_close(events.close)
    return response
