"""Build manager: status, trigger with parameters, abort, rebuild, wait, queue."""

from __future__ import annotations

import re

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from worker.agents.parsing import parse_request
from worker.agents.tools import Specialist, ToolContext, ToolError, bound

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
        item = jenkins.trigger_build(job, params or None)
        number = _started_number(item)
        ctx.record(
            "trigger", job, done=True, detail=f"queued item {item.id}", parameters=params, build=number
        )
        shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "no parameters"
        if number is not None:
            return f"Triggered {job} with {shown}: it started as build #{number}."
        return f"Triggered {job} with {shown}: queued as item {item.id} ({item.why or 'waiting'})."

    def _started_number(item: object) -> int | None:
        from worker.jenkins import JenkinsTimeout

        try:
            return ctx.jenkins().wait_for_build_number(item, timeout=START_TIMEOUT_SECONDS)  # type: ignore[arg-type]
        except JenkinsTimeout:
            return None

    def abort_build(job: str, build: int) -> str:
        jenkins = ctx.jenkins()
        info = jenkins.get_build(job, build)
        if not info.building:
            return f"{job} #{build} is not running (result {info.result}); nothing to abort."
        if not ctx.confirmed:
            ctx.record("abort", f"{job} #{build}", done=False, detail="needs confirm: true")
            return (
                f"Would abort {job} #{build}, which is running. Aborting is destructive: "
                "send the task again with confirm: true in the context to do it."
            )
        jenkins.abort_build(job, build)
        ctx.record("abort", f"{job} #{build}", done=True, detail="stop requested")
        return f"Asked Jenkins to abort {job} #{build}."

    def rebuild(job: str, build: int, parameters: dict[str, str] | None = None) -> str:
        jenkins = ctx.jenkins()
        changes = dict(parameters or {})
        if changes:
            # Same parameters as the original, with the requested ones changed.
            original = jenkins.get_build(job, build).parameters
            merged = {**original, **changes}
            item = jenkins.trigger_build(job, merged or None)
        else:
            merged = jenkins.get_build(job, build).parameters
            item = jenkins.rebuild(job, build)
        number = _started_number(item)
        ctx.record(
            "rebuild",
            f"{job} #{build}",
            done=True,
            detail=f"queued item {item.id}",
            parameters=merged,
            build=number,
        )
        shown = ", ".join(f"{k}={v}" for k, v in merged.items()) or "no parameters"
        where = f"started as build #{number}" if number is not None else f"queued as item {item.id}"
        return f"Rebuilt {job} #{build} with {shown}: {where}."

    def wait_for_build(job: str, build: int, timeout_seconds: float = 300) -> str:
        ctx.services.report("waiting", job=job, build=build)
        info = ctx.jenkins().wait_for_build(job, build, timeout=timeout_seconds)
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
            description="Start a new build of a job, optionally with parameters. Returns the build number.",
        ),
        StructuredTool.from_function(
            abort_build,
            name="abort_build",
            args_schema=BuildRefArgs,
            description="Abort a running build. Destructive: only done when the user confirmed in the task "
            "context; otherwise it explains what would be done.",
        ),
        StructuredTool.from_function(
            rebuild,
            name="rebuild",
            args_schema=RebuildArgs,
            description="Run a build again with the same parameters, optionally changing some of them.",
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
_WAIT = re.compile(r"\b(wait|block until|until .* (?:done|finish))", re.I)
_TRIGGER = re.compile(r"\b(trigger|start|run|kick|launch|fire|build|queue a)\b", re.I)
_QUEUE = re.compile(r"\bqueued?\b", re.I)


def offline(ctx: ToolContext, text: str) -> str:
    """Answer a build request without an LLM: parse it and call the same tools."""
    req = parse_request(text, ctx.context)

    def need_job(what: str) -> str:
        return (
            f"I understood you want to {what}, but found no job name. Name the job (e.g. 'api-service' or "
            "'team/api-service') or pass job=... in the context."
        )

    def latest(job: str) -> int | None:
        # Errors (no such job, Jenkins down) propagate and become the answer's text in the supervisor.
        return ctx.jenkins().job_status(job, limit=1).last_build

    if _ABORT.search(text):
        if not req.job:
            return need_job("abort a build")
        build = req.build or latest(req.job)
        if build is None:
            return f"{req.job} has no build to abort."
        return ctx.call("abort_build", job=req.job, build=build)[1]
    if _REBUILD.search(text) and req.job:
        build = req.build or latest(req.job)
        if build is None:
            return f"{req.job} has no earlier build to rebuild; say 'trigger {req.job}' to start one."
        return ctx.call("rebuild", job=req.job, build=build, parameters=req.parameters)[1]
    if _WAIT.search(text) and req.job:
        build = req.build or latest(req.job)
        if build is None:
            return f"{req.job} has no build to wait for."
        return ctx.call("wait_for_build", job=req.job, build=build)[1]
    if _QUEUE.search(text) and not (req.job and re.search(r"\bqueue (?:a|the) (?:new )?build\b", text, re.I)):
        return ctx.call("list_queue")[1]
    status_words = re.search(
        r"\b(status|result|history|recent|passing|green|red|succe|how long|running|latest)", text, re.I
    )
    if _TRIGGER.search(text) and req.job and not (status_words and not req.parameters):
        if req.build is not None and not req.parameters:
            return ctx.call("build_status", job=req.job, build=req.build)[1]
        return ctx.call("trigger_build", job=req.job, parameters=req.parameters)[1]
    if req.job:
        if req.build is None and req.last_build:
            build = latest(req.job)
            if build is not None:
                return ctx.call("build_status", job=req.job, build=build)[1]
        return ctx.call("build_status", job=req.job, build=req.build)[1]
    raise ToolError(
        "I could not tell which job you mean. Without an LLM I understand requests such as "
        "'status of api-service', 'trigger api-service with DEBUG=true', 'rebuild api-service 42', "
        "'abort api-service #17', 'wait for api-service 42' and 'what is in the queue'."
    )


SPECIALIST = Specialist(
    name="build",
    description="status, trigger with parameters, abort, rebuild, wait, queue",
    system_prompt=(
        "You manage Jenkins builds: status, triggering with parameters, aborting, rebuilding, waiting and "
        "the queue. Use the tools; never invent build numbers or results. Destructive actions (abort) are "
        "only carried out when the user confirmed; if a tool says confirmation is needed, tell the user "
        "exactly what would be done and how to confirm. Answer briefly with the facts the tools returned."
    ),
    make_tools=make_tools,
    offline=offline,
)
