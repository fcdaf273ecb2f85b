"""Jobs and builds: what the worker stored (newest first), their analyses, and build actions.

Reads come straight from MongoDB; actions (trigger, abort, rebuild) are tasks the worker performs against
Jenkins, answered with 202 and a task to poll. Builds are keyed by controller + job + number: every route takes
``?jenkins_url=`` (the controller); a read without it answers when only one controller reported that build,
and 422 naming ``jenkins_url`` when several did; an action without it goes to the default controller.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from api.blueprints.tasks import start_task
from api.errors import APIError, FieldError, validation_error
from api.openapi import Body, Query, operation
from api.schemas import (
    BuildList,
    BuildWithAnalysis,
    ConfirmRequest,
    FeedbackRequest,
    FeedbackSaved,
    JobFlakyReport,
    StoredAnalysis,
    TaskAccepted,
)
from api.services import services
from api.validation import configured_controller, json_body, path_job, query_controller, query_int
from worker.analysis.flaky import DEFAULT_WINDOW, MAX_WINDOW, detect_flaky
from worker.links import page_url
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


def _controller_of(job: str, number: int) -> str | None:
    """The controller a read of ``job`` #``number`` is about: ``?jenkins_url=``, else the only controller that
    reported that build (``None`` when none did); 422 when several did and the read did not say which."""
    asked = query_controller()
    if asked is not None:
        return asked
    reported = services().storage.builds.controllers_of(job, number)
    if len(reported) > 1:
        raise validation_error(
            [
                FieldError(
                    "jenkins_url",
                    "ambiguous",
                    f"{job} #{number} was reported by {len(reported)} controllers; pass ?jenkins_url= "
                    f"with one of: {', '.join(reported)}",
                )
            ]
        )
    return reported[0] if reported else None


def _with_page_url(analysis: dict[str, Any]) -> dict[str, Any]:
    """Analyses stored before pages existed get a fresh signed link (every analysis carries ``page_url``)."""
    if not analysis.get("page_url") and analysis.get("jenkins_url"):
        analysis["page_url"] = page_url(
            services().settings, analysis["jenkins_url"], analysis["job"], analysis["build"]
        )
    return analysis


def _action_controller() -> str:
    """The configured controller an action goes to (``?jenkins_url=``, else the default)."""
    return configured_controller(services().settings, request.args.get("jenkins_url") or None)


_JOB = {"job": "the job's full name, folders included: team/api-service", "number": "the build number"}
_QUEUED = {202: Body(TaskAccepted, "queued for a worker; poll status_url")}
_READ_FROM = Query(
    "jenkins_url",
    "only this controller's records (needed when several controllers reported the build)",
    "string",
)
_ACT_ON = Query(
    "jenkins_url", "the configured controller to act on (default: the default controller)", "string"
)


@bp.get("/<path:job>/builds")
@operation(
    tags=["builds"],
    responses={200: Body(BuildList)},
    query=[
        Query("limit", "how many builds", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT),
        _READ_FROM,
    ],
    errors=[422],
    path_descriptions=_JOB,
    scope="read",
)
def list_builds(job: str) -> dict[str, Any]:
    """Recent builds of ``job``, newest first (``?limit=``, 1..100, default 20; ``?jenkins_url=`` for one
    controller's builds, else every controller's)."""
    job = path_job(job)
    limit = query_int("limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    builds = services().storage.builds.list(job, limit, jenkins_url=query_controller())
    return {"job": job, "builds": builds}


@bp.get("/<path:job>/builds/<int:number>")
@operation(
    tags=["builds"],
    responses={200: Body(BuildWithAnalysis)},
    query=[_READ_FROM],
    errors=[404, 422],
    path_descriptions=_JOB,
    scope="read",
)
def get_build(job: str, number: int) -> dict[str, Any]:
    """One build with its analysis (``null`` until there is one)."""
    job, number = path_job(job), _number(number)
    storage = services().storage
    key = _controller_of(job, number)
    build = storage.builds.get(job, number, jenkins_url=key) if key else None
    if build is None:
        raise APIError(404, "not_found", f"no build {job} #{number} has been reported")
    analysis = storage.analyses.get(job, number, jenkins_url=key)
    build.setdefault("analysis_status", "done" if analysis else "none")
    return {"build": build, "analysis": _with_page_url(analysis) if analysis else None}


@bp.get("/<path:job>/builds/<int:number>/analysis")
@operation(
    tags=["builds"],
    responses={200: Body(StoredAnalysis)},
    query=[_READ_FROM],
    errors=[404, 422],
    path_descriptions=_JOB,
    scope="read",
)
def get_analysis(job: str, number: int) -> dict[str, Any]:
    """The analysis of one build; 404 ``analysis_pending`` while the worker is still on it."""
    job, number = path_job(job), _number(number)
    storage = services().storage
    key = _controller_of(job, number)
    analysis = storage.analyses.get(job, number, jenkins_url=key) if key else None
    if analysis is not None:
        return _with_page_url(analysis)
    build = storage.builds.get(job, number, jenkins_url=key) if key else None
    if build is None:
        raise APIError(404, "not_found", f"no build {job} #{number} has been reported")
    if build.get("analysis_status") == "pending":
        raise APIError(404, "analysis_pending", f"the analysis of {job} #{number} is in progress; retry soon")
    raise APIError(404, "not_found", f"build {job} #{number} has no analysis (only failures are analysed)")


@bp.get("/<path:job>/flaky")
@operation(
    tags=["builds"],
    responses={200: Body(JobFlakyReport)},
    query=[
        Query("window", "how many recent builds", default=DEFAULT_WINDOW, minimum=2, maximum=MAX_WINDOW),
        _READ_FROM,
    ],
    errors=[422],
    path_descriptions=_JOB,
    scope="read",
)
def flaky_report(job: str) -> dict[str, Any]:
    """Flaky tests and failures, and retry candidates, judged on the job's last ``?window=`` stored builds
    (2..200, default 30). Pure analysis of stored history: fast, and Jenkins is never asked."""
    job = path_job(job)
    window = query_int("window", default=DEFAULT_WINDOW, minimum=2, maximum=MAX_WINDOW)
    history = services().storage.builds.history(job, window, jenkins_url=query_controller())
    report = detect_flaky(history, window=window)
    return {"job": job, **report.model_dump(mode="json")}


@bp.get("/<path:job>/status")
@operation(
    tags=["jenkins"],
    responses=_QUEUED,
    query=[Query("limit", "how many recent builds", default=10, minimum=1, maximum=MAX_LIMIT), _ACT_ON],
    errors=[422],
    path_descriptions=_JOB,
    scope="read",
)
def job_status(job: str) -> tuple[dict[str, Any], int]:
    """Queue ``builds.status``: the job as Jenkins sees it now (health, queue, last ``?limit=`` builds)."""
    job = path_job(job)
    limit = query_int("limit", default=10, minimum=1, maximum=MAX_LIMIT)
    return start_task(JOB_STATUS, {"job": job, "limit": limit, "jenkins_url": _action_controller()}), 202


@bp.post("/<path:job>/builds")
@operation(
    tags=["jenkins"],
    body=TriggerRequest,
    body_required=False,
    responses=_QUEUED,
    query=[_ACT_ON],
    path_descriptions=_JOB,
    scope="operate",
)
def trigger_build(job: str) -> tuple[dict[str, Any], int]:
    """Trigger a build of ``job`` with optional ``{"parameters": {...}}`` (an empty body means none)."""
    job = path_job(job)
    req = json_body(TriggerRequest, empty_ok=True)
    payload = {"job": job, "jenkins_url": _action_controller(), **req.model_dump(mode="json")}
    return start_task(TRIGGER_BUILD, payload), 202


#: The OpenAPI description of an action on one build (abort, rebuild): a ``{"confirm": true}`` body, queued.
_BUILD_ACTION: dict[str, Any] = {
    "tags": ["jenkins"],
    "body": ConfirmRequest,
    "body_required": False,
    "responses": _QUEUED,
    "query": [_ACT_ON],
    "errors": [404],
    "path_descriptions": _JOB,
    "scope": "operate",
}


def _queue_build_action(task: str, job: str, number: int) -> tuple[dict[str, Any], int]:
    """Queue ``task`` on build ``number`` of ``job`` on the controller asked for, with the body's ``confirm``."""
    job, number = path_job(job), _number(number)
    req = json_body(ConfirmRequest, empty_ok=True)
    payload = {"job": job, "build": number, "confirm": req.confirm, "jenkins_url": _action_controller()}
    return start_task(task, payload), 202


@bp.post("/<path:job>/builds/<int:number>/abort")
@operation(**_BUILD_ACTION)
def abort_build(job: str, number: int) -> tuple[dict[str, Any], int]:
    """Abort a running build; a dry run unless the body is ``{"confirm": true}``."""
    return _queue_build_action(ABORT_BUILD, job, number)


@bp.post("/<path:job>/builds/<int:number>/rebuild")
@operation(**_BUILD_ACTION)
def rebuild(job: str, number: int) -> tuple[dict[str, Any], int]:
    """Run a build again with the same parameters (``{"confirm": true}`` is passed on to the worker)."""
    return _queue_build_action(REBUILD, job, number)


@bp.post("/<path:job>/builds/<int:number>/feedback")
@operation(
    tags=["feedback"],
    body=FeedbackRequest,
    responses={201: Body(FeedbackSaved, "recorded (replacing this client's earlier verdict)")},
    query=[_READ_FROM],
    errors=[404],
    path_descriptions=_JOB,
    scope="analyze",
)
def post_feedback(job: str, number: int) -> tuple[dict[str, Any], int]:
    """A signed-in client's verdict on an analysis: ``{"verdict": "right"|"wrong", "lines": "120-131",
    "category": ..., "comment": ...}`` (one per client and analysis; a new one replaces it)."""
    job, number = path_job(job), _number(number)
    req = json_body(FeedbackRequest)
    storage = services().storage
    key = _controller_of(job, number)
    if key is None or storage.analyses.get(job, number, jenkins_url=key) is None:
        raise APIError(404, "not_found", f"build {job} #{number} has no analysis to give feedback on")
    saved = storage.feedback.save(
        key,
        job,
        number,
        author=g.principal.subject,
        verdict=req.verdict,
        lines=req.line_ranges,
        category=req.category,
        comment=req.comment,
    )
    return {"feedback": saved}, 201
