"""Builds: read one, wait for it, trigger, abort and rebuild (plain REST, ``?tree=`` on every read)."""

from __future__ import annotations

import re
import time
from datetime import datetime

from worker.jenkins._core import ClientCore
from worker.jenkins._idempotency import run_once
from worker.jenkins.errors import JenkinsError, JenkinsTimeout
from worker.jenkins.models import TREES, BuildInfo, QueueItem, parse_parameters
from worker.jenkins.outcomes import BuildAction
from worker.jenkins.urls import build_path, job_path


class BuildsMixin(ClientCore):
    """Builds of a job. Queue items a trigger returns are followed by :class:`~worker.jenkins._queue.QueueMixin`."""

    def get_build(self, job: str, build: int) -> BuildInfo:
        """A build's result, timing, parameters, description and commit (one GET)."""
        data = self.http.get_json(build_path(job, build), TREES["build"])
        return BuildInfo.from_api(job, data)

    def last_successful_build_number(self, job: str) -> int | None:
        """Number of the job's last successful build, ``None`` if it never succeeded (one GET)."""
        data = self.http.get_json(job_path(job), TREES["last_successful"])
        ref = data.get("lastSuccessfulBuild")
        return int(ref["number"]) if ref else None

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

    def trigger_build(self, job: str, parameters: dict[str, str] | None = None) -> QueueItem:
        """Queue a build and return its queue item (one GET + one POST); once per task inside an idempotency
        scope (a rerun returns the item the first run queued, found in Jenkins if need be).

        The GET reads the job's parameter definitions, because Jenkins itself is no help here: it silently
        ignores parameters a job does not define (a misspelt ``BRNACH`` would build ``main``), and a
        parameterized job must be started through ``buildWithParameters`` (missing ones take their
        defaults) while a plain job must be started through ``build``. Unknown names are refused with
        ``ValueError`` naming them. The build number is not known yet: pass the item to
        :meth:`wait_for_build_number`.
        """
        params = dict(parameters or {})
        return run_once(
            self._scope, "trigger", job, lambda: self._queue_build(job, params),
            dump=_dump_item, load=QueueItem.model_validate,
            recover=lambda record: self._find_queued(job, params, record["started_at"]),
        )  # fmt: skip

    def _queue_build(self, job: str, parameters: dict[str, str]) -> QueueItem:
        parameters = dict(parameters)
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

    def abort_build(self, job: str, build: int, *, confirm: bool = True) -> BuildAction:
        """Stop a running build (one GET, and when it runs one POST and one GET) and report what Jenkins did;
        once per task inside an idempotency scope.

        A finished build is left as it is and the answer says so, with its result: Jenkins' ``stop`` answers a
        finished build with the same redirect as a running one, so the state is read first, and read again
        after the POST to tell "aborted" from "stopping". ``confirm=False`` only says what would happen.
        """
        before = self.get_build(job, build)
        if not before.building:
            return BuildAction(
                job=job,
                build=build,
                action="none",
                done=False,
                dry_run=not confirm,
                building=False,
                result=before.result,
                message=f"{job} #{build} had already finished ({before.result}); nothing was done",
            )
        if not confirm:
            return BuildAction(
                job=job,
                build=build,
                action="abort",
                done=False,
                dry_run=True,
                building=True,
                message=f"dry run: would abort {job} #{build}, which is running; pass confirm to do it",
            )
        self.http.post(f"{build_path(job, build)}/stop")
        after = self.get_build(job, build)
        message = (
            f"Jenkins aborted {job} #{build} (result {after.result})"
            if not after.building
            else f"Jenkins accepted the stop request; {job} #{build} is still stopping"
        )
        return BuildAction(
            job=job, build=build, action="abort", done=True, building=after.building, result=after.result,
            message=message,
        )  # fmt: skip

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
        return run_once(
            self._scope, "rebuild", f"{job}#{build}", lambda: self._queue_build(job, parameters),
            dump=_dump_item, load=QueueItem.model_validate,
            recover=lambda record: self._find_queued(job, parameters, record["started_at"]),
        )  # fmt: skip

    def _find_queued(self, job: str, parameters: dict[str, str], since: datetime) -> QueueItem | None:
        """A queue item or build of ``job`` with ``parameters`` that appeared since ``since`` (give or take
        Jenkins' clock): what an earlier run of the task queued before it died. Two GETs."""
        after_ms = since.timestamp() * 1000 - CLOCK_SKEW_MS

        def same(found: dict[str, str]) -> bool:
            return all(found.get(k) == v for k, v in parameters.items())

        queued = self.http.get_json("queue", TREES["queue"]).get("items") or []
        for item in (QueueItem.from_api(i, base_url=self.base_url) for i in queued):
            queued_ms = item.in_queue_since.timestamp() * 1000 if item.in_queue_since else 0
            if item.job == job and queued_ms >= after_ms and same(item.parameters):
                return item
        data = self.http.get_json(job_path(job), TREES["recent_builds_queued"])
        for b in data.get("builds") or []:
            if int(b.get("timestamp") or 0) >= after_ms and same(parse_parameters(b.get("actions"))):
                queue_id = int(b.get("queueId") or 0)
                return QueueItem(
                    id=queue_id, job=job, url=self.http.url(f"queue/item/{queue_id}/"),
                    parameters=parameters, build_number=int(b["number"]),
                )  # fmt: skip
        return None


#: How far Jenkins' clock may be behind ours when looking for what an earlier run queued.
CLOCK_SKEW_MS = 5000


def _dump_item(item: QueueItem) -> dict[str, object]:
    return dict(item.model_dump(mode="json"))
