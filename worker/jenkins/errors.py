"""Errors raised by :mod:`worker.jenkins`.

One hierarchy, so callers can catch exactly what they can handle::

    JenkinsError                 base class; never raised for programming errors (those stay
    ValueError/TypeError)
    ├── JenkinsAuthError         401 (bad or missing credentials) or 403 (no permission, crumb refused)
    ├── JenkinsNotFound          404: no such job, build, queue item or stage
    ├── JenkinsUnavailable       connection refused/reset/timed out, or 5xx still failing after the retries
    └── JenkinsTimeout           a wait (queue item -> build, build -> finished) ran out of time

Every error carries the HTTP ``status`` (``None`` when there was no response) and the request ``url`` with any
credentials removed, so a message is safe to log and to show to a user.
"""

from __future__ import annotations


class JenkinsError(Exception):
    """Base class for everything that goes wrong talking to Jenkins."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class JenkinsAuthError(JenkinsError):
    """401/403: the user or API token is wrong, lacks a permission, or a CSRF crumb was refused."""


class JenkinsNotFound(JenkinsError):
    """404: the job, build, queue item or node does not exist (or the user may not see it)."""


class JenkinsUnavailable(JenkinsError):
    """Jenkins could not be reached, or kept answering 5xx after the configured retries."""


class JenkinsTimeout(JenkinsError):
    """A wait for a queue item or a build gave up before Jenkins got there."""
