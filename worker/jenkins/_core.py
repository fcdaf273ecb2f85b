"""What every resource of :class:`~worker.jenkins.JenkinsClient` shares: the transport, jenkinsapi and settings.

The resource mixins (``_builds``, ``_console``, ``_stages``, ``_queue``, ``_jobs``, ``_plugins``) each inherit
from :class:`ClientCore` and add the methods of one Jenkins resource; ``client.JenkinsClient`` combines them.
"""

from __future__ import annotations

import copy
import logging
from functools import cached_property
from typing import Self

import requests

from worker.jenkins._idempotency import IdempotencyScope
from worker.jenkins.errors import JenkinsError
from worker.jenkins.jenkinsapi_bridge import LiteralSafeJenkins, make_jenkins
from worker.jenkins.models import TREES
from worker.jenkins.transport import JenkinsHttp

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 64 * 1024


class ClientCore:
    """One controller's transport and options; see :class:`~worker.jenkins.JenkinsClient`."""

    #: Writes are recorded under idempotency keys inside a scope (:meth:`idempotent`); none by default.
    _scope: IdempotencyScope | None = None

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

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @cached_property
    def api(self) -> LiteralSafeJenkins:
        """A jenkinsapi ``Jenkins`` on this client's session (built on first use; no request until asked)."""
        return make_jenkins(self.http, self._user, self._token)

    def idempotent(self, scope: IdempotencyScope | None) -> Self:
        """This client (same connection pool) with its Jenkins writes keyed by ``scope``'s task: a task
        redelivered or retried with the same id does not trigger, rebuild, abort, cancel, install or describe
        again (see :mod:`worker.jenkins._idempotency`). Closing either closes both."""
        scoped = copy.copy(self)
        scoped._scope = scope
        return scoped

    def close(self) -> None:
        self.http.close()
        if self._public is not None:
            self._public.close()

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
