"""Jobs and builds: what the worker stored (newest first), their analyses, and build actions.

Reads come straight from MongoDB; actions (trigger, abort, rebuild) are tasks the worker performs against
Jenkins, answered with 202 and a task to poll.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.blueprints.tasks import start_task
from api.errors import APIError
from api.openapi import Body, Query, operation
from api.schemas import (
    BuildList,
    BuildWithAnalysis,
    ConfirmRequest,
    JobFlakyReport,
    StoredAnalysis,
    TaskAccepted,
)
from api.services import services
from api.validation import json_body, path_job, query_int
from worker.analysis.flaky import DEFAULT_WINDOW, MAX_WINDOW, detect_flaky
from worker.models import TriggerRequest
from worker.task_names import ABORT_BUILD, JOB_STATUS, REBUILD, TRIGGER_BUILD

bp = Blueprint("builds", __name__, url_prefix="/api/v1/jobs")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_BUILD_NUMBER = 10**9


def _number(number: int) -> int:
    if not 1 <= number <= MAX_BUILD_NUMBER:
        raise APIError(404, "not_found", f"no build #{number}: build numbers start at 1")
    return number


_JOB = {"job": "the job's full name, folders included: team/api-service", "number": "the build number"}
_QUEUED = {202: Body(TaskAccepted, "queued for a worker; poll status_url")}


@bp.get("/<path:job>/builds")
@operation(
    tags=["builds"],
    responses={200: Body(BuildList)},
    query=[Query("limit", "how many builds", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)],
    errors=[422],
    path_descriptions=_JOB,
)
def list_builds(job: str) -> dict[str, Any]:
    """Recent builds of ``job``, newest first (``?limit=``, 1..100, default 20)."""
    job = path_job(job)
    limit = query_int("limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    builds = services().storage.builds.list(job, limit)
    return {"job": job, "builds": builds}


@bp.get("/<path:job>/builds/<int:number>")
@operation(
    tags=["builds"], responses={200: Body(BuildWithAnalysis)}, errors=[404, 422], path_descriptions=_JOB
)
def get_build(job: str, number: int) -> dict[str, Any]:
    """One build with its analysis (``null`` until there is one)."""
    job, number = path_job(job), _number(number)
    storage = services().storage
    build = storage.builds.get(job, number)
    if build is None:
        raise APIError(404, "not_found", f"no build {job} #{number} has been reported")
    analysis = storage.analyses.get(job, number)
    build.setdefault("analysis_status", "done" if analysis else "none")
    return {"build": build, "analysis": analysis}


@bp.get("/<path:job>/builds/<int:number>/analysis")
@operation(tags=["builds"], responses={200: Body(StoredAnalysis)}, errors=[404, 422], path_descriptions=_JOB)
def get_analysis(job: str, number: int) -> dict[str, Any]:
    """The analysis of one build; 404 ``analysis_pending`` while the worker is still on it."""
    job, number = path_job(job), _number(number)
    storage = services().storage
    analysis = storage.analyses.get(job, number)
    if analysis is not None:
        return analysis
    build = storage.builds.get(job, number)
    if build is None:
        raise APIError(404, "not_found", f"no build {job} #{number} has been reported")
    if build.get("analysis_status") == "pending":
        raise APIError(404, "analysis_pending", f"the analysis of {job} #{number} is in progress; retry soon")
    raise APIError(404, "not_found", f"build {job} #{number} has no analysis (only failures are analysed)")


@bp.get("/<path:job>/flaky")
@operation(
    tags=["builds"],
    responses={200: Body(JobFlakyReport)},
    query=[Query("window", "how many recent builds", default=DEFAULT_WINDOW, minimum=2, maximum=MAX_WINDOW)],
    errors=[422],
    path_descriptions=_JOB,
)
def flaky_report(job: str) -> dict[str, Any]:
    """Flaky tests and failures, and retry candidates, judged on the job's last ``?window=`` stored builds
    (2..200, default 30). Pure analysis of stored history: fast, and Jenkins is never asked."""
    job = path_job(job)
    window = query_int("window", default=DEFAULT_WINDOW, minimum=2, maximum=MAX_WINDOW)
    history = services().storage.builds.history(job, window)
    report = detect_flaky(history, window=window)
    return {"job": job, **report.model_dump(mode="json")}


@bp.get("/<path:job>/status")
@operation(
    tags=["jenkins"],
    responses=_QUEUED,
    query=[Query("limit", "how many recent builds", default=10, minimum=1, maximum=MAX_LIMIT)],
    errors=[422],
    path_descriptions=_JOB,
)
def job_status(job: str) -> tuple[dict[str, Any], int]:
    """Queue ``builds.status``: the job as Jenkins sees it now (health, queue, last ``?limit=`` builds)."""
    job = path_job(job)
    limit = query_int("limit", default=10, minimum=1, maximum=MAX_LIMIT)
    return start_task(JOB_STATUS, {"job": job, "limit": limit}), 202


@bp.post("/<path:job>/builds")
@operation(
    tags=["jenkins"], body=TriggerRequest, body_required=False, responses=_QUEUED, path_descriptions=_JOB
)
def trigger_build(job: str) -> tuple[dict[str, Any], int]:
    """Trigger a build of ``job`` with optional ``{"parameters": {...}}`` (an empty body means none)."""
    job = path_job(job)
    req = json_body(TriggerRequest, empty_ok=True)
    return start_task(TRIGGER_BUILD, {"job": job, **req.model_dump(mode="json")}), 202


@bp.post("/<path:job>/builds/<int:number>/abort")
@operation(
    tags=["jenkins"],
    body=ConfirmRequest,
    body_required=False,
    responses=_QUEUED,
    errors=[404],
    path_descriptions=_JOB,
)
def abort_build(job: str, number: int) -> tuple[dict[str, Any], int]:
    """Abort a running build; a dry run unless the body is ``{"confirm": true}``."""
    job, number = path_job(job), _number(number)
    req = json_body(ConfirmRequest, empty_ok=True)
    return start_task(ABORT_BUILD, {"job": job, "build": number, "confirm": req.confirm}), 202


@bp.post("/<path:job>/builds/<int:number>/rebuild")
@operation(
    tags=["jenkins"],
    body=ConfirmRequest,
    body_required=False,
    responses=_QUEUED,
    errors=[404],
    path_descriptions=_JOB,
)
def rebuild(job: str, number: int) -> tuple[dict[str, Any], int]:
    """Run a build again with the same parameters (``{"confirm": true}`` is passed on to the worker)."""
    job, number = path_job(job), _number(number)
    req = json_body(ConfirmRequest, empty_ok=True)
    return start_task(REBUILD, {"job": job, "build": number, "confirm": req.confirm}), 202
