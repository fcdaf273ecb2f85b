"""Jenkins-wide reads and checks, done by the worker: the build queue and agents, Jenkinsfile validation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field

from api.blueprints.tasks import start_task
from api.openapi import Body, Query, operation
from api.schemas import ConfirmRequest, TaskAccepted
from api.services import services
from api.validation import configured_controller, json_body
from worker.task_names import CANCEL_QUEUE_ITEM, QUEUE_STATUS, VALIDATE_PIPELINE

bp = Blueprint("jenkins", __name__, url_prefix="/api/v1")


class ValidateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jenkinsfile: str = Field(min_length=1, max_length=512_000)


@bp.get("/queue")
@operation(tags=["jenkins"], responses={202: Body(TaskAccepted, "queued for a worker")}, scope="read")
def queue() -> tuple[dict[str, Any], int]:
    """Queue ``jenkins.queue``: what waits in the build queue and why, and the agents' state."""
    return start_task(QUEUE_STATUS, {}), 202


@bp.post("/queue/<int:item_id>/cancel")
@operation(
    tags=["jenkins"],
    body=ConfirmRequest,
    body_required=False,
    responses={202: Body(TaskAccepted, "queued for a worker")},
    query=[Query("jenkins_url", "the configured controller to act on (default: the default one)", "string")],
    path_descriptions={"item_id": "the queue item's id, as GET /api/v1/queue reports it"},
    scope="operate",
)
def cancel_queue_item(item_id: int) -> tuple[dict[str, Any], int]:
    """Queue ``jenkins.cancel_queue_item``: take a waiting build out of the queue (a dry run unless the body is
    ``{"confirm": true}``); the task's result says what Jenkins did. ``?jenkins_url=`` names the controller."""
    req = json_body(ConfirmRequest, empty_ok=True)
    controller = configured_controller(services().settings, request.args.get("jenkins_url") or None)
    payload = {"id": item_id, "confirm": req.confirm, "jenkins_url": controller}
    return start_task(CANCEL_QUEUE_ITEM, payload), 202


@bp.post("/pipelines/validate")
@operation(
    tags=["pipelines"],
    body=ValidateRequest,
    responses={202: Body(TaskAccepted, "queued for a worker")},
    scope="analyze",
)
def validate_pipeline() -> tuple[dict[str, Any], int]:
    """Queue ``pipelines.validate`` for ``{"jenkinsfile": "..."}``: local lint, then Jenkins' validator."""
    req = json_body(ValidateRequest)
    return start_task(VALIDATE_PIPELINE, req.model_dump()), 202
