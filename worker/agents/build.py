"""Build manager: status, trigger with parameters, abort, rebuild, wait, queue."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from worker.agents.parsing import parse_request
from worker.agents.tools import Prefetch, Specialist, ToolContext, ToolError, bound

if TYPE_CHECKING:
    from worker.jenkins import QueueItem

JOB_FIELD = "Full Jenkins job name, folders separated by '/', e.g. 'api-service' or 'team/api-service'."
# Waiting for a triggered build to leave the queue: long enough for an idle executor, short enough for a task.
START_TIMEOUT_SECONDS = 15.0


class JobArgs(BaseModel):
    job: str = Field(description=JOB_FIELD)


class StatusArgs(BaseModel):
    job: str = Field(description=JOB_FIELD)
    build: int | None = Field(
        None, ge=1, description="Build number; omit for the job's overview and its recent builds."
    )


class TriggerArgs(BaseModel):
    job: str = Field(description=JOB_FIELD)
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Build parameters as NAME -> value strings, e.g. {'DEBUG': 'true'}. Empty for none.",
    )


class BuildRefArgs(BaseModel):
    job: str = Field(description=JOB_FIELD)
    build: int = Field(ge=1, description="Build number, e.g. 42 for '#42'.")


class RebuildArgs(BuildRefArgs):
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Parameters to change for the new build (NAME -> value); the others are copied from "
        "the original build.",
    )


class WaitArgs(BuildRefArgs):
    timeout_seconds: float = Field(300, gt=0, le=1800, description="How long to wait, in seconds (max 1800).")


class NoArgs(BaseModel):
    pass


def _fmt_duration(ms: int | None) -> str:
    if ms is None:
        return "running"
    seconds = ms // 1000
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def make_tools(ctx: ToolContext) -> list[BaseTool]:
    def build_status(job: str, build: int | None = None) -> str:
        jenkins = ctx.jenkins()
        if build is not None:
            info = jenkins.get_build(job, build)
            state = "RUNNING" if info.building else (info.result or "UNKNOWN")
            params = ", ".join(f"{k}={v}" for k, v in info.parameters.items()) or "none"
            text = (
                f"{job} #{info.number}: {state}, duration {_fmt_duration(info.duration_ms)}, "
                f"started {info.timestamp:%Y-%m-%d %H:%M UTC}, parameters: {params}. {info.url or ''}"
                if info.timestamp
                else f"{job} #{info.number}: {state}, parameters: {params}. {info.url or ''}"
            )
            return bound(text.strip())
        status = jenkins.job_status(job, limit=5)
        lines = [
            f"{job}: last build #{status.last_build or '-'}, "
            f"last success #{status.last_successful_build or '-'}, "
            f"last failure #{status.last_failed_build or '-'}"
            + (f"; health: {status.health}" if status.health else "")
            + (f"; queued: {status.queue_why}" if status.in_queue else "")
        ]
        for b in status.recent_builds:
            lines.append(
                f"  #{b.number} {'RUNNING' if b.building else b.result} ({_fmt_duration(b.duration_ms)})"
            )
        return bound("\n".join(lines))

    def trigger_build(job: str, parameters: dict[str, str] | None = None) -> str:
        jenkins = ctx.jenkins()
        params = dict(parameters or {})
        shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "no parameters"
        args = {"job": job, "parameters": params}
        held = ctx.gate(
            "trigger_build",
            args,
            f"trigger a new build of {job} with {shown}",
            action="trigger",
            target=job,
            parameters=params,
        )
        if held is not None:
            return held
        item = jenkins.trigger_build(job, params or None)
        number = _started_number(item)
        ctx.record(
            "trigger", job, done=True, detail=f"queued item {item.id}", parameters=params, build=number
        )
        if number is not None:
            return ctx.did(
                "trigger_build", job, f"Triggered {job} with {shown}: it started as build #{number}."
            )
        return ctx.did(
            "trigger_build",
            job,
            f"Triggered {job} with {shown}: queued as item {item.id} ({item.why or 'waiting'}).",
        )

    def _started_number(item: QueueItem) -> int | None:
        from worker.jenkins import JenkinsTimeout

        try:
            return ctx.jenkins().wait_for_build_number(item, timeout=START_TIMEOUT_SECONDS)
        except JenkinsTimeout:  # still queued (no free executor): report the queue item instead
            return None

    def abort_build(job: str, build: int) -> str:
        jenkins = ctx.jenkins()
        args = {"job": job, "build": build}
        if already := ctx.gate_done("abort_build", f"{job} #{build}"):
            return already
        info = jenkins.get_build(job, build)
        if not info.building:
            return f"{job} #{build} is not running (result {info.result}); nothing to abort."
        held = ctx.gate(
            "abort_build",
            args,
            f"abort {job} #{build}, which is running",
            action="abort",
            target=f"{job} #{build}",
        )
        if held is not None:
            return held
        jenkins.abort_build(job, build)
        ctx.record("abort", f"{job} #{build}", done=True, detail="stop requested")
        return ctx.did("abort_build", f"{job} #{build}", f"Asked Jenkins to abort {job} #{build}.")

    def rebuild(job: str, build: int, parameters: dict[str, str] | None = None) -> str:
        jenkins = ctx.jenkins()
        changes = dict(parameters or {})
        args = {"job": job, "build": build, "parameters": changes}
        if already := ctx.gate_done("rebuild", f"{job} #{build}"):
            return already
        # Same parameters as the original, with the requested ones changed.
        merged = {**jenkins.get_build(job, build).parameters, **changes}
        shown = ", ".join(f"{k}={v}" for k, v in merged.items()) or "no parameters"
        held = ctx.gate(
            "rebuild",
            args,
            f"rebuild {job} #{build} with {shown}",
            action="rebuild",
            target=f"{job} #{build}",
            parameters=merged,
        )
        if held is not None:
            return held
        item = jenkins.trigger_build(job, merged or None) if changes else jenkins.rebuild(job, build)
        number = _started_number(item)
        ctx.record(
            "rebuild",
            f"{job} #{build}",
            done=True,
            detail=f"queued item {item.id}",
            parameters=merged,
            build=number,
        )
        where = f"started as build #{number}" if number is not None else f"queued as item {item.id}"
        return ctx.did("rebuild", f"{job} #{build}", f"Rebuilt {job} #{build} with {shown}: {where}.")

    def wait_for_build(job: str, build: int, timeout_seconds: float = 300) -> str:
        ctx.services.report("waiting", job=job, build=build)
        # Within the task's time limit: past it the wait ends as a timeout the model can report.
        timeout = min(timeout_seconds, ctx.services.settings.max_wait_seconds)
        info = ctx.jenkins().wait_for_build(job, build, timeout=timeout)
        return f"{job} #{build} finished: {info.result} after {_fmt_duration(info.duration_ms)}."

    def list_queue() -> str:
        items = ctx.jenkins().queue()
        if not items:
            return "The build queue is empty."
        lines = [f"{len(items)} item(s) in the queue:"]
        for item in items:
            flags = [f for f in ("blocked", "stuck") if getattr(item, f)]
            params = ", ".join(f"{k}={v}" for k, v in item.parameters.items())
            lines.append(
                f"  {item.job}: {item.why or 'waiting'}"
                + (f" [{', '.join(flags)}]" if flags else "")
                + (f" ({params})" if params else "")
            )
        return bound("\n".join(lines))

    return [
        StructuredTool.from_function(
            build_status,
            name="build_status",
            args_schema=StatusArgs,
            description="Status of a Jenkins job (recent builds, health) or of one build (result, duration, "
            "parameters).",
        ),
        StructuredTool.from_function(
            trigger_build,
            name="trigger_build",
            args_schema=TriggerArgs,
            description="Start a new build of a job, optionally with parameters. Changes Jenkins: without the "
            "user's confirmation it only plans the build (the user confirms it with a token).",
        ),
        StructuredTool.from_function(
            abort_build,
            name="abort_build",
            args_schema=BuildRefArgs,
            description="Abort a running build. Changes Jenkins: without the user's confirmation it only plans "
            "the abort (the user confirms it with a token).",
        ),
        StructuredTool.from_function(
            rebuild,
            name="rebuild",
            args_schema=RebuildArgs,
            description="Run a build again with the same parameters, optionally changing some of them. Changes "
            "Jenkins: without the user's confirmation it only plans the rebuild (the user confirms it with a "
            "token).",
        ),
        StructuredTool.from_function(
            wait_for_build,
            name="wait_for_build",
            args_schema=WaitArgs,
            description="Wait until a build finishes and return its result.",
        ),
        StructuredTool.from_function(
            list_queue,
            name="list_queue",
            args_schema=NoArgs,
            description="What is waiting in the Jenkins build queue, and why.",
        ),
    ]


_ABORT = re.compile(r"\b(abort|stop|cancel|kill|terminate)\b", re.I)
_REBUILD = re.compile(r"\b(rebuild|retry|re-?run|restart|re-?trigger|again)\b", re.I)
_WAIT = re.compile(r"\b(wait|block until)\b", re.I)
_QUEUE = re.compile(r"\bqueued?\b", re.I)
_QUEUE_A_BUILD = re.compile(r"\bqueue (?:a|the|another) (?:new )?build\b", re.I)
_TRIGGER = re.compile(r"\b(trigger|start|run|kick|launch|fire|build)\b", re.I)
_STATUS = re.compile(
    r"\b(status|result|history|recent|passing|green|red|succe\w*|how long|running|latest)", re.I
)

Intent = Literal["abort", "rebuild", "wait", "queue", "trigger", "status"]
_EXAMPLES = (
    "'status of api-service', 'trigger api-service with DEBUG=true', 'rebuild api-service 42', "
    "'abort api-service #17', 'wait for api-service 42' and 'what is in the queue'"
)


def intent_of(text: str, has_parameters: bool, has_build: bool) -> Intent:
    """Which build operation a request asks for, by its verbs, from the most to the least specific."""
    if _ABORT.search(text):
        return "abort"
    if _REBUILD.search(text):
        return "rebuild"
    if _WAIT.search(text):
        return "wait"
    if _QUEUE.search(text) and not _QUEUE_A_BUILD.search(text):
        return "queue"
    # "build 230 of monorepo" names a build to look at; "trigger X with A=1" or "start X" asks for a new one.
    if _TRIGGER.search(text) and (has_parameters or not (has_build or _STATUS.search(text))):
        return "trigger"
    return "status"


def offline(ctx: ToolContext, text: str) -> str:
    """Answer a build request without an LLM: parse it and call the same tools."""
    req = parse_request(text, ctx.context)
    intent = intent_of(text, bool(req.parameters), req.build is not None)
    if intent == "queue":
        return ctx.call("list_queue")[1]
    if not req.job:
        raise ToolError(
            f"I understood '{intent}' but found no job name. Name the job (e.g. 'api-service' or "
            f"'team/api-service') or pass job=... in the context. Without an LLM I understand {_EXAMPLES}."
        )
    if intent == "trigger":
        return ctx.call("trigger_build", job=req.job, parameters=req.parameters)[1]
    build = req.build
    if build is None and (intent != "status" or req.last_build):
        # Errors (no such job, Jenkins down) propagate and become the answer's text in the supervisor.
        build = ctx.jenkins().job_status(req.job, limit=1).last_build
        if build is None:
            return f"{req.job} has no builds yet; say 'trigger {req.job}' to start one."
    if intent == "abort":
        return ctx.call("abort_build", job=req.job, build=build)[1]
    if intent == "rebuild":
        return ctx.call("rebuild", job=req.job, build=build, parameters=req.parameters)[1]
    if intent == "wait":
        return ctx.call("wait_for_build", job=req.job, build=build)[1]
    return ctx.call("build_status", job=req.job, build=build)[1]


def prefetch(ctx: ToolContext, text: str) -> Prefetch:
    """The status or queue a read-only request asks about (actions are the model's calls, gated)."""
    try:
        req = parse_request(text, ctx.context)
    except ValueError:
        return []
    intent = intent_of(text, bool(req.parameters), req.build is not None)
    if intent == "queue":
        return [("list_queue", {})]
    if intent == "status" and req.job:
        return [("build_status", {"job": req.job, "build": req.build})]
    return []


SPECIALIST = Specialist(
    name="build",
    description="status, trigger with parameters, abort, rebuild, wait, queue",
    system_prompt=(
        "You manage Jenkins builds: status, triggering with parameters, aborting, rebuilding, waiting and "
        "the queue. Use the tools; never invent build numbers or results. Triggering, rebuilding and aborting "
        "change Jenkins: call the tool once; without the user's confirmation it only plans the action, and "
        "you tell the user in one sentence what would be done. Never call the same tool twice with the same "
        "arguments. Answer briefly with the facts the tools returned."
    ),
    make_tools=make_tools,
    offline=offline,
    prefetch=prefetch,
)
