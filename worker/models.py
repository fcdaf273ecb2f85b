"""Typed messages shared by the API and the worker: what a client may send, validated in one place."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

BuildStatus = Literal["IN_PROGRESS", "SUCCESS", "FAILURE", "UNSTABLE", "ABORTED", "NOT_BUILT"]
#: Results for which a failure analysis is run.
FAILED_STATUSES: frozenset[str] = frozenset({"FAILURE", "UNSTABLE"})
MAX_CONTEXT_BYTES = 64 * 1024


def validate_job_name(value: str) -> str:
    """A Jenkins job path: folder segments separated by '/', no empty or '..' segments."""
    if value != value.strip():
        raise ValueError("must not start or end with white space")
    if value.startswith("/") or value.endswith("/"):
        raise ValueError("must not start or end with '/'")
    segments = value.split("/")
    if any(seg in {"", ".", ".."} for seg in segments):
        raise ValueError("must be folder names separated by single '/', without '.' or '..'")
    if any(ch in value for ch in "\x00\r\n\t"):
        raise ValueError("must not contain control characters")
    return value


#: A job name as every payload carries it (API bodies and task payloads alike).
JobName = Annotated[str, Field(min_length=1, max_length=512), AfterValidator(validate_job_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=8192)


class StageResult(_Strict):
    """One stage of a Pipeline run, as reported by the shared library."""

    name: str = Field(min_length=1, max_length=256)
    status: str = Field(min_length=1, max_length=32)
    duration_ms: int | None = Field(None, ge=0)


class BuildEvent(_Strict):
    """A build started or completed, posted by the shared library (``publishBuildEvent``)."""

    jenkins_url: str = Field(min_length=1, max_length=2048, pattern=r"^https?://[^\s/]+[^\s]*$")
    job: JobName
    build: int = Field(ge=1, le=10**9)
    event: Literal["started", "completed"] = "completed"
    status: BuildStatus | None = None
    duration_ms: int | None = Field(None, ge=0)
    url: str | None = Field(None, max_length=2048, pattern=r"^https?://\S+$")
    stages: list[StageResult] = Field(default_factory=list, max_length=500)
    parameters: dict[str, str] = Field(default_factory=dict, max_length=200)
    commit: str | None = Field(None, max_length=128)
    branch: str | None = Field(None, max_length=512)
    cause: str | None = Field(None, max_length=1024)
    #: Names of the tests that failed (e.g. from the JUnit results), for flaky-test detection.
    failed_tests: list[str] = Field(default_factory=list, max_length=2000)
    #: Which run of the body this is, when ``withJenkinsAgent(retryTransient:)`` ran it again in the same build:
    #: each attempt's failure is its own event and gets its own analysis (of the log it added).
    attempt: int = Field(1, ge=1, le=10)

    @field_validator("jenkins_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _status_matches_event(self) -> BuildEvent:
        if self.event == "completed" and (self.status is None or self.status == "IN_PROGRESS"):
            raise ValueError(
                "status: a completed event needs a final status (SUCCESS, FAILURE, UNSTABLE, ...)"
            )
        return self

    @property
    def needs_analysis(self) -> bool:
        return self.event == "completed" and self.status in FAILED_STATUSES


class TaskRequest(_Strict):
    """A natural-language task for the supervisor agent."""

    task: str = Field(min_length=1, max_length=4000)
    context: dict[str, Any] = Field(default_factory=dict)

    @field_validator("task")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("context")
    @classmethod
    def _bounded_context(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, default=str)) > MAX_CONTEXT_BYTES:
            raise ValueError(f"must be at most {MAX_CONTEXT_BYTES} bytes as JSON")
        return value


class TriggerRequest(_Strict):
    """Parameters for triggering a build through the API."""

    parameters: dict[str, str] = Field(default_factory=dict, max_length=200)
    confirm: bool = False
