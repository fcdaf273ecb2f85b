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

The methods live in one small module per resource, behind this one class: builds (``_builds``), console logs
(``_console``), Pipeline stages (``_stages``), descriptions (``_descriptions``), the queue and agents
(``_queue``), jobs and Pipeline definitions (``_jobs``) and plugins (``_plugins``); ``_core`` holds the
transport and the controller-wide reads they share.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from worker.jenkins._builds import BuildsMixin
from worker.jenkins._console import ConsoleMixin
from worker.jenkins._core import DEFAULT_CHUNK_SIZE
from worker.jenkins._descriptions import DescriptionsMixin
from worker.jenkins._jobs import JobsMixin, pipeline_config_xml
from worker.jenkins._plugins import PluginsMixin, parse_update_center
from worker.jenkins._queue import QueueMixin
from worker.jenkins._stages import StagesMixin, describe_step

if TYPE_CHECKING:
    from worker.controllers import Controller
    from worker.settings import Settings

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "JenkinsClient",
    "describe_step",
    "parse_update_center",
    "pipeline_config_xml",
]


class JenkinsClient(
    BuildsMixin, ConsoleMixin, StagesMixin, DescriptionsMixin, QueueMixin, JobsMixin, PluginsMixin
):
    """A client for one Jenkins controller.

    Job names are full names with folders separated by ``/`` (``"team/api-service"``). Every method raises a
    :class:`~worker.jenkins.errors.JenkinsError` subclass when Jenkins refuses or cannot be reached, and
    ``ValueError`` naming the argument for input that cannot be valid. Safe to share within a thread; build
    one per worker process.
    """

    @classmethod
    def from_settings(cls, settings: Settings) -> JenkinsClient:
        """A client for the default controller (``JENKINS_URL/USER/TOKEN``, or the only one in
        ``JENKINS_CONTROLLERS``) with ``JENKINS_TIMEOUT_SECONDS``."""
        controller = settings.controllers.default
        if controller is None:
            raise ValueError("JENKINS_URL is not set (and JENKINS_CONTROLLERS names no single controller)")
        return cls.for_controller(controller, timeout=settings.jenkins_timeout_seconds)

    @classmethod
    def for_controller(cls, controller: Controller, *, timeout: float = 15.0) -> JenkinsClient:
        """A client for one configured controller, reaching it at its ``api_url`` with its credentials."""
        return cls(controller.api_url, controller.user, controller.token, timeout=timeout)

    def __enter__(self) -> JenkinsClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
