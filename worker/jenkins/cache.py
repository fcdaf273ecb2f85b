"""A Redis cache in front of the Jenkins reads that change slowly and cost the controller most: the plugin
inventory (every plugin report, update check and security check starts with it), the job list (folders walked)
and a job's status. Each entry lives ``ttl`` seconds, and every write this client makes drops what it changed
(an installed plugin: the inventory; a triggered, aborted or rebuilt build: that job's status; a created job:
the job list), so a worker never answers from a cache it knows to be stale. Hits and misses are counted
(``langchain_jenkins_jenkins_cache_requests_total{read, result}``). Redis failing only means no cache: the read
goes to Jenkins.

Entries are keyed by the controller's URL, so several controllers share one Redis safely.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from worker.controllers import Controller
from worker.jenkins.client import JenkinsClient
from worker.jenkins.models import JobAction, JobStatus, PluginAction, PluginInfo, QueueItem
from worker.jenkins.outcomes import BuildAction
from worker.metrics import JENKINS_CACHE

T = TypeVar("T")

#: Seconds an entry lives, by read: plugins change by installs (which drop the entry), jobs by their builds.
TTLS: dict[str, int] = {"plugins": 600, "jobs": 300, "job_status": 30}
KEY_PREFIX = "langchain_jenkins:jenkins_cache"


class CachedJenkinsClient(JenkinsClient):
    """:class:`JenkinsClient` whose plugin, job-list and job-status reads go through Redis (see the module)."""

    def __init__(
        self, *args: Any, cache: redis.Redis, ttls: dict[str, int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._cache = cache
        self._ttls = {**TTLS, **(ttls or {})}

    @classmethod
    def for_controller_cached(
        cls, controller: Controller, *, cache: redis.Redis, timeout: float = 15.0, retries: int = 3
    ) -> CachedJenkinsClient:
        return cls(
            controller.api_url,
            controller.user,
            controller.token,
            timeout=timeout,
            retries=retries,
            cache=cache,
        )

    # -- the cache ---------------------------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return ":".join((KEY_PREFIX, self.base_url, *parts))

    def _cached(
        self, read: str, key: str, load: Callable[[], T], dump: Callable[[T], str], parse: Callable[[str], T]
    ) -> T:
        try:
            raw = self._cache.get(key)
        except redis.RedisError:
            raw = None
        if raw is not None:
            JENKINS_CACHE.labels(read=read, result="hit").inc()
            return parse(raw.decode() if isinstance(raw, bytes) else str(raw))
        JENKINS_CACHE.labels(read=read, result="miss").inc()
        value = load()
        with contextlib.suppress(redis.RedisError):
            self._cache.set(key, dump(value), ex=self._ttls[read])
        return value

    def _drop(self, *keys: str, pattern: str | None = None) -> None:
        with contextlib.suppress(redis.RedisError):
            names = list(keys)
            if pattern is not None:
                names.extend(
                    k.decode() if isinstance(k, bytes) else str(k) for k in self._cache.scan_iter(pattern)
                )
            if names:
                self._cache.delete(*names)

    def _drop_job(self, job: str) -> None:
        self._drop(pattern=self._key("job_status", job, "*").replace("[", "\\[").replace("]", "\\]"))

    # -- cached reads ------------------------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        return self._cached(
            "plugins",
            self._key("plugins"),
            super().plugins,
            lambda value: json.dumps([p.model_dump(mode="json") for p in value]),
            lambda raw: [PluginInfo.model_validate(p) for p in json.loads(raw)],
        )

    def jobs(self) -> list[str]:
        return self._cached("jobs", self._key("jobs"), super().jobs, json.dumps, json.loads)

    def job_status(self, job: str, limit: int = 10) -> JobStatus:
        return self._cached(
            "job_status",
            self._key("job_status", job, str(limit)),
            lambda: super(CachedJenkinsClient, self).job_status(job, limit),
            lambda value: value.model_dump_json(),
            JobStatus.model_validate_json,
        )

    # -- writes drop what they change ---------------------------------------------------------------------

    def install_plugin(self, name: str, *, confirm: bool = False) -> PluginAction:
        try:
            return super().install_plugin(name, confirm=confirm)
        finally:
            if confirm:
                self._drop(self._key("plugins"))

    def trigger_build(self, job: str, parameters: dict[str, str] | None = None) -> QueueItem:
        try:
            return super().trigger_build(job, parameters)
        finally:
            self._drop_job(job)

    def abort_build(self, job: str, build: int, *, confirm: bool = True) -> BuildAction:
        try:
            return super().abort_build(job, build, confirm=confirm)
        finally:
            if confirm:
                self._drop_job(job)

    def rebuild(self, job: str, build: int) -> QueueItem:
        try:
            return super().rebuild(job, build)
        finally:
            self._drop_job(job)

    def create_pipeline_job(
        self, name: str, jenkinsfile: str, *, confirm: bool = False, sandbox: bool = True
    ) -> JobAction:
        try:
            return super().create_pipeline_job(name, jenkinsfile, confirm=confirm, sandbox=sandbox)
        finally:
            if confirm:
                self._drop(self._key("jobs"))
