"""The base class every task shares: status records, progress events, metrics, retries and rejection.

- Transient failures (broker, database or Jenkins unreachable) retry with exponential backoff and jitter.
- An invalid payload is stored as ``rejected`` and never retried: retrying cannot fix it.
- Every task's status lives in MongoDB (``tasks`` collection) under its Celery id, so
  ``GET /api/v1/tasks/<id>`` answers the same whether the task was queued by the API or by another task.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, TypeVar

import pymongo.errors
import redis
import structlog
from celery import Task
from pydantic import BaseModel, ValidationError

from worker import metrics
from worker.context import WorkerContext, get_context
from worker.controllers import Controller, UnknownController
from worker.logging import get_logger
from worker.settings import Settings

if TYPE_CHECKING:
    from worker.jenkins import JenkinsClient

log = get_logger(__name__)
ModelT = TypeVar("ModelT", bound=BaseModel)


def _transient_errors() -> tuple[type[BaseException], ...]:
    from worker.jenkins import JenkinsUnavailable

    return (
        JenkinsUnavailable,
        pymongo.errors.AutoReconnect,
        pymongo.errors.ServerSelectionTimeoutError,
        redis.ConnectionError,
        ConnectionError,
        TimeoutError,
    )


def is_transient(exc: BaseException) -> bool:
    """Whether retrying later may succeed (a service was unreachable), as opposed to a definite failure."""
    return isinstance(exc, _transient_errors())


class InvalidPayload(Exception):
    """The payload failed validation; carries the field errors in the API's shape."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"field": "stages.0.name", "rule": "missing", "message": ...}]``."""
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "(body)",
            "rule": err["type"],
            "message": err["msg"],
        }
        for err in exc.errors()
    ]


def parse_payload(model: type[ModelT], payload: Any) -> ModelT:
    """Validate a task payload, raising :class:`InvalidPayload` (never retried) when it is wrong."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload(field_errors(exc)) from exc


def resolve_controller(settings: Settings, jenkins_url: str | None) -> Controller:
    """The configured controller a payload names (``None``: the default). Anything else is an invalid
    payload, never retried and never fetched from: the worker talks only to controllers it was given."""
    try:
        return settings.controllers.resolve(jenkins_url)
    except UnknownController as exc:
        raise InvalidPayload(
            [{"field": "jenkins_url", "rule": "unknown_controller", "message": str(exc)}]
        ) from exc


class LangchainJenkinsTask(Task):
    """Base for all our tasks (``base=LangchainJenkinsTask``)."""

    abstract = True
    max_retries = 5  # Celery's own default; the retries used are TASK_MAX_RETRIES (retry_limit)
    retry_backoff_max = 300
    retry_jitter = True
    #: Set per task: record status in the tasks collection (the API's GET /tasks/<id>).
    track_status = True

    @property
    def ctx(self) -> WorkerContext:
        return get_context()

    def jenkins_for(self, jenkins_url: str | None) -> JenkinsClient:
        """The client of the controller ``jenkins_url`` names (``None``: the default) whose writes are keyed by
        this task's id: a redelivered or retried run of this task never triggers, rebuilds, aborts, cancels,
        installs or writes a description again (``worker.jenkins._idempotency``)."""
        from worker.jenkins._idempotency import IdempotencyScope

        client = self.ctx.jenkins_for(jenkins_url)
        if not self.request.id:
            return client
        return client.idempotent(IdempotencyScope(self.ctx.storage.actions, self.request.id))

    @property
    def retry_limit(self) -> int:
        """How many times a transient failure is retried (TASK_MAX_RETRIES)."""
        return self.ctx.settings.task_max_retries

    @property
    def final_attempt(self) -> bool:
        """Whether a transient failure now ends the task instead of retrying it."""
        return self.request.retries >= self.retry_limit

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        task_id = self.request.id or "local"
        # The API sends the id of the HTTP request that queued the task as a message header.
        structlog.contextvars.bind_contextvars(
            task_id=task_id, task=self.name, request_id=self.request.get("request_id")
        )
        started = time.perf_counter()
        outcome = "error"
        try:
            # The status records are inside the retried region: a database that is restarting when the task
            # starts or ends makes the task retry with backoff (rerunning it is safe: writes are idempotent and
            # Jenkins writes keyed), never fail for good.
            try:
                if self.track_status and self.request.id:
                    self.ctx.storage.tasks.mark_running(task_id, kind=self.name)
                result = super().__call__(*args, **kwargs)
                if self.track_status and self.request.id:
                    self.ctx.storage.tasks.mark_succeeded(task_id, result)
            except InvalidPayload as exc:
                outcome = "rejected"
                log.warning("task payload rejected", errors=exc.errors)
                if self.request.id:
                    self.ctx.storage.tasks.mark_rejected(task_id, exc.errors, kind=self.name)
                    self.ctx.publish(task_id, "result", {"status": "rejected", "errors": exc.errors})
                return {"status": "rejected", "errors": exc.errors}
            except _transient_errors() as exc:
                if not self.final_attempt:
                    outcome = "retry"
                    log.warning(
                        "transient failure, retrying", error=str(exc), attempt=self.request.retries + 1
                    )
                    raise self.retry(
                        exc=exc, countdown=self._backoff(), max_retries=self.retry_limit
                    ) from exc
                self._fail(task_id, exc)
                raise
            except Exception as exc:
                self._fail(task_id, exc)
                raise
            outcome = "success"
            if self.track_status and self.request.id:
                self.ctx.publish(task_id, "result", {"status": "succeeded", "result": result})
            return result
        finally:
            metrics.TASKS.labels(task=self.name, outcome=outcome).inc()
            metrics.TASK_SECONDS.labels(task=self.name).observe(time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("task_id", "task", "request_id")

    def _backoff(self) -> float:
        """Exponential backoff with full jitter: up to TASK_RETRY_BACKOFF_SECONDS x 2^retries (5 minutes at most)."""
        ceiling = min(
            self.retry_backoff_max, self.ctx.settings.task_retry_backoff_seconds * 2**self.request.retries
        )
        return random.uniform(0, ceiling)

    def _fail(self, task_id: str, exc: BaseException) -> None:
        log.error("task failed", error=str(exc), exc_info=exc)
        if self.request.id:
            try:
                self.ctx.storage.tasks.mark_failed(task_id, f"{type(exc).__name__}: {exc}", kind=self.name)
                self.ctx.publish(task_id, "result", {"status": "failed", "error": str(exc)})
            except Exception:  # the database may be what failed; the log line above is the record then
                log.exception("could not record the task failure")

    def progress(self, stage: str, **data: Any) -> None:
        """Publish a progress event for live listeners (the SSE stream); the task record keeps only the result."""
        if self.request.id:
            payload = {"stage": stage, **data}
            self.ctx.publish(self.request.id, "progress", payload)
