"""Jenkins-wide reads and checks, done by the worker: the build queue and agents, Jenkinsfile validation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from api.blueprints.tasks import start_task
from api.openapi import Body, operation
from api.schemas import TaskAccepted
from api.validation import json_body
from worker.task_names import QUEUE_STATUS, VALIDATE_PIPELINE

bp = Blueprint("jenkins", __name__, url_prefix="/api/v1")


class ValidateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jenkinsfile: str = Field(min_length=1, max_length=512_000)


@bp.get("/queue")
@operation(tags=["jenkins"], responses={202: Body(TaskAccepted, "queued for a worker")})
def queue() -> tuple[dict[str, Any], int]:
    """Queue ``jenkins.queue``: what waits in the build queue and why, and the agents' state."""
    return start_task(QUEUE_STATUS, {}), 202


@bp.post("/pipelines/validate")
@operation(
    tags=["pipelines"], body=ValidateRequest, responses={202: Body(TaskAccepted, "queued for a worker")}
)
def validate_pipeline() -> tuple[dict[str, Any], int]:
    """Queue ``pipelines.validate`` for ``{"jenkinsfile": "..."}``: local lint, then Jenkins' validator."""
    req = json_body(ValidateRequest)
    return start_task(VALIDATE_PIPELINE, req.model_dump()), 202
