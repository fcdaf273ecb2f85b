"""``JenkinsClient``: everything the product does with a Jenkins controller.

Two ways in, one transport (:class:`~worker.jenkins.transport.JenkinsHttp`: one pooled session, retries with
backoff, timeouts, lazy CSRF crumb, one error hierarchy):

* **jenkinsapi** (:attr:`JenkinsClient.api`, built lazily, see :mod:`worker.jenkins.jenkinsapi_bridge`) for
  the admin-side reads it models well: job listing (:meth:`~JenkinsClient.jobs`, folders resolved),
  the queue and its items (:meth:`~JenkinsClient.queue`, :meth:`~JenkinsClient.queue_item`), nodes
  (:meth:`~JenkinsClient.nodes`) and the plugin inventory (:meth:`~JenkinsClient.plugins`), each polled once
  with ``tree=``.
* **Plain REST** where jenkinsapi would cost more than the answer is worth. ``jenkinsapi.job.Job`` and
  ``jenkinsapi.build.Build`` poll their whole object on construction (a job with its build list, a build
  with every action), ``Job.invoke`` reads the job again before and after triggering, ``has_job`` lists
  every job in every folder to answer one name, ``Jenkins.version`` renders the dashboard HTML, and plugin
  installs download ``update-center.json`` from updates.jenkins.io itself (ignoring a configured mirror).
  So builds, console streams, stages, descriptions, triggers, job status, existence checks and plugin
  updates/installs speak REST directly and ask for exactly the fields they read (``models.TREES``).

REST calls per failed-build event (the ``logs.analyze_build`` path, all plain REST), counted against the
test double:

* ``get_build`` 1 GET, ``last_successful_build_number`` 1 GET, ``set_build_description`` 1 POST when given the
  description already read by ``get_build`` (``current_description=``), else 1 GET + 1 POST;
* ``failed_stage`` 2 GETs (``wfapi/describe`` + the failed stage's node), Pipeline jobs only;
* ``stream_console`` 1 GET per poll (one in total for a finished build).
"""

from __future__ import annotations

import json
import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import requests

from worker.jenkins.description import merge_description
from worker.jenkins.errors import JenkinsError, JenkinsNotFound, JenkinsTimeout
from worker.jenkins.jenkinsapi_bridge import (
    LiteralSafeJenkins,
    TreeNodes,
    TreePlugins,
    TreeQueue,
    TreeQueueItem,
    job_names,
    make_jenkins,
)
from worker.jenkins.models import (
    TREES,
    BuildInfo,
    JobAction,
    JobStatus,
    NodeInfo,
    PluginAction,
    PluginInfo,
    PluginReport,
    QueueItem,
    SecurityWarning,
    StageInfo,
    ValidationResult,
    parse_parameters,
    parse_stages,
    pick_failed_stage,
    pick_failed_step,
)
from worker.jenkins.transport import RETRY_STATUSES, JenkinsHttp
from worker.jenkins.urls import build_path, check_build_number, job_path, split_job_name

if TYPE_CHECKING:
    from worker.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 64 * 1024
_FETCH: Any = object()  # sentinel: "read the current description from Jenkins first"

# wfapi names steps by their display name; people know them by the Jenkinsfile step.
_STEP_FUNCTIONS = {
    "Shell Script": "sh",
    "Windows Batch Script": "bat",
    "Windows PowerShell Script": "powershell",
    "PowerShell Script": "pwsh",
    "Error signal": "error",
    "Print Message": "echo",
    "Build a job": "build",
    "Wait for interactive input": "input",
    "Archive the artifacts": "archiveArtifacts",
    "Record JUnit test results": "junit",
    "Archive JUnit-formatted test results": "junit",
    "Check out from version control": "checkout",
    "Git": "git",
}


class JenkinsClient:
    """A client for one Jenkins controller.

    Job names are full names with folders separated by ``/`` (``"team/api-service"``). Every method raises a
    :class:`~worker.jenkins.errors.JenkinsError` subclass when Jenkins refuses or cannot be reached, and
    ``ValueError`` naming the argument for input that cannot be valid. Safe to share within a thread; build
    one per worker process.
    """

    def __init__(
        self,
        base_url: str,
        user: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        poll_interval: float = 2.0,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size: must be >= 1 byte, got {chunk_size!r}")
        if poll_interval <= 0:
            raise ValueError(f"poll_interval: must be > 0 seconds, got {poll_interval!r}")
        self.http = JenkinsHttp(base_url, user, token, timeout=timeout, retries=retries, backoff=backoff)
        self._user = user
        self._token = token
        self.chunk_size = chunk_size
        self.poll_interval = poll_interval
        self._retries = retries
        self._backoff = backoff
        self._public: requests.Session | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> JenkinsClient:
        """Build a client from the ``JENKINS_URL/USER/TOKEN/TIMEOUT_SECONDS`` settings."""
        if not settings.jenkins_url:
            raise ValueError("JENKINS_URL is not set")
        token = settings.jenkins_token.get_secret_value() if settings.jenkins_token else None
        return cls(
            settings.jenkins_url,
            settings.jenkins_user,
            token,
            timeout=settings.jenkins_timeout_seconds,
        )

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @cached_property
    def api(self) -> LiteralSafeJenkins:
        """A jenkinsapi ``Jenkins`` on this client's session (built on first use; no request until asked)."""
        return make_jenkins(self.http, self._user, self._token)

    def close(self) -> None:
        self.http.close()
        if self._public is not None:
            self._public.close()

    def __enter__(self) -> JenkinsClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- controller -----------------------------------------------------------------------------------------

    def ping(self, *, timeout: float = 5.0) -> bool:
        """True when Jenkins answers and accepts our credentials (one small GET, no retries, so a readiness
        check answers within ``timeout`` even when Jenkins is down)."""
        try:
            self.http.probe("api/json", params={"tree": TREES["root"]}, timeout=timeout)
        except JenkinsError as exc:
            log.warning("jenkins ping failed: %s", exc)
            return False
        return True

    def version(self) -> str | None:
        """The controller's version from the ``X-Jenkins`` header."""
        response = self.http.request("GET", "api/json", params={"tree": TREES["root"]})
        return response.headers.get("X-Jenkins")

    # -- builds ---------------------------------------------------------------------------------------------

    def get_build(self, job: str, build: int) -> BuildInfo:
        """A build's result, timing, parameters, description and commit (one GET)."""
        data = self.http.get_json(build_path(job, build), TREES["build"])
        return BuildInfo.from_api(job, data)

    def last_successful_build_number(self, job: str) -> int | None:
        """Number of the job's last successful build, ``None`` if it never succeeded (one GET)."""
        data = self.http.get_json(job_path(job), TREES["last_successful"])
        ref = data.get("lastSuccessfulBuild")
        return int(ref["number"]) if ref else None

    def stream_console(
        self,
        job: str,
        build: int,
        *,
        start: int = 0,
        chunk_size: int | None = None,
        follow: bool = True,
        poll_interval: float | None = None,
        max_wait: float | None = None,
    ) -> Iterator[bytes]:
        """Yield a build's console log in chunks of at most ``chunk_size`` bytes, never holding the whole log.

        Uses ``logText/progressiveText?start=<offset>``: Jenkins returns the text from ``offset``, the next
        offset in ``X-Text-Size`` and ``X-More-Data: true`` while the build still writes. With ``follow``
        (default) a running build is followed until it ends (polling every ``poll_interval`` seconds, up to
        ``max_wait`` seconds in total); otherwise only what exists now is returned.
        """
        # Validate now, not at the first next(): bad arguments should fail where they are passed.
        size = self.chunk_size if chunk_size is None else chunk_size
        if size < 1:
            raise ValueError(f"chunk_size: must be >= 1 byte, got {size!r}")
        if start < 0:
            raise ValueError(f"start: must be >= 0, got {start!r}")
        interval = self.poll_interval if poll_interval is None else poll_interval
        if interval <= 0:
            raise ValueError(f"poll_interval: must be > 0 seconds, got {interval!r}")
        path = f"{build_path(job, build)}/logText/progressiveText"
        return self._progressive(path, job, build, start, size, follow, interval, max_wait)

    def _progressive(
        self,
        path: str,
        job: str,
        build: int,
        start: int,
        size: int,
        follow: bool,
        interval: float,
        max_wait: float | None,
    ) -> Iterator[bytes]:
        deadline = None if max_wait is None else time.monotonic() + max_wait
        offset = start
        while True:
            response = self.http.request("GET", path, params={"start": offset}, stream=True)
            try:
                for chunk in response.iter_content(chunk_size=size):
                    # iter_content can hand back more than asked for once decoded; keep the promise anyway.
                    for i in range(0, len(chunk), size):
                        yield chunk[i : i + size]
                more = response.headers.get("X-More-Data", "").lower() == "true"
                next_offset = int(response.headers.get("X-Text-Size", offset))
            finally:
                response.close()
            if not (more and follow):
                return
            if deadline is not None and time.monotonic() + interval > deadline:
                raise JenkinsTimeout(
                    f"build {job} #{build} was still writing its log after {max_wait}s",
                    url=self.http.url(path),
                )
            # Jenkins returns everything written since ``offset`` on each call, so waiting loses nothing and
            # keeps a chatty build from turning into a tight request loop against the controller.
            time.sleep(interval)
            offset = next_offset

    def stages(self, job: str, build: int) -> list[StageInfo]:
        """Pipeline stages of a build from ``wfapi/describe`` (one GET); ``[]`` for non-Pipeline jobs."""
        try:
            return parse_stages(self._wfapi(f"{build_path(job, build)}/wfapi/describe"))
        except JenkinsNotFound:
            return []

    def failed_stage(self, job: str, build: int) -> StageInfo | None:
        """The stage that failed and the step in it, e.g. stage "Test", step ``sh 'mvn verify'`` (two GETs).

        ``None`` when the job is not a Pipeline (no wfapi) or no stage failed. A FAILED stage wins over an
        UNSTABLE one, which wins over ABORTED; the step is the first failed step that carries an error.
        """
        stage = pick_failed_stage(self.stages(job, build))
        if stage is None:
            return None
        node = self._wfapi(f"{build_path(job, build)}/execution/node/{stage.id}/wfapi/describe")
        step = pick_failed_step(node)
        if step is not None:
            stage.step = describe_step(str(step.get("name") or ""), step.get("parameterDescription"))
            stage.error = (step.get("error") or {}).get("message") or stage.error
        return stage

    def set_build_description(
        self, job: str, build: int, text: str, *, current_description: str | None = _FETCH
    ) -> None:
        """Put ``text`` into our marked block of the build description, keeping everything else.

        Pass ``current_description`` (e.g. ``BuildInfo.description`` from a ``get_build`` moments ago) to
        save the GET; by default the current description is read right before writing, which keeps the
        window in which a concurrent edit could be lost to milliseconds.
        """
        check_build_number(build)
        if current_description is _FETCH:
            data = self.http.get_json(build_path(job, build), TREES["build_description"])
            current_description = data.get("description")
        merged = merge_description(current_description, text)
        if merged == (current_description or ""):
            return  # nothing to change: spare Jenkins a write
        self.http.post(f"{build_path(job, build)}/submitDescription", data={"description": merged})

    def trigger_build(self, job: str, parameters: dict[str, str] | None = None) -> QueueItem:
        """Queue a build and return its queue item (one GET + one POST).

        The GET reads the job's parameter definitions, because Jenkins itself is no help here: it silently
        ignores parameters a job does not define (a misspelt ``BRNACH`` would build ``main``), and a
        parameterized job must be started through ``buildWithParameters`` (missing ones take their
        defaults) while a plain job must be started through ``build``. Unknown names are refused with
        ``ValueError`` naming them. The build number is not known yet: pass the item to
        :meth:`wait_for_build_number`.
        """
        parameters = dict(parameters or {})
        bad = [k for k, v in parameters.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise ValueError(f"parameters: names and values must be strings ({bad!r})")
        data = self.http.get_json(job_path(job), TREES["job_parameters"])
        defined = [
            str(d["name"])
            for prop in data.get("property") or []
            for d in prop.get("parameterDefinitions") or []
            if isinstance(d, dict) and d.get("name")
        ]
        unknown = sorted(set(parameters) - set(defined))
        if unknown:
            known = ", ".join(defined) if defined else "none"
            raise ValueError(f"parameters: {unknown} are not parameters of {job} (it defines: {known})")
        action = "buildWithParameters" if defined else "build"
        response = self.http.post(f"{job_path(job)}/{action}", data=parameters or None)
        location = response.headers.get("Location", "")
        match = re.search(r"/queue/item/(\d+)/?$", location)
        if not match:
            raise JenkinsError(
                f"Jenkins queued {job} but returned no queue item (Location: {location!r})",
                status=response.status_code,
            )
        return QueueItem(id=int(match.group(1)), job=job, url=self.http.url(location), parameters=parameters)

    def queue_item(self, item_id: int) -> QueueItem:
        """Current state of a queue item (one GET, through jenkinsapi). Jenkins forgets items a few minutes
        after they leave the queue (then :class:`JenkinsNotFound`)."""
        item = TreeQueueItem(f"{self.api.get_queue_url()}/item/{int(item_id)}", self.api)
        return QueueItem.from_api(item.row, base_url=self.base_url)

    def wait_for_build_number(
        self, queue_item: QueueItem, timeout: float, *, poll_interval: float | None = None
    ) -> int:
        """Poll a queue item until it becomes a build; return the build number.

        Raises :class:`JenkinsTimeout` (with Jenkins' reason for waiting) when ``timeout`` passes, and
        :class:`JenkinsError` if the item was cancelled.
        """
        interval = poll_interval or min(self.poll_interval, 1.0)
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.queue_item(queue_item.id)
            except JenkinsNotFound as exc:
                raise JenkinsNotFound(
                    f"Jenkins no longer knows queue item {queue_item.id} for {queue_item.job} (it forgets "
                    "items about 5 minutes after they leave the queue); find the build in job_status()",
                    status=404,
                    url=queue_item.url,
                ) from exc
            if item.cancelled:
                raise JenkinsError(f"queue item {item.id} for {item.job} was cancelled", url=item.url)
            if item.build_number is not None:
                return item.build_number
            if time.monotonic() + interval > deadline:
                raise JenkinsTimeout(
                    f"queue item {item.id} for {item.job} did not start within {timeout}s: "
                    f"{item.why or 'waiting'}",
                    url=item.url,
                )
            time.sleep(interval)

    def wait_for_build(
        self, job: str, build: int, timeout: float, *, poll_interval: float | None = None
    ) -> BuildInfo:
        """Poll a build until it finishes; return its final state or raise :class:`JenkinsTimeout`."""
        interval = poll_interval or self.poll_interval
        deadline = time.monotonic() + timeout
        while True:
            info = self.get_build(job, build)
            if not info.building and info.result is not None:
                return info
            if time.monotonic() + interval > deadline:
                raise JenkinsTimeout(f"build {job} #{build} still running after {timeout}s", url=info.url)
            time.sleep(interval)

    def abort_build(self, job: str, build: int) -> None:
        """Ask Jenkins to stop a running build (one POST); a finished build is left as it is."""
        self.http.post(f"{build_path(job, build)}/stop")

    def rebuild(self, job: str, build: int) -> QueueItem:
        """Queue a new build of ``job`` with the parameters of ``build`` (two GETs + one POST).

        Jenkins never returns the value of a password parameter (it comes back as null); such parameters
        are left out so the job's default applies instead of an empty string. File parameters cannot be
        replayed over REST.
        """
        data = self.http.get_json(build_path(job, build), TREES["build_parameters"])
        hidden = {
            str(p.get("name"))
            for action in data.get("actions") or []
            if isinstance(action, dict)
            for p in action.get("parameters") or []
            if isinstance(p, dict) and p.get("value") is None
        }
        parameters = {k: v for k, v in parse_parameters(data.get("actions")).items() if k not in hidden}
        return self.trigger_build(job, parameters)

    def queue(self) -> list[QueueItem]:
        """Everything in the build queue, each with Jenkins' reason for waiting (``why``) (one GET)."""
        queue = TreeQueue(self.api.get_queue_url(), self.api)  # jenkinsapi, one GET with tree=
        return [QueueItem.from_api(item, base_url=self.base_url) for item in queue.rows]

    def nodes(self) -> list[NodeInfo]:
        """Build agents with their executors, labels and, when offline, Jenkins' reason (one GET).

        Read with :meth:`queue`: an item "Waiting for next available executor on 'linux'" and every 'linux'
        agent offline is the whole story.
        """
        # jenkinsapi's Node objects would poll each agent again (and once more per is_online()); the
        # container's one tree= poll already holds everything NodeInfo reads.
        return [NodeInfo.from_api(c) for c in TreeNodes(self.api.baseurl, self.api).rows]

    def jobs(self) -> list[str]:
        """Full names of every job (folders walked, folders themselves left out), sorted (through jenkinsapi:
        one GET for the root plus one per folder, each with ``tree=jobs[name,color...]``)."""
        return sorted(job_names(self.api))

    def has_job(self, job: str) -> bool:
        """Whether ``job`` (a full name such as ``team/api-service``) exists and is visible to us (one GET).

        Plain REST on purpose: jenkinsapi's ``has_job`` lists every job in every folder to answer one name.
        """
        try:
            self.http.get_json(job_path(job), "name")
        except JenkinsNotFound:
            return False
        return True

    def job_status(self, job: str, limit: int = 10) -> JobStatus:
        """Health, queue state and the ``limit`` most recent builds of a job (one GET)."""
        if not 1 <= limit <= 100:
            raise ValueError(f"limit: must be between 1 and 100, got {limit!r}")
        data = self.http.get_json(job_path(job), TREES["job_status"] % limit)
        return JobStatus.from_api(job, data)

    # -- plugins --------------------------------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Installed plugins with versions, enabled/active, update flags and dependencies (one GET, through
        jenkinsapi's ``Plugins`` polled with ``tree=``)."""
        inventory = TreePlugins(f"{self.api.baseurl}/pluginManager/api/python", self.api)
        return sorted(
            (PluginInfo.from_api(vars(p)) for p in inventory.values()), key=lambda p: p.short_name.lower()
        )

    def plugin_updates(self) -> list[PluginInfo]:
        """Installed plugins with an update available, each with the version it would update to (two GETs)."""
        return self._with_updates(self.plugins())

    def security_warnings(self) -> list[SecurityWarning]:
        """Published security warnings that apply to the installed plugins or the core version (4 GETs).

        Jenkins does not export its ``UpdateSiteWarningsMonitor`` over REST, so we do what it does: read the
        ``warnings`` of the update site Jenkins is configured with (``updateCenter/site/default`` gives its
        URL, so a mirror is honoured) and match each warning's version patterns against what is installed.
        """
        return self._warnings(self.plugins(), self.version())

    def plugin_report(self) -> PluginReport:
        """Plugins, updates and applicable security warnings together, reading each source once (5 GETs)."""
        plugins = self.plugins()
        core = self.version()
        return PluginReport(
            plugins=plugins,
            updates=self._with_updates(plugins),
            warnings=self._warnings(plugins, core),
            core_version=core,
        )

    def _with_updates(self, plugins: list[PluginInfo]) -> list[PluginInfo]:
        outdated = [p.model_copy() for p in plugins if p.has_update]
        if not outdated:
            return []
        latest = {u["name"]: str(u.get("version")) for u in self._update_site().get("updates") or []}
        for plugin in outdated:
            plugin.update_version = latest.get(plugin.short_name)
        return outdated

    def _warnings(self, plugins: list[PluginInfo], core: str | None) -> list[SecurityWarning]:
        site = self.http.get_json("updateCenter/site/default", TREES["update_site_url"])
        warnings = self._fetch_update_center(str(site["url"])).get("warnings") or []
        installed = {p.short_name: p.version for p in plugins}
        applicable: list[SecurityWarning] = []
        for w in warnings:
            kind = w.get("type")
            version = core if kind == "core" else installed.get(str(w.get("name")))
            if version is None or kind not in {"plugin", "core"}:
                continue
            if any(_version_matches(v.get("pattern"), version) for v in w.get("versions") or []):
                applicable.append(
                    SecurityWarning(
                        id=str(w.get("id")),
                        type=kind,
                        name=str(w.get("name")),
                        message=str(w.get("message") or ""),
                        url=w.get("url"),
                        installed_version=version,
                    )
                )
        return applicable

    def install_plugin(self, name: str, *, confirm: bool = False) -> PluginAction:
        """Install or upgrade plugin ``name`` (``"git"``, or ``"git@5.2.1"`` to insist on a version) to the
        version the update site offers.

        A dry run unless ``confirm=True``: it reports what would be done (install/upgrade/none, versions,
        missing dependencies) and changes nothing. With ``confirm`` it posts
        ``pluginManager/installNecessaryPlugins``; Jenkins downloads the plugin and its dependencies itself
        (some need a restart to take effect). Jenkins can only install what its update site offers, so a
        pinned version that differs from the offered one is refused rather than silently replaced.
        """
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9][A-Za-z0-9._-]*))?", name or "")
        if not match:
            raise ValueError(f"name: {name!r} is not a plugin short name such as 'git' or 'git@5.2.1'")
        name, pinned = match.group(1), match.group(2)
        installed = {p.short_name: p for p in self.plugins()}
        site = self._update_site()
        entries = {e["name"]: e for e in (site.get("availables") or []) + (site.get("updates") or [])}
        current = installed.get(name)
        entry = entries.get(name)
        if entry is None and current is None:
            raise JenkinsNotFound(f"plugin {name!r} is neither installed nor offered by the update site")
        target = str(entry["version"]) if entry else None
        if pinned and pinned not in {target, current.version if current else None}:
            raise ValueError(
                f"name: the update site offers {name} {target or '(nothing newer)'}, not {pinned}; "
                "Jenkins installs only what its update site offers"
            )
        if current is not None and (entry is None or not current.has_update or pinned == current.version):
            return PluginAction(
                plugin=name,
                action="none",
                dry_run=not confirm,
                current_version=current.version,
                target_version=current.version,
                message=f"{name} {current.version} is installed and up to date",
            )
        action: Literal["install", "upgrade"] = "upgrade" if current is not None else "install"
        missing = sorted(dep for dep in (entry or {}).get("dependencies") or {} if dep not in installed)
        plan = PluginAction(
            plugin=name,
            action=action,
            dry_run=True,
            current_version=current.version if current else None,
            target_version=target,
            missing_dependencies=missing,
            message=f"dry run: would {action} {name} {target}; pass confirm=True to do it",
        )
        if not confirm:
            return plan
        body = ET.Element("jenkins")
        ET.SubElement(body, "install", plugin=f"{name}@{target or 'latest'}")
        self.http.post(
            "pluginManager/installNecessaryPlugins",
            data=ET.tostring(body, encoding="utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        return plan.model_copy(
            update={
                "dry_run": False,
                "message": f"Jenkins is installing {name} {target}; check updateCenter/installStatus",
            }
        )

    # -- pipelines ------------------------------------------------------------------------------------------

    def validate_jenkinsfile(self, text: str) -> ValidationResult:
        """Validate a declarative Jenkinsfile with ``POST pipeline-model-converter/validate`` (one POST)."""
        if not text or not text.strip():
            raise ValueError("text: the Jenkinsfile is empty")
        response = self.http.post("pipeline-model-converter/validate", data={"jenkinsfile": text})
        message = response.text.strip()
        # Jenkins answers in words: "Jenkinsfile successfully validated." or "Errors encountered validating
        # Jenkinsfile:" followed by one "WorkflowScript: <line>: <message>" per problem.
        # Each error is followed by the offending source line and a caret, which we leave to ``message``.
        valid = message.lower().startswith("jenkinsfile successfully validated")
        lines = message.splitlines()
        errors = [] if valid else [ln.strip() for ln in lines if ln.startswith("WorkflowScript:")]
        if not valid and not errors:
            errors = [message or f"Jenkins answered {response.status_code} without a verdict"]
        return ValidationResult(valid=valid, errors=errors, message=message)

    def create_pipeline_job(
        self, name: str, jenkinsfile: str, *, confirm: bool = False, sandbox: bool = True
    ) -> JobAction:
        """Create Pipeline job ``name`` from a Jenkinsfile (``folder/job`` creates it in an existing folder).

        A dry run unless ``confirm=True`` (returns the config.xml it would post). Either way the Jenkinsfile
        is validated first and an invalid one is refused with :class:`ValueError` listing Jenkins' errors.
        """
        segments = split_job_name(name)
        config_xml = pipeline_config_xml(jenkinsfile, sandbox=sandbox)
        validation = self.validate_jenkinsfile(jenkinsfile)
        if not validation.valid:
            raise ValueError("jenkinsfile: Jenkins rejected it: " + "; ".join(validation.errors))
        folder, leaf = segments[:-1], segments[-1]
        parent = job_path("/".join(folder)) + "/" if folder else ""
        url = self.http.url(job_path(name) + "/")
        if not confirm:
            return JobAction(
                job=name,
                action="create",
                dry_run=True,
                url=url,
                config_xml=config_xml,
                message=f"dry run: would create Pipeline job {name}; pass confirm=True to do it",
            )
        self.http.post(
            f"{parent}createItem",
            params={"name": leaf},
            data=config_xml.encode("utf-8"),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        return JobAction(
            job=name,
            action="create",
            dry_run=False,
            url=url,
            config_xml=config_xml,
            message=f"created {name}",
        )

    # -- helpers --------------------------------------------------------------------------------------------

    def _wfapi(self, path: str) -> dict[str, Any]:
        # wfapi (Pipeline Stage View) is not Stapler's api/json: it has no tree= and its answers are small.
        response = self.http.request("GET", path)
        try:
            data = response.json()
        except ValueError as exc:
            raise JenkinsError(f"wfapi answered {path} with something that is not JSON") from exc
        if not isinstance(data, dict):
            raise JenkinsError(f"wfapi answered {path} with an unexpected shape")
        return data

    def _update_site(self) -> dict[str, Any]:
        data = self.http.get_json("updateCenter/site/default", TREES["update_site"])
        return data if isinstance(data, dict) else {}

    def _fetch_update_center(self, url: str) -> dict[str, Any]:
        """Download update-center JSON; our Jenkins credentials go only to Jenkins itself, never elsewhere."""
        if urlsplit(url).netloc == urlsplit(self.base_url).netloc:
            response = self.http.request("GET", url)
        else:
            if self._public is None:
                from requests.adapters import HTTPAdapter
                from urllib3.util.retry import Retry

                self._public = requests.Session()
                retry = Retry(
                    total=self._retries, backoff_factor=self._backoff, status_forcelist=RETRY_STATUSES
                )
                self._public.mount("https://", HTTPAdapter(max_retries=retry))
                self._public.mount("http://", HTTPAdapter(max_retries=retry))
            try:
                response = self._public.get(url, timeout=self.http.timeout)
                response.raise_for_status()
            except requests.RequestException as exc:
                raise JenkinsError(
                    f"cannot read the update site {url}: {exc.__class__.__name__}", url=url
                ) from exc
        return parse_update_center(response.text)


def describe_step(display_name: str, parameter: str | None) -> str:
    """``("Shell Script", "mvn verify")`` -> ``"sh 'mvn verify'"``: the step as a Jenkinsfile would say it."""
    function = _STEP_FUNCTIONS.get(display_name)
    if function is None:
        return f"{display_name}: {parameter}" if parameter else display_name
    return f"{function} '{parameter}'" if parameter else function


def pipeline_config_xml(jenkinsfile: str, *, sandbox: bool = True) -> str:
    """config.xml of a Pipeline job running ``jenkinsfile`` (ElementTree escapes it, so any text is safe)."""
    if not jenkinsfile or not jenkinsfile.strip():
        raise ValueError("jenkinsfile: the Jenkinsfile is empty")
    root = ET.Element("flow-definition", plugin="workflow-job")
    ET.SubElement(root, "actions")
    ET.SubElement(root, "description").text = "Created by langchain-jenkins"
    ET.SubElement(root, "keepDependencies").text = "false"
    ET.SubElement(root, "properties")
    definition = ET.SubElement(
        root,
        "definition",
        {"class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition", "plugin": "workflow-cps"},
    )
    ET.SubElement(definition, "script").text = jenkinsfile
    ET.SubElement(definition, "sandbox").text = "true" if sandbox else "false"
    ET.SubElement(root, "triggers")
    ET.SubElement(root, "disabled").text = "false"
    return "<?xml version='1.1' encoding='UTF-8'?>\n" + ET.tostring(root, encoding="unicode")


def parse_update_center(text: str) -> dict[str, Any]:
    """Decode update-center JSON, plain (``update-center.actual.json``) or JSONP
    (``updateCenter.post({...});``)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise JenkinsError("the update site did not return update-center JSON")
    data = json.loads(text[start : end + 1])
    if not isinstance(data, dict):
        raise JenkinsError("the update site did not return a JSON object")
    return data


def _version_matches(pattern: Any, version: str) -> bool:
    """Jenkins matches a warning's version ``pattern`` (a Java regex) against the whole installed version."""
    if not isinstance(pattern, str):
        return False
    try:
        return re.fullmatch(pattern, version) is not None
    except re.error:
        log.warning("unusable version pattern in update-site warning: %r", pattern)
        return False
