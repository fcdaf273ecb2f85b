"""Jenkinsfile validation: the local linter always, Jenkins' own validator when Jenkins is configured."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from worker import task_names
from worker.celery_app import app
from worker.pipelines.linter import lint_jenkinsfile
from worker.tasks.base import LangchainJenkinsTask, parse_payload


class ValidatePayload(BaseModel):
    jenkinsfile: str = Field(min_length=1, max_length=512_000)


@app.task(name=task_names.VALIDATE_PIPELINE, base=LangchainJenkinsTask, bind=True)
def validate(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Lint a declarative Jenkinsfile and, when Jenkins is reachable, ask its validator too."""
    req = parse_payload(ValidatePayload, payload)
    result: dict[str, Any] = {"lint": lint_jenkinsfile(req.jenkinsfile).as_dict(), "jenkins": None}
    if self.ctx.has_jenkins:
        result["jenkins"] = self.ctx.jenkins.validate_jenkinsfile(req.jenkinsfile).model_dump(mode="json")
    result["valid"] = result["lint"]["ok"] and (result["jenkins"] is None or result["jenkins"]["valid"])
    return result
