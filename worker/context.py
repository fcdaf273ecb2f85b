"""Per-process resources of a worker: settings, MongoDB, Redis, the Jenkins client and the chat model.

Built lazily on first use and dropped in a forked child (``os.register_at_fork``), because pymongo and redis
clients must not cross a fork. Tasks get them from :func:`get_context`; nothing connects at import time.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

import redis

from worker.settings import Settings, get_settings
from worker.storage import Storage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from worker.jenkins import JenkinsClient


class JenkinsNotConfigured(RuntimeError):
    """Raised when a task needs Jenkins and JENKINS_URL is not set."""


class WorkerContext:
    """The clients one worker process uses, created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[str, JenkinsClient] = {}
        self._clients_lock = threading.Lock()

    @cached_property
    def storage(self) -> Storage:
        return Storage.from_settings(self.settings)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url, socket_timeout=5, socket_connect_timeout=5)

    @property
    def jenkins(self) -> JenkinsClient:
        """The default controller's client (JENKINS_URL, or the only one configured)."""
        if self.settings.controllers.default is None:
            raise JenkinsNotConfigured(
                "no default Jenkins controller: set JENKINS_URL (or name the controller: JENKINS_CONTROLLERS "
                "holds several)"
            )
        return self.jenkins_for(None)

    def jenkins_for(self, jenkins_url: str | None) -> JenkinsClient:
        """The client of the configured controller ``jenkins_url`` names (``None``: the default), one per
        controller and process. Raises :class:`~worker.controllers.UnknownController` for any other URL: the
        worker never talks to a URL a payload brought (that would hand our credentials to whoever sent it)."""
        from worker.jenkins.cache import CachedJenkinsClient

        controller = self.settings.controllers.resolve(jenkins_url)
        with self._clients_lock:
            client = self._clients.get(controller.url)
            if client is None:
                # Plugin, job-list and job-status reads go through the Redis cache (worker.jenkins.cache).
                client = CachedJenkinsClient.for_controller_cached(
                    controller,
                    cache=self.redis,
                    timeout=self.settings.jenkins_timeout_seconds,
                    retries=self.settings.jenkins_retries,
                )
                self._clients[controller.url] = client
        return client

    @property
    def has_jenkins(self) -> bool:
        return self.settings.controllers.default is not None

    @cached_property
    def chat_model(self) -> BaseChatModel | None:
        from worker.agents import build_chat_model

        return build_chat_model(self.settings)

    def publish(self, task_id: str, event: str, data: dict[str, Any]) -> None:
        """Tell listeners of ``/api/v1/tasks/<id>/stream`` about progress or the result (best effort)."""
        message = json.dumps({"event": event, "data": data}, default=str)
        # Progress is a courtesy; the stored task record is the source of truth.
        with contextlib.suppress(redis.RedisError):
            self.redis.publish(f"tasks:{task_id}", message)


_context: WorkerContext | None = None


def get_context() -> WorkerContext:
    """This process's context (a forked child builds its own)."""
    global _context
    if _context is None:
        _context = WorkerContext(get_settings())
    return _context


def set_context(context: WorkerContext | None) -> None:
    """Replace the process's context (the CLI and tests build one from explicit settings)."""
    global _context
    _context = context


def _forget_after_fork() -> None:
    global _context
    _context = None


os.register_at_fork(after_in_child=_forget_after_fork)
