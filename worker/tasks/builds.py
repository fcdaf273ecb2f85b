"""Build tasks: ingest build events; trigger, abort and rebuild builds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from worker import task_names
from worker.analysis import redact, redact_mapping
from worker.analysis.flaky import DEFAULT_WINDOW, MAX_WINDOW, detect_flaky
from worker.celery_app import app
from worker.jenkins import JenkinsClient
from worker.logging import get_logger
from worker.models import BuildEvent, JobName
from worker.storage.repositories import ClientWrite
from worker.tasks.base import LangchainJenkinsTask, parse_payload, resolve_controller

log = get_logger(__name__)


# No task record (``track_status``), no STARTED state and no stored result: the build is what clients poll for
# an event (``status_url``). The records were two of the few round trips an event costs (``bench/ingest.py``);
# a result would sit in Redis for ``result_expires`` (24 h, ~490 bytes each: gigabytes a day at full rate) with
# nobody to read it. An event the worker rejects (bad payload, unknown controller) or fails on for good still
# gets a task record (``LangchainJenkinsTask``: ``GET /api/v1/tasks/<task_id>``), a log line and a metric.
# No monitoring events either (``task_names.WITHOUT_EVENTS`` says why).
@app.task(
    name=task_names.INGEST_EVENT,
    base=LangchainJenkinsTask,
    bind=True,
    track_status=False,
    track_started=False,
    ignore_result=True,
    send_events=False,
)
def ingest_event(self: LangchainJenkinsTask, event: dict[str, Any]) -> dict[str, Any]:
    """Upsert the build (the same event twice is one record: one round trip for a new one); a new
    FAILURE/UNSTABLE queues its analysis."""
    parsed = _redacted(parse_payload(BuildEvent, event))
    # Keyed by the configured controller's canonical URL; an event from any other controller is rejected.
    parsed = parsed.model_copy(
        update={"jenkins_url": resolve_controller(self.ctx.settings, parsed.jenkins_url).url}
    )
    storage = self.ctx.storage
    # In the event's own bulkWrite (one MongoDB round trip in all), run only if the event is new: a failure's
    # analysis marked pending, or a green build resolving the job's earlier failures.
    if_new: list[ClientWrite] = []
    if parsed.needs_analysis:
        if_new.append(
            storage.builds.analysis_status_write(
                parsed.job, parsed.build, "pending", jenkins_url=parsed.jenkins_url
            )
        )
    elif parsed.event == "completed" and parsed.status == "SUCCESS":
        if_new.append(
            storage.analyses.resolved_write(parsed.jenkins_url, parsed.job, parsed.build, parsed.commit)
        )
    created = storage.builds.upsert_event(parsed, if_new=if_new)
    analysis_task_id: str | None = None
    if created and parsed.needs_analysis:
        result = self.app.send_task(
            task_names.ANALYZE_BUILD,
            kwargs={
                "jenkins_url": parsed.jenkins_url,
                "job": parsed.job,
                "build": parsed.build,
                "attempt": parsed.attempt,
            },
        )
        analysis_task_id = result.id
    log.info(
        "build event ingested", job=parsed.job, build=parsed.build, build_event=parsed.event, created=created
    )
    return {
        "jenkins_url": parsed.jenkins_url,
        "job": parsed.job,
        "build": parsed.build,
        "event": parsed.event,
        "created": created,
        "analysis_task_id": analysis_task_id,
    }


def _redacted(event: BuildEvent) -> BuildEvent:
    """The event with secrets masked before it is stored (and shown by the API): string parameters named like
    secrets, and credentials pasted into the free-text fields."""
    cause = redact(event.cause) if event.cause else event.cause
    failed_tests = [redact(name) for name in event.failed_tests]
    return event.model_copy(
        update={"parameters": redact_mapping(event.parameters), "cause": cause, "failed_tests": failed_tests}
    )


class JobRef(BaseModel):
    job: JobName
    #: The controller (None: the default one).
    jenkins_url: str | None = Field(None, max_length=2048)


class TriggerPayload(JobRef):
    parameters: dict[str, str] = Field(default_factory=dict)
    wait_seconds: float = Field(60.0, ge=0, le=600)


class BuildRef(JobRef):
    build: int = Field(ge=1)
    confirm: bool = False


@app.task(name=task_names.TRIGGER_BUILD, base=LangchainJenkinsTask, bind=True)
def trigger_build(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Trigger a build with parameters; returns the queue item and, once it starts, the build number."""
    req = parse_payload(TriggerPayload, payload)
    jenkins = _jenkins(self, req)
    item = jenkins.trigger_build(req.job, req.parameters or None)
    self.progress("queued", queue_id=item.id)
    wait = min(req.wait_seconds, self.ctx.settings.max_wait_seconds)  # within the task's time limit
    number = jenkins.wait_for_build_number(item, timeout=wait) if wait else None
    return {"job": req.job, "queue_item": item.model_dump(mode="json"), "build": number}


@app.task(name=task_names.ABORT_BUILD, base=LangchainJenkinsTask, bind=True)
def abort_build(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Abort a running build and report what Jenkins did (a finished build: nothing, and its result);
    without ``confirm`` only says what would be done."""
    req = parse_payload(BuildRef, payload)
    outcome = _jenkins(self, req).abort_build(req.job, req.build, confirm=req.confirm)
    return outcome.model_dump(mode="json")


@app.task(name=task_names.REBUILD, base=LangchainJenkinsTask, bind=True)
def rebuild(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Queue the build again with the same parameters."""
    req = parse_payload(BuildRef, payload)
    item = _jenkins(self, req).rebuild(req.job, req.build)
    return {"job": req.job, "rebuild_of": req.build, "queue_item": item.model_dump(mode="json")}


class FlakyPayload(JobRef):
    window: int = Field(DEFAULT_WINDOW, ge=2, le=MAX_WINDOW)


@app.task(name=task_names.FLAKY_REPORT, base=LangchainJenkinsTask, bind=True)
def flaky_report(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Flaky tests and failures and retry candidates of a job, from its stored history."""
    req = parse_payload(FlakyPayload, payload)
    key = resolve_controller(self.ctx.settings, req.jenkins_url).url if req.jenkins_url else None
    history = self.ctx.storage.builds.history(req.job, req.window, jenkins_url=key)
    report = detect_flaky(history, window=req.window)
    return {"job": req.job, **report.model_dump(mode="json")}


class StatusPayload(JobRef):
    limit: int = Field(10, ge=1, le=100)


@app.task(name=task_names.JOB_STATUS, base=LangchainJenkinsTask, bind=True)
def job_status(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """A job at a glance from Jenkins: health, queue and its recent builds, newest first."""
    req = parse_payload(StatusPayload, payload)
    return dict(_jenkins(self, req).job_status(req.job, limit=req.limit).model_dump(mode="json"))


class WaitPayload(JobRef):
    build: int = Field(ge=1)
    timeout_seconds: float = Field(600.0, gt=0, le=3600)


@app.task(name=task_names.WAIT_FOR_BUILD, base=LangchainJenkinsTask, bind=True)
def wait_for_build(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Wait until a build finishes (or the timeout passes) and return it."""
    req = parse_payload(WaitPayload, payload)
    # Never past the task's time limit: a longer wait ends as JenkinsTimeout, and the caller asks again.
    timeout = min(req.timeout_seconds, self.ctx.settings.max_wait_seconds)
    info = _jenkins(self, req).wait_for_build(req.job, req.build, timeout=timeout)
    return dict(info.model_dump(mode="json"))


def _jenkins(task: LangchainJenkinsTask, req: JobRef) -> JenkinsClient:
    """The client of the controller the payload names (the default one when it names none)."""
    return task.jenkins_for(resolve_controller(task.ctx.settings, req.jenkins_url).url)


class CancelPayload(BaseModel):
    id: int = Field(ge=1)
    confirm: bool = False
    jenkins_url: str | None = Field(None, max_length=2048)


@app.task(name=task_names.CANCEL_QUEUE_ITEM, base=LangchainJenkinsTask, bind=True)
def cancel_queue_item(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Cancel a queued build (through the queue: it has no build yet) and report what Jenkins did."""
    req = parse_payload(CancelPayload, payload)
    client = self.jenkins_for(resolve_controller(self.ctx.settings, req.jenkins_url).url)
    return client.cancel_queue_item(req.id, confirm=req.confirm).model_dump(mode="json")


@app.task(name=task_names.QUEUE_STATUS, base=LangchainJenkinsTask, bind=True)
def queue_status(self: LangchainJenkinsTask) -> dict[str, Any]:
    """What waits in the Jenkins queue and why, and which agents can take work."""
    jenkins = self.ctx.jenkins
    return {
        "queue": [item.model_dump(mode="json") for item in jenkins.queue()],
        "nodes": [node.model_dump(mode="json") for node in jenkins.nodes()],
    }
