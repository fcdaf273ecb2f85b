"""Typed results of :class:`worker.jenkins.JenkinsClient` and the pure parsers that build them.

The ``from_api`` constructors take the JSON Jenkins returns for the ``tree=`` the client asks for (see
``TREES``) and never do I/O, so they are unit-tested against recorded responses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from worker.jenkins.urls import job_name_from_url

# The one place that says which fields we read from each Jenkins object: every JSON call sends one of these as
# ``tree=`` so Jenkins serialises only what we use (never ``depth=1`` on a big object).
TREES: dict[str, str] = {
    "root": "mode,nodeName,useCrumbs",
    "build": (
        "number,result,building,duration,timestamp,url,description,queueId,"
        "actions[parameters[name,value],lastBuiltRevision[SHA1]],changeSets[items[commitId]]"
    ),
    "build_description": "description",
    "build_parameters": "actions[parameters[name,value]]",
    "last_successful": "lastSuccessfulBuild[number]",
    # What an earlier run of a task may have queued (idempotent triggers): the newest builds with their queue ids.
    "recent_builds_queued": "builds[number,timestamp,queueId,actions[parameters[name,value]]]{0,20}",
    "job_parameters": "property[parameterDefinitions[name]]",
    "job_status": (
        "name,fullName,url,color,buildable,inQueue,"
        "lastBuild[number],lastCompletedBuild[number],lastSuccessfulBuild[number],lastFailedBuild[number],"
        "healthReport[score,description],queueItem[id,why,blocked,buildable,stuck,inQueueSince],"
        "builds[number,result,building,duration,timestamp,url]{0,%d}"
    ),
    "queue": (
        "items[id,url,why,blocked,buildable,stuck,inQueueSince,task[name,url],"
        "actions[parameters[name,value]],executable[number,url]]"
    ),
    "queue_item": (
        "id,url,why,blocked,buildable,stuck,cancelled,inQueueSince,task[name,url],"
        "actions[parameters[name,value]],executable[number,url]"
    ),
    "plugins": (
        "plugins[shortName,longName,version,active,enabled,hasUpdate,pinned,bundled,url,"
        "dependencies[shortName,version,optional]]"
    ),
    "update_site": (
        "id,url,updates[name,version,title,dependencies],availables[name,version,title,dependencies]"
    ),
    "update_site_url": "id,url",
    "nodes": (
        "busyExecutors,totalExecutors,computer[displayName,offline,temporarilyOffline,offlineCauseReason,"
        "idle,numExecutors,assignedLabels[name]]"
    ),
    "crumb": "crumb,crumbRequestField",
}


def _ms_to_datetime(value: Any) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return None


def _param_value(value: Any) -> str:
    """Parameter values are strings, booleans or null; we keep the string Jenkins would show."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_parameters(actions: Any) -> dict[str, str]:
    """Collect build parameters from the ``actions`` list of a build or queue item."""
    params: dict[str, str] = {}
    for action in actions or []:
        if isinstance(action, dict):
            for p in action.get("parameters") or []:
                if isinstance(p, dict) and "name" in p:
                    params[str(p["name"])] = _param_value(p.get("value"))
    return params


def _commit(data: dict[str, Any]) -> str | None:
    """The built commit: the git plugin's ``lastBuiltRevision`` if present, else the newest changeset item."""
    for action in data.get("actions") or []:
        if isinstance(action, dict):
            sha = (action.get("lastBuiltRevision") or {}).get("SHA1")
            if sha:
                return str(sha)
    for change_set in data.get("changeSets") or []:
        items = change_set.get("items") or []
        if items and items[-1].get("commitId"):
            return str(items[-1]["commitId"])
    return None


class BuildInfo(BaseModel):
    """One build as Jenkins reports it."""

    job: str
    number: int
    result: str | None = Field(
        description="SUCCESS, FAILURE, UNSTABLE, ABORTED, NOT_BUILT; None while running"
    )
    building: bool
    duration_ms: int | None
    timestamp: datetime | None
    url: str | None
    parameters: dict[str, str] = {}
    description: str | None = None
    queue_id: int | None = None
    commit: str | None = None

    @classmethod
    def from_api(cls, job: str, data: dict[str, Any]) -> BuildInfo:
        building = bool(data.get("building"))
        duration = data.get("duration")
        return cls(
            job=job,
            number=int(data["number"]),
            result=data.get("result"),
            building=building,
            # Jenkins reports duration 0 while a build runs; that is "unknown", not "instant".
            duration_ms=int(duration) if isinstance(duration, int) and not building else None,
            timestamp=_ms_to_datetime(data.get("timestamp")),
            url=data.get("url"),
            parameters=parse_parameters(data.get("actions")),
            description=data.get("description"),
            queue_id=data.get("queueId"),
            commit=_commit(data),
        )


class BuildSummary(BaseModel):
    """A build in a job's recent history."""

    number: int
    result: str | None
    building: bool
    duration_ms: int | None
    timestamp: datetime | None
    url: str | None


class StageInfo(BaseModel):
    """A Pipeline stage (from wfapi) and, when it failed, the step inside it that failed."""

    id: str
    name: str
    status: str = Field(description="wfapi status: SUCCESS, FAILED, UNSTABLE, ABORTED, IN_PROGRESS, ...")
    duration_ms: int | None = None
    step: str | None = Field(default=None, description="failed step, Jenkinsfile style: sh 'mvn verify'")
    error: str | None = Field(default=None, description="the error Pipeline recorded for the failed step")


# Which stage to blame, in order: a stage that failed beats one that is merely unstable or aborted.
FAILED_STAGE_STATUSES = ("FAILED", "UNSTABLE", "ABORTED")


def parse_stages(describe: dict[str, Any]) -> list[StageInfo]:
    """Stages of a ``wfapi/describe`` (or ``wfapi/runs`` entry) answer, in order."""
    return [
        StageInfo(
            id=str(s.get("id")),
            name=str(s.get("name")),
            status=str(s.get("status")),
            duration_ms=s.get("durationMillis"),
            error=(s.get("error") or {}).get("message"),
        )
        for s in describe.get("stages") or []
    ]


def pick_failed_stage(stages: list[StageInfo]) -> StageInfo | None:
    """The stage to blame for a failed run: the first FAILED, else UNSTABLE, else ABORTED; else ``None``."""
    return next((s for status in FAILED_STAGE_STATUSES for s in stages if s.status == status), None)


def pick_failed_step(stage_node: dict[str, Any]) -> dict[str, Any] | None:
    """The step to blame in a stage node's ``stageFlowNodes``: the first failed step carrying an error."""
    failed = [n for n in stage_node.get("stageFlowNodes") or [] if n.get("status") in FAILED_STAGE_STATUSES]
    return next((n for n in failed if n.get("error")), failed[0] if failed else None)


class QueueItem(BaseModel):
    """An item in (or just out of) the build queue."""

    id: int
    job: str | None
    url: str
    why: str | None = Field(default=None, description="Jenkins' own words for why the item waits")
    blocked: bool = False
    buildable: bool = False
    stuck: bool = False
    cancelled: bool = False
    in_queue_since: datetime | None = None
    parameters: dict[str, str] = {}
    build_number: int | None = Field(default=None, description="set once the item became a build")

    @classmethod
    def from_api(cls, data: dict[str, Any], *, base_url: str) -> QueueItem:
        task = data.get("task") or {}
        executable = data.get("executable") or {}
        item_url = str(data.get("url") or f"queue/item/{data['id']}/")
        if not item_url.startswith("http"):
            item_url = f"{base_url.rstrip('/')}/{item_url.lstrip('/')}"
        return cls(
            id=int(data["id"]),
            job=job_name_from_url(task["url"]) if task.get("url") else task.get("name"),
            url=item_url,
            why=data.get("why"),
            blocked=bool(data.get("blocked")),
            buildable=bool(data.get("buildable")),
            stuck=bool(data.get("stuck")),
            cancelled=bool(data.get("cancelled")),
            in_queue_since=_ms_to_datetime(data.get("inQueueSince")),
            parameters=parse_parameters(data.get("actions")),
            build_number=executable.get("number"),
        )


class JobStatus(BaseModel):
    """A job at a glance: health, what is queued and its recent builds (newest first)."""

    job: str
    url: str | None
    color: str | None = Field(
        None, description="Jenkins' ball colour: blue, red, yellow, *_anime when building"
    )
    buildable: bool = True
    in_queue: bool = False
    queue_why: str | None = None
    health_score: int | None = None
    health: str | None = None
    last_build: int | None = None
    last_completed_build: int | None = None
    last_successful_build: int | None = None
    last_failed_build: int | None = None
    recent_builds: list[BuildSummary] = []

    @classmethod
    def from_api(cls, job: str, data: dict[str, Any]) -> JobStatus:
        def number(key: str) -> int | None:
            ref = data.get(key)
            return int(ref["number"]) if isinstance(ref, dict) and "number" in ref else None

        health = (data.get("healthReport") or [{}])[0] if data.get("healthReport") else {}
        builds = [
            BuildSummary(
                number=int(b["number"]),
                result=b.get("result"),
                building=bool(b.get("building")),
                duration_ms=b.get("duration") if not b.get("building") else None,
                timestamp=_ms_to_datetime(b.get("timestamp")),
                url=b.get("url"),
            )
            for b in data.get("builds") or []
        ]
        return cls(
            job=job,
            url=data.get("url"),
            color=data.get("color"),
            buildable=bool(data.get("buildable", True)),
            in_queue=bool(data.get("inQueue")),
            queue_why=(data.get("queueItem") or {}).get("why"),
            health_score=health.get("score"),
            health=health.get("description"),
            last_build=number("lastBuild"),
            last_completed_build=number("lastCompletedBuild"),
            last_successful_build=number("lastSuccessfulBuild"),
            last_failed_build=number("lastFailedBuild"),
            recent_builds=builds,
        )


class NodeInfo(BaseModel):
    """A build agent (or the built-in node): whether it can take work, and why not."""

    name: str
    offline: bool
    temporarily_offline: bool = False
    offline_reason: str | None = None
    idle: bool = True
    executors: int = 0
    labels: list[str] = []

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> NodeInfo:
        return cls(
            name=str(data.get("displayName")),
            offline=bool(data.get("offline")),
            temporarily_offline=bool(data.get("temporarilyOffline")),
            offline_reason=data.get("offlineCauseReason") or None,
            idle=bool(data.get("idle", True)),
            executors=int(data.get("numExecutors") or 0),
            labels=[str(label["name"]) for label in data.get("assignedLabels") or [] if label.get("name")],
        )


class PluginDependency(BaseModel):
    short_name: str
    version: str
    optional: bool = False


class PluginInfo(BaseModel):
    """An installed plugin; ``update_version`` is filled by :meth:`JenkinsClient.plugin_updates`."""

    short_name: str
    long_name: str | None = None
    version: str
    active: bool = True
    enabled: bool = True
    has_update: bool = False
    pinned: bool = False
    bundled: bool = False
    url: str | None = None
    dependencies: list[PluginDependency] = []
    update_version: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PluginInfo:
        return cls(
            short_name=data["shortName"],
            long_name=data.get("longName"),
            version=str(data.get("version") or ""),
            active=bool(data.get("active", True)),
            enabled=bool(data.get("enabled", True)),
            has_update=bool(data.get("hasUpdate")),
            pinned=bool(data.get("pinned")),
            bundled=bool(data.get("bundled")),
            url=data.get("url"),
            dependencies=[
                PluginDependency(
                    short_name=d["shortName"],
                    version=str(d.get("version") or ""),
                    optional=bool(d.get("optional")),
                )
                for d in data.get("dependencies") or []
            ],
        )


class SecurityWarning(BaseModel):
    """A published security warning (from the update site's ``warnings``) that applies to this Jenkins."""

    id: str
    type: Literal["plugin", "core"]
    name: str = Field(description="plugin short name, or 'core'")
    message: str
    url: str | None = None
    installed_version: str


class PluginReport(BaseModel):
    """Installed plugins, the updates available for them and the security warnings that apply."""

    plugins: list[PluginInfo]
    updates: list[PluginInfo]
    warnings: list[SecurityWarning]
    core_version: str | None = None


class PluginAction(BaseModel):
    """What ``install_plugin`` did, or would do when ``dry_run``."""

    plugin: str
    action: Literal["install", "upgrade", "none"]
    dry_run: bool
    current_version: str | None = None
    target_version: str | None = None
    missing_dependencies: list[str] = []
    message: str


class ValidationResult(BaseModel):
    """Jenkins' verdict on a declarative Jenkinsfile."""

    valid: bool
    errors: list[str] = []
    message: str


class JobAction(BaseModel):
    """What ``create_pipeline_job`` did, or would do when ``dry_run``."""

    job: str
    action: Literal["create"]
    dry_run: bool
    url: str | None = None
    config_xml: str
    message: str
