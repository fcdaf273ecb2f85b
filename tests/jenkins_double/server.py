"""A Jenkins test double: a threaded HTTP server on 127.0.0.1 that answers like a Jenkins controller.

It keeps the state a test needs (jobs in folders, builds with growing console logs and Pipeline stages, the
queue, descriptions, plugins, the update site) and renders every JSON answer from a template in the shape
Jenkins answers (``tests/data/jenkins``, see :mod:`tests.jenkins_double.templates`), filled with that state and cut
down by ``tree=`` like Stapler does. Every ``.../api/json`` also answers as ``.../api/python`` (the same data
as a Python literal, ``text/x-python``), which is what jenkinsapi reads. Security behaves like a Jenkins 2.x controller:

* HTTP Basic with ``user`` + API ``token`` (or ``password``); no or wrong credentials -> 401.
* CSRF: ``crumbIssuer/api/json`` issues a crumb bound to the session cookie. A POST authenticated with an API
  token needs no crumb (Jenkins >= 2.96); a POST with a password needs one, else 403 "No valid crumb".
  ``crumbs_for_tokens = True`` makes tokens need one too (older controllers).

Test hooks: ``fail_next(n, status)`` answers the next ``n`` requests with ``status``; ``requests`` records
``(method, path)`` of every request and ``request_log`` the full details (query included). Faults for the
fault tests: ``stall(path_part, n)`` holds the next ``n`` matching requests unanswered (a hanging Jenkins: the
client times out, or a test kills the worker while it waits) until ``release()`` or the double stops;
``cut_console_next(n, after_bytes)`` sends the next ``n`` console streams with their full length announced and
drops the connection after ``after_bytes`` (a log stream cut mid-way).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import secrets
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.jenkins_double.templates import template
from tests.jenkins_double.tree import apply_tree, parse_tree, to_python_literal

JENKINS_VERSION = "2.462.3"
_JOB_CLASSES = {
    "pipeline": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
    "freestyle": "hudson.model.FreeStyleProject",
    "folder": "com.cloudbees.hudson.plugins.folder.Folder",
}
_BUILD_CLASSES = {
    "pipeline": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
    "freestyle": "hudson.model.FreeStyleBuild",
}


def _wfapi_status(status: str) -> str:
    """wfapi says FAILED where a build result says FAILURE; accept either from tests."""
    return {"FAILURE": "FAILED"}.get(status, status)


class HttpError(Exception):
    def __init__(self, status: int, message: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Step:
    id: str
    name: str
    status: str
    parameter: str | None = None
    log: str = ""
    error: str | None = None
    duration_ms: int = 100


@dataclass
class Stage:
    id: str
    name: str
    status: str
    duration_ms: int
    steps: list[Step] = field(default_factory=list)


@dataclass
class Build:
    number: int
    result: str | None
    building: bool
    console: bytearray
    parameters: dict[str, str]
    stages: list[Stage]
    description: str | None = None
    timestamp_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    duration_ms: int = 0
    queue_id: int = 0
    commit: str | None = None
    polls_to_finish: int | None = None  # builds started from the queue finish after this many GETs


@dataclass
class Job:
    name: str
    kind: str
    parameters: dict[str, str] = field(default_factory=dict)  # name -> default value
    builds: dict[int, Build] = field(default_factory=dict)
    next_build_number: int = 1
    next_result: str = "SUCCESS"
    config_xml: str | None = None
    description: str = ""


@dataclass
class QueueEntry:
    id: int
    job: str
    parameters: dict[str, str]
    why: str | None = "Waiting for next available executor"
    blocked: bool = False
    stuck: bool = False
    cancelled: bool = False
    build_number: int | None = None
    polls_left: int = 1
    in_queue_since: int = field(default_factory=lambda: int(time.time() * 1000))


@dataclass
class Plugin:
    short_name: str
    version: str
    long_name: str
    update_version: str | None = None
    dependencies: dict[str, str] = field(default_factory=dict)
    installed: bool = True


class JenkinsDouble:
    """See the module docstring. Start with ``JenkinsDouble().start()`` or use the fixture."""

    def __init__(self, *, user: str = "ci-bot", context_path: str = "") -> None:
        self.user = user
        self.token = "11" + secrets.token_hex(16)  # Jenkins API tokens are 34 hex characters
        self.password = "s3cret-" + secrets.token_hex(4)
        self.context_path = "/" + context_path.strip("/") if context_path.strip("/") else ""
        self.crumbs_for_tokens = False
        self.queue_polls_before_start = 1
        self.build_polls_to_finish = 1
        self.requests: list[tuple[str, str]] = []
        self.request_log: list[dict[str, Any]] = []
        self.jobs: dict[str, Job] = {}
        self.queue_entries: dict[int, QueueEntry] = {}
        self.plugins: dict[str, Plugin] = {}
        self.warnings: list[dict[str, Any]] = []
        self.installs: list[str] = []
        self._lock = threading.RLock()
        self._next_queue_id = 100
        self._next_node_id = 3
        self._fail: list[tuple[int, str | None, str | None]] = []  # status, method, path part
        self._stalls: list[tuple[str, bool]] = []  # (path part, after handling): each holds one request
        self._released = threading.Event()
        #: Set when a request is being held by :meth:`stall` (the client is waiting inside that call).
        self.stalled = threading.Event()
        self._cuts: list[int] = []
        self._sessions: dict[str, str] = {}  # session id -> crumb
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._seed_plugins()

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> JenkinsDouble:
        double = self

        class Handler(_Handler):
            jenkins = double

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="jenkins-double",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # no held request outlives the double
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the double first"
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}{self.context_path}/"

    # -- state set-up ---------------------------------------------------------------------------------------

    def add_job(self, name: str, kind: str = "pipeline", *, parameters: dict[str, str] | None = None) -> Job:
        """Add a job (``kind`` pipeline, freestyle or folder); parent folders are created as needed."""
        if kind not in _JOB_CLASSES:
            raise ValueError(f"kind: one of {sorted(_JOB_CLASSES)}")
        with self._lock:
            parts = name.split("/")
            for i in range(1, len(parts)):
                folder = "/".join(parts[:i])
                if folder not in self.jobs:
                    self.jobs[folder] = Job(folder, "folder")
                elif self.jobs[folder].kind != "folder":
                    raise ValueError(f"{folder} is a job, not a folder")
            job = self.jobs.get(name) or Job(name, kind, parameters=dict(parameters or {}))
            self.jobs[name] = job
            return job

    def add_build(
        self,
        job: str,
        number: int,
        result: str | None,
        console: bytes | str = b"",
        stages: list[dict[str, Any]] | None = None,
        parameters: dict[str, str] | None = None,
        *,
        building: bool = False,
        description: str | None = None,
        commit: str | None = None,
        duration_ms: int = 60_000,
    ) -> Build:
        """Add a build. ``stages``: ``[{"name", "status" (wfapi: SUCCESS/FAILED/...), "duration_ms",
        "steps": [{"name": "Shell Script", "status", "parameter": "mvn verify", "log", "error"}]}]``."""
        with self._lock:
            j = self.jobs.get(job) or self.add_job(job)
            data = console.encode() if isinstance(console, str) else bytes(console)
            build = Build(
                number=number,
                result=None if building else result,
                building=building,
                console=bytearray(data),
                parameters=dict(parameters or {}),
                stages=[self._make_stage(s) for s in stages or []],
                description=description,
                duration_ms=0 if building else duration_ms,
                commit=commit,
            )
            j.builds[number] = build
            j.next_build_number = max(j.next_build_number, number + 1)
            return build

    def append_console(self, job: str, number: int, data: bytes | str) -> None:
        with self._lock:
            self.jobs[job].builds[number].console += data.encode() if isinstance(data, str) else data

    def finish_build(self, job: str, number: int, result: str = "SUCCESS") -> None:
        with self._lock:
            build = self.jobs[job].builds[number]
            build.building = False
            build.result = result
            build.duration_ms = max(1, int(time.time() * 1000) - build.timestamp_ms)
            build.console += f"Finished: {result}\n".encode()

    def description(self, job: str, number: int) -> str | None:
        with self._lock:
            return self.jobs[job].builds[number].description

    def add_queue_item(
        self,
        job: str,
        *,
        why: str = "Waiting for next available executor",
        parameters: dict[str, str] | None = None,
        blocked: bool = False,
        stuck: bool = False,
        hold: bool = True,
    ) -> int:
        """Put an item in the queue; with ``hold`` it stays there however often it is polled."""
        with self._lock:
            entry = self._enqueue(job, parameters or {})
            entry.why, entry.blocked, entry.stuck = why, blocked, stuck
            if hold:
                entry.polls_left = 10**9
            return entry.id

    def add_plugin(
        self,
        short_name: str,
        version: str,
        *,
        long_name: str | None = None,
        update_version: str | None = None,
        dependencies: dict[str, str] | None = None,
        installed: bool = True,
    ) -> None:
        """Add a plugin: installed (with an optional update) or only offered by the update site."""
        with self._lock:
            self.plugins[short_name] = Plugin(
                short_name,
                version,
                long_name or short_name,
                update_version,
                dict(dependencies or {}),
                installed,
            )

    def add_warning(self, plugin: str, pattern: str, *, id: str, message: str, type: str = "plugin") -> None:
        """Publish an update-site security warning for versions of ``plugin`` matching ``pattern``."""
        with self._lock:
            self.warnings.append(
                {
                    "id": id,
                    "message": message,
                    "name": plugin,
                    "type": type,
                    "url": f"https://www.jenkins.io/security/advisory/{id}",
                    "versions": [{"lastVersion": "0", "pattern": pattern}],
                }
            )

    def fail_next(
        self, n: int, status: int = 503, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Answer the next ``n`` requests (only ``method`` ones, and only those whose path contains ``path``, if
        given) with ``status``."""
        with self._lock:
            self._fail.extend([(status, method, path)] * n)

    def clear_faults(self) -> None:
        """No more injected failures, stalls or cut streams; held requests are answered."""
        with self._lock:
            self._fail.clear()
            self._cuts.clear()
        self.release()

    def stall(self, path_part: str, n: int = 1, *, after: bool = False) -> None:
        """Hold the next ``n`` requests whose path contains ``path_part`` unanswered until :meth:`release`.
        ``after``: carry each out first (a POST takes effect) and hold only the answer."""
        with self._lock:
            self._released.clear()
            self._stalls.extend([(path_part, after)] * n)

    def release(self) -> None:
        """Answer the held requests (and let later matching ones through)."""
        with self._lock:
            self._stalls.clear()
        self._released.set()

    def cut_console_next(self, n: int = 1, *, after_bytes: int = 64) -> None:
        """Cut the next ``n`` console streams after ``after_bytes`` (their full length announced)."""
        with self._lock:
            self._cuts.extend([after_bytes] * n)

    def _take_stall(self, path: str) -> bool | None:
        """``None``: answer at once; ``False``: hold before handling; ``True``: handle, then hold the answer."""
        with self._lock:
            for i, (part, after) in enumerate(self._stalls):
                if part in path:
                    del self._stalls[i]
                    return after
        return None

    def _take_cut(self) -> int | None:
        with self._lock:
            return self._cuts.pop(0) if self._cuts else None

    # -- internals ------------------------------------------------------------------------------------------

    def _seed_plugins(self) -> None:
        # The pluginManager template holds workflow-aggregator 2.5 and its 6 dependencies: 7 plugins installed.
        seed = template("plugins.json")["plugins"][0]
        self.add_plugin(
            seed["shortName"],
            seed["version"],
            long_name=seed["longName"],
            dependencies={d["shortName"]: d["version"] for d in seed["dependencies"]},
        )
        for dep in seed["dependencies"]:
            self.add_plugin(dep["shortName"], dep["version"])

    def _make_stage(self, spec: dict[str, Any]) -> Stage:
        stage = Stage(
            self._node_id(),
            spec["name"],
            _wfapi_status(spec.get("status", "SUCCESS")),
            spec.get("duration_ms", 1000),
        )
        for s in spec.get("steps", []):
            stage.steps.append(
                Step(
                    self._node_id(),
                    s.get("name", "Shell Script"),
                    _wfapi_status(s.get("status", stage.status)),
                    s.get("parameter"),
                    s.get("log", ""),
                    s.get("error"),
                )
            )
        return stage

    def _node_id(self) -> str:
        self._next_node_id += 1
        return str(self._next_node_id)

    def _enqueue(self, job: str, parameters: dict[str, str]) -> QueueEntry:
        self._next_queue_id += 1
        entry = QueueEntry(
            self._next_queue_id, job, dict(parameters), polls_left=self.queue_polls_before_start
        )
        running = [b for b in self.jobs[job].builds.values() if b.building]
        if running:
            entry.why = f"Build #{running[-1].number} is already in progress (ETA: 30 sec)"
            entry.blocked = True
        self.queue_entries[entry.id] = entry
        return entry

    def _start(self, entry: QueueEntry) -> None:
        job = self.jobs[entry.job]
        number = job.next_build_number
        build = self.add_build(
            entry.job,
            number,
            None,
            f"Started by user {self.user}\n[Pipeline] Start of Pipeline\n",
            parameters={**job.parameters, **entry.parameters},
            building=True,
        )
        build.queue_id = entry.id
        build.polls_to_finish = self.build_polls_to_finish
        entry.build_number, entry.why, entry.blocked = number, None, False

    def _job(self, name: str) -> Job:
        job = self.jobs.get(name)
        if job is None:
            raise HttpError(404, f"no job {name}")
        return job

    def _build(self, job: str, number: int) -> Build:
        build = self._job(job).builds.get(number)
        if build is None:
            raise HttpError(404, f"no build {job} #{number}")
        return build

    def job_url(self, name: str) -> str:
        return self.url + "".join(f"job/{quote(p, safe='')}/" for p in name.split("/"))

    # -- JSON rendering from the templates ----------------------------------------------------------------

    def render_build(self, job: str, build: Build) -> dict[str, Any]:
        data: dict[str, Any] = template("build.json")
        kind = self.jobs[job].kind
        data["_class"] = _BUILD_CLASSES.get(kind, _BUILD_CLASSES["freestyle"])
        data["actions"][0]["parameters"] = [{"name": k, "value": v} for k, v in build.parameters.items()]
        data["actions"][0]["_class"] = "hudson.model.ParametersAction"
        data["actions"][1]["causes"][0].update(
            shortDescription=f"Started by user {self.user}", userId=self.user, userName=self.user
        )
        if build.commit:
            data["actions"].append(
                {"_class": "hudson.plugins.git.util.BuildData", "lastBuiltRevision": {"SHA1": build.commit}}
            )
            data["changeSets"][0]["items"][0].update(commitId=build.commit, id=build.commit)
        else:
            data["changeSets"] = []
        data.update(
            building=build.building,
            description=build.description,
            displayName=f"#{build.number}",
            duration=build.duration_ms,
            fullDisplayName=f"{job.replace('/', ' » ')} #{build.number}",
            id=str(build.number),
            number=build.number,
            queueId=build.queue_id,
            result=build.result,
            timestamp=build.timestamp_ms,
            url=f"{self.job_url(job)}{build.number}/",
        )
        return data

    def render_job(self, name: str) -> dict[str, Any]:
        job = self.jobs[name]
        if job.kind == "folder":
            data: dict[str, Any] = template("folder.json")
            data.update(
                name=name.split("/")[-1], fullName=name, url=self.job_url(name), jobs=self._children(name)
            )
            return data
        data = template("job.json")
        numbers = sorted(job.builds, reverse=True)

        def ref(pred: Any) -> dict[str, Any] | None:
            n = next((n for n in numbers if pred(job.builds[n])), None)
            return None if n is None else {"number": n, "url": f"{self.job_url(name)}{n}/"}

        last = job.builds[numbers[0]] if numbers else None
        color = {"SUCCESS": "blue", "UNSTABLE": "yellow", "FAILURE": "red", "ABORTED": "aborted"}
        completed = [job.builds[n] for n in numbers if not job.builds[n].building]
        colour = color.get(completed[0].result or "", "notbuilt") if completed else "notbuilt"
        recent = completed[:5]
        score = 100 * sum(b.result == "SUCCESS" for b in recent) // len(recent) if recent else 100
        queued = next(
            (q for q in self.queue_entries.values() if q.job == name and q.build_number is None), None
        )
        param_defs = [
            {
                "defaultParameterValue": {"name": k, "value": v},
                "description": "",
                "name": k,
                "type": "StringParameterDefinition",
            }
            for k, v in job.parameters.items()
        ]
        data["actions"] = [{"parameterDefinitions": param_defs}] if param_defs else [{}]
        data["property"] = [{"parameterDefinitions": param_defs}] if param_defs else []
        data.update(
            _class=_JOB_CLASSES[job.kind],
            name=name.split("/")[-1],
            fullName=name,
            displayName=name.split("/")[-1],
            description=job.description,
            url=self.job_url(name),
            builds=[self._build_ref(name, job.builds[n]) for n in numbers],
            color=colour + ("_anime" if last is not None and last.building else ""),
            firstBuild=None
            if not numbers
            else {"number": numbers[-1], "url": f"{self.job_url(name)}{numbers[-1]}/"},
            lastBuild=ref(lambda _: True),
            lastCompletedBuild=ref(lambda b: not b.building),
            lastFailedBuild=ref(lambda b: b.result == "FAILURE"),
            lastStableBuild=ref(lambda b: b.result == "SUCCESS"),
            lastSuccessfulBuild=ref(lambda b: b.result in {"SUCCESS", "UNSTABLE"}),
            lastUnstableBuild=ref(lambda b: b.result == "UNSTABLE"),
            lastUnsuccessfulBuild=ref(lambda b: b.result not in {None, "SUCCESS"}),
            nextBuildNumber=job.next_build_number,
            inQueue=queued is not None,
            queueItem=None if queued is None else self.render_queue_item(queued),
        )
        data["healthReport"][0].update(
            score=score, description=f"Build stability: {100 - score}% failed recently."
        )
        return data

    def _build_ref(self, job: str, build: Build) -> dict[str, Any]:
        return {
            "_class": _BUILD_CLASSES.get(self.jobs[job].kind, _BUILD_CLASSES["freestyle"]),
            "number": build.number,
            "url": f"{self.job_url(job)}{build.number}/",
            "result": build.result,
            "building": build.building,
            "duration": build.duration_ms,
            "timestamp": build.timestamp_ms,
            "queueId": build.queue_id,
            "actions": [
                {
                    "_class": "hudson.model.ParametersAction",
                    "parameters": [{"name": k, "value": v} for k, v in build.parameters.items()],
                }
            ]
            if build.parameters
            else [],
        }

    def _children(self, folder: str | None) -> list[dict[str, Any]]:
        prefix = f"{folder}/" if folder else ""
        out = []
        for name, job in sorted(self.jobs.items()):
            rest = name[len(prefix) :] if name.startswith(prefix) else None
            if rest and "/" not in rest:
                entry = {"_class": _JOB_CLASSES[job.kind], "name": rest, "url": self.job_url(name)}
                if job.kind != "folder":
                    entry["color"] = "blue"
                out.append(entry)
        return out

    def render_root(self) -> dict[str, Any]:
        data: dict[str, Any] = template("root.json")
        data.update(
            jobs=self._children(None),
            mode="NORMAL",
            nodeName="",
            useCrumbs=True,
            url=self.url,
            numExecutors=2,
        )
        return data

    def render_queue_item(self, entry: QueueEntry) -> dict[str, Any]:
        name = (
            "queue-item-cancelled.json"
            if entry.cancelled
            else "queue-item-started.json"
            if entry.build_number
            else "queue-item-waiting.json"
        )
        data: dict[str, Any] = template(name)
        data["actions"][0]["parameters"] = [
            {"_class": "hudson.model.StringParameterValue", "name": k, "value": v}
            for k, v in entry.parameters.items()
        ]
        data["task"].update(
            _class=_JOB_CLASSES[self.jobs[entry.job].kind],
            name=entry.job.split("/")[-1],
            url=self.job_url(entry.job),
        )
        data.update(
            id=entry.id,
            url=f"queue/item/{entry.id}/",
            why=entry.why,
            blocked=entry.blocked,
            stuck=entry.stuck,
            buildable=not entry.blocked and entry.build_number is None and not entry.cancelled,
            inQueueSince=entry.in_queue_since,
            params="".join(f"\n{k}={v}" for k, v in entry.parameters.items()),
        )
        if entry.build_number:
            data["executable"] = {
                "_class": _BUILD_CLASSES.get(self.jobs[entry.job].kind),
                "number": entry.build_number,
                "url": f"{self.job_url(entry.job)}{entry.build_number}/",
            }
        return data

    def render_queue(self) -> dict[str, Any]:
        data: dict[str, Any] = template("queue.json")
        data["_class"] = "hudson.model.Queue"
        data["items"] = [
            self.render_queue_item(e)
            for e in self.queue_entries.values()
            if e.build_number is None and not e.cancelled
        ]
        return data

    def render_plugins(self) -> dict[str, Any]:
        data: dict[str, Any] = template("plugins.json")
        shape = data["plugins"][0]
        plugins = []
        for p in sorted(self.plugins.values(), key=lambda p: p.short_name):
            if not p.installed:
                continue
            entry = dict(shape)
            entry.update(
                shortName=p.short_name,
                longName=p.long_name,
                version=p.version,
                hasUpdate=p.update_version is not None,
                url=f"https://plugins.jenkins.io/{p.short_name}",
                dependencies=[
                    {"optional": False, "shortName": k, "version": v}
                    for k, v in sorted(p.dependencies.items())
                ],
            )
            plugins.append(entry)
        data["plugins"] = plugins
        return data

    def render_update_site(self) -> dict[str, Any]:
        def entry(p: Plugin, version: str) -> dict[str, Any]:
            return {
                "name": p.short_name,
                "version": version,
                "title": p.long_name,
                "dependencies": p.dependencies,
            }

        return {
            "_class": "hudson.model.UpdateSite",
            "id": "default",
            "url": self.url + "update-center.json",
            "updates": [
                entry(p, p.update_version) for p in self.plugins.values() if p.installed and p.update_version
            ],
            "availables": [entry(p, p.version) for p in self.plugins.values() if not p.installed],
            "hasUpdates": any(p.update_version for p in self.plugins.values()),
        }

    def render_wfapi(self, job: str, build: Build) -> dict[str, Any]:
        data: dict[str, Any] = template("wfapi-describe.json")
        base = f"{self.context_path}/{self.job_url(job)[len(self.url) :]}{build.number}"
        data["_links"]["self"]["href"] = f"{base}/wfapi/describe"
        status = (
            "IN_PROGRESS" if build.building else {"FAILURE": "FAILED"}.get(build.result or "", build.result)
        )
        stages = []
        for stage in build.stages:
            stages.append(
                {
                    "_links": {"self": {"href": f"{base}/execution/node/{stage.id}/wfapi/describe"}},
                    "id": stage.id,
                    "name": stage.name,
                    "execNode": "",
                    "status": stage.status,
                    "startTimeMillis": build.timestamp_ms,
                    "durationMillis": stage.duration_ms,
                    "pauseDurationMillis": 0,
                }
            )
            if stage.status == "FAILED":
                failed = next((s for s in stage.steps if s.error), None)
                if failed is not None:
                    stages[-1]["error"] = {"message": failed.error, "type": "hudson.AbortException"}
        data.update(
            id=str(build.number),
            name=f"#{build.number}",
            status=status,
            startTimeMillis=build.timestamp_ms,
            endTimeMillis=build.timestamp_ms + build.duration_ms,
            durationMillis=build.duration_ms,
            stages=stages,
        )
        return data

    def render_node(self, job: str, build: Build, node_id: str) -> dict[str, Any]:
        base = f"{self.context_path}/{self.job_url(job)[len(self.url) :]}{build.number}"
        for stage in build.stages:
            if stage.id == node_id:
                data: dict[str, Any] = template("wfapi-stage.json")
                data["_links"]["self"]["href"] = f"{base}/execution/node/{stage.id}/wfapi/describe"
                nodes = []
                parent = stage.id
                for step in stage.steps:
                    node: dict[str, Any] = {
                        "_links": {
                            "self": {"href": f"{base}/execution/node/{step.id}/wfapi/describe"},
                            "log": {"href": f"{base}/execution/node/{step.id}/wfapi/log"},
                        },
                        "id": step.id,
                        "name": step.name,
                        "execNode": "",
                        "status": step.status,
                        "parameterDescription": step.parameter,
                        "startTimeMillis": build.timestamp_ms,
                        "durationMillis": step.duration_ms,
                        "pauseDurationMillis": 0,
                        "parentNodes": [parent],
                    }
                    if step.error:
                        node["error"] = {"message": step.error, "type": "hudson.AbortException"}
                    nodes.append(node)
                    parent = step.id
                data.update(
                    id=stage.id,
                    name=stage.name,
                    status=stage.status,
                    durationMillis=stage.duration_ms,
                    stageFlowNodes=nodes,
                )
                return data
            for step in stage.steps:
                if step.id == node_id:
                    log: dict[str, Any] = template("wfapi-node-log.json")
                    log.update(
                        nodeId=step.id,
                        nodeStatus=step.status,
                        length=len(step.log.encode()),
                        hasMore=False,
                        text=step.log,
                        consoleUrl=f"{base}/execution/node/{step.id}/log",
                    )
                    return log
        raise HttpError(404, f"no flow node {node_id}")


def validate_declarative(script: str) -> list[str]:
    """A small stand-in for Jenkins' declarative validator: required sections and balanced braces."""
    errors = []
    if not re.search(r"^\s*pipeline\s*\{", script, re.M):
        errors.append('WorkflowScript: 1: Missing required section "pipeline" @ line 1, column 1.')
        return errors
    if script.count("{") != script.count("}"):
        errors.append("WorkflowScript: 1: unexpected token: } or unbalanced braces @ line 1, column 1.")
    if not re.search(r"^\s*agent\b", script, re.M):
        errors.append('WorkflowScript: 1: Missing required section "agent" @ line 1, column 1.')
    if not re.search(r"^\s*stages\s*\{", script, re.M):
        errors.append('WorkflowScript: 1: Missing required section "stages" @ line 1, column 1.')
    return errors


class _Handler(BaseHTTPRequestHandler):
    jenkins: JenkinsDouble
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY each keep-alive response would wait
    # for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server_version = "Jetty(10.0.20)"
    python_flavour = False  # set per request: the path asked for api/python rather than api/json

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- plumbing -------------------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        j = self.jenkins
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with j._lock:
            j.requests.append((method, parts.path))
            j.request_log.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": query,
                    "headers": dict(self.headers),
                    "client_port": self.client_address[1],  # one port per TCP connection
                }
            )
            fail = None
            for i, (status, only_method, only_path) in enumerate(j._fail):
                if only_method in {None, method} and (only_path is None or only_path in parts.path):
                    fail = status
                    del j._fail[i]
                    break
        stall = j._take_stall(parts.path)
        if stall is False:
            j.stalled.set()
            j._released.wait()  # outside the lock: the rest of the double keeps answering
        answer, self.wfile = self.wfile, io.BytesIO() if stall else self.wfile
        try:
            if fail is not None:
                raise HttpError(fail, "injected failure")
            if j.context_path:
                if not path.startswith(j.context_path + "/"):
                    raise HttpError(404, "outside the context path")
                path = path[len(j.context_path) :]
            # Every exported object answers api/json and api/python alike (jenkinsapi reads api/python):
            # route both the same way and let _json pick the rendering.
            self.python_flavour = path.endswith("/api/python")
            if self.python_flavour:
                path = path[: -len("python")] + "json"
            auth_kind = self._authenticate()
            if method == "POST" and path != "/update-center.json":
                self._check_crumb(auth_kind)
            with j._lock:
                self._route(method, path.lstrip("/"), query, body)
        except HttpError as err:
            self._send(err.status, err.message.encode(), "text/html;charset=utf-8", err.headers)
        finally:
            if stall:  # handled; the answer waits
                held, self.wfile = self.wfile, answer
                j.stalled.set()
                j._released.wait()
                assert isinstance(held, io.BytesIO)
                self.wfile.write(held.getvalue())

    def _authenticate(self) -> str:
        j = self.jenkins
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            raise HttpError(401, "Authentication required", {"WWW-Authenticate": 'Basic realm="Jenkins"'})
        try:
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError as exc:
            raise HttpError(401, "Invalid authorization header") from exc
        if user == j.user and secrets.compare_digest(secret, j.token):
            return "token"
        if user == j.user and secrets.compare_digest(secret, j.password):
            return "password"
        raise HttpError(401, "Invalid password/token for user: " + user)

    def _session(self) -> str | None:
        cookie = self.headers.get("Cookie", "")
        match = re.search(r"JSESSIONID\.double=([0-9a-f]+)", cookie)
        return match.group(1) if match else None

    def _check_crumb(self, auth_kind: str) -> None:
        j = self.jenkins
        if auth_kind == "token" and not j.crumbs_for_tokens:
            return  # Jenkins >= 2.96 exempts API-token requests from CSRF protection
        session = self._session()
        expected = j._sessions.get(session or "")
        if expected is None or self.headers.get("Jenkins-Crumb") != expected:
            raise HttpError(403, "<html><body>No valid crumb was included in the request</body></html>")

    def _send(
        self, status: int, body: bytes | memoryview, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Jenkins", JENKINS_VERSION)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        view = memoryview(body)
        for i in range(0, len(view), 256 * 1024):
            self.wfile.write(view[i : i + 256 * 1024])

    def _send_cut(self, body: memoryview, after: int, headers: dict[str, str]) -> None:
        """Announce all of ``body`` but send only its first ``after`` bytes, then drop the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body[:after])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _json(self, data: Any, query: dict[str, str], headers: dict[str, str] | None = None) -> None:
        tree = query.get("tree")
        if tree is not None:
            try:
                data = apply_tree(data, parse_tree(tree))
            except ValueError as exc:
                raise HttpError(400, str(exc)) from exc
        if self.python_flavour:
            body = to_python_literal(data).encode()
            return self._send(200, body, "text/x-python;charset=utf-8", headers)
        self._send(200, json.dumps(data).encode(), "application/json;charset=utf-8", headers)

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, b"", "text/html;charset=utf-8", {"Location": location})

    # -- routes ---------------------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        j = self.jenkins
        if path in {"api/json", ""} and method == "GET":
            return self._json(j.render_root(), query)
        if path == "crumbIssuer/api/json" and method == "GET":
            session = self._session() or secrets.token_hex(8)
            crumb = hashlib.sha256(f"{session}:{j.token}".encode()).hexdigest()
            j._sessions[session] = crumb
            data = {
                "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                "crumb": crumb,
                "crumbRequestField": "Jenkins-Crumb",
            }
            return self._json(data, query, {"Set-Cookie": f"JSESSIONID.double={session}; Path=/; HttpOnly"})
        if path == "queue/api/json" and method == "GET":
            return self._json(j.render_queue(), query)
        if m := re.fullmatch(r"queue/item/(\d+)/api/json", path):
            entry = j.queue_entries.get(int(m.group(1)))
            if entry is None:
                raise HttpError(404, "no such queue item")
            if entry.build_number is None and not entry.cancelled:
                entry.polls_left -= 1
                if entry.polls_left <= 0:
                    j._start(entry)
            return self._json(j.render_queue_item(entry), query)
        if path == "queue/cancelItem" and method == "POST":
            entry = j.queue_entries.get(int(query.get("id", "0")))
            if entry is None:
                raise HttpError(404, "no such queue item")
            entry.cancelled = True
            return self._send(204, b"", "text/plain")
        if path == "computer/api/json":
            # The template's computer set: the built-in node, 2 agents online and 2 offline.
            return self._json(template("computers.json"), query)
        if m := re.fullmatch(r"computer/([^/]+)/api/json", path):
            # One agent (jenkinsapi's Node polls these); the built-in node is also "(built-in)"/"(master)".
            name = {"(built-in)": "master", "(master)": "master"}.get(m.group(1), m.group(1))
            computers = template("computers.json")["computer"]
            row = next((c for c in computers if c.get("displayName") == name), None)
            if row is None:
                raise HttpError(404, f"no node {name}")
            return self._json(row, query)
        if path == "pluginManager/api/json":
            return self._json(j.render_plugins(), query)
        if path == "updateCenter/site/default/api/json":
            return self._json(j.render_update_site(), query)
        if path == "update-center.json":
            offered = {
                p.short_name: {"name": p.short_name, "version": p.update_version or p.version}
                for p in j.plugins.values()
            }
            doc = {"id": "default", "plugins": offered, "warnings": j.warnings, "updateCenterVersion": "1"}
            return self._send(
                200, f"updateCenter.post(\n{json.dumps(doc)}\n);".encode(), "application/javascript"
            )
        if path == "pluginManager/installNecessaryPlugins" and method == "POST":
            root = ET.fromstring(body)
            for install in root.iter("install"):
                name, _, version = install.get("plugin", "").partition("@")
                plugin = j.plugins.get(name)
                if plugin is None:
                    raise HttpError(400, f"unknown plugin {name}")
                plugin.version = (
                    version if version and version != "latest" else (plugin.update_version or plugin.version)
                )
                plugin.update_version, plugin.installed = None, True
                j.installs.append(f"{name}@{plugin.version}")
            return self._redirect(j.url + "updateCenter/")
        if path == "pipeline-model-converter/validate" and method == "POST":
            script = parse_qs(body.decode()).get("jenkinsfile", [""])[-1]
            if not script:
                raise HttpError(400, "missing jenkinsfile")
            errors = validate_declarative(script)
            text = (
                "Errors encountered validating Jenkinsfile:\n" + "\n".join(errors)
                if errors
                else "Jenkinsfile successfully validated."
            )
            return self._send(200, (text + "\n").encode(), "text/plain;charset=utf-8")
        return self._job_route(method, path, query, body)

    def _job_route(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        j = self.jenkins
        segments = path.split("/")
        names: list[str] = []
        i = 0
        while i + 1 < len(segments) and segments[i] == "job":
            names.append(segments[i + 1])
            i += 2
        rest = "/".join(segments[i:]).rstrip("/")
        if not names:
            if rest == "createItem" and method == "POST":
                return self._create_item(None, query, body)
            raise HttpError(404, f"no route {path}")
        name = "/".join(names)
        job = j._job(name)
        if rest == "api/json" and method == "GET":
            return self._json(j.render_job(name), query)
        if rest == "createItem" and method == "POST":
            if job.kind != "folder":
                raise HttpError(404, f"{name} is not a folder")
            return self._create_item(name, query, body)
        if rest in {"build", "buildWithParameters"} and method == "POST":
            if job.kind == "folder":
                raise HttpError(405, "a folder cannot be built")
            params = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            params.update({k: v for k, v in query.items() if k not in {"delay", "token"}})
            # Like Jenkins: buildWithParameters needs a parameterized job, and a parameterized job started
            # through plain "build" needs the parameters form ("json"), which REST callers do not send.
            if rest == "buildWithParameters" and not job.parameters:
                raise HttpError(400, f"{name} is not parameterized")
            if rest == "build" and job.parameters and "json" not in params:
                raise HttpError(400, "This page expects a form submission")
            entry = j._enqueue(name, {k: params.get(k, d) for k, d in job.parameters.items()})
            return self._send(201, b"", "text/plain", {"Location": f"{j.url}queue/item/{entry.id}/"})
        if rest == "lastSuccessfulBuild/api/json":
            numbers = sorted(
                (n for n, b in job.builds.items() if b.result in {"SUCCESS", "UNSTABLE"}), reverse=True
            )
            if not numbers:
                raise HttpError(404, "no successful build")
            return self._json(j.render_build(name, job.builds[numbers[0]]), query)
        m = re.fullmatch(r"(\d+)(?:/(.*))?", rest)
        if not m:
            raise HttpError(404, f"no route {path}")
        build = j._build(name, int(m.group(1)))
        action = m.group(2) or ""
        if action == "api/json" and method == "GET":
            if build.building and build.polls_to_finish is not None:
                build.polls_to_finish -= 1
                if build.polls_to_finish < 0:
                    j.finish_build(name, build.number, job.next_result)
            return self._json(j.render_build(name, build), query)
        if action == "consoleText" and method == "GET":
            # A view, not a copy: the console is never resized while we hold the lock.
            with memoryview(build.console) as view:
                return self._send(200, view, "text/plain;charset=utf-8")
        if action == "logText/progressiveText" and method == "GET":
            start = int(query.get("start", "0") or 0)
            size = len(build.console)
            if start > size:
                start = 0  # Jenkins restarts from 0 when the offset is past the end (log rotated)
            headers = {"X-Text-Size": str(size)}
            if build.building:
                headers["X-More-Data"] = "true"
            cut = j._take_cut()
            with memoryview(build.console) as view, view[start:size] as text:
                if cut is not None:
                    return self._send_cut(text, cut, headers)
                return self._send(200, text, "text/plain;charset=utf-8", headers)
        if action == "submitDescription" and method == "POST":
            form = parse_qs(body.decode(), keep_blank_values=True)
            build.description = form.get("description", [""])[-1]
            return self._redirect(f"{j.job_url(name)}{build.number}/")
        if action == "stop" and method == "POST":
            if build.building:
                build.console += b"Aborted by " + j.user.encode() + b"\n"
                j.finish_build(name, build.number, "ABORTED")
            return self._redirect(f"{j.job_url(name)}{build.number}/")
        if action == "wfapi/describe" and method == "GET":
            if job.kind != "pipeline":
                raise HttpError(404, "not a Pipeline run")
            return self._json(j.render_wfapi(name, build), {})
        if mm := re.fullmatch(r"execution/node/(\d+)/wfapi/(describe|log)", action):
            if job.kind != "pipeline":
                raise HttpError(404, "not a Pipeline run")
            return self._json(j.render_node(name, build, mm.group(1)), {})
        raise HttpError(404, f"no route {path}")

    def _create_item(self, folder: str | None, query: dict[str, str], body: bytes) -> None:
        j = self.jenkins
        leaf = query.get("name", "")
        if not leaf or "/" in leaf:
            raise HttpError(400, "missing or bad name", {"X-Error": "No name is specified"})
        full = f"{folder}/{leaf}" if folder else leaf
        if full in j.jobs:
            raise HttpError(
                400, f"A job already exists with the name '{leaf}'", {"X-Error": "already exists"}
            )
        root = ET.fromstring(body)
        kind = "pipeline" if root.tag == "flow-definition" else "freestyle" if root.tag == "project" else None
        if kind is None:
            raise HttpError(400, f"unsupported job type <{root.tag}>")
        job = j.add_job(full, kind)
        job.config_xml = body.decode()
        self._send(200, b"", "text/html;charset=utf-8")
