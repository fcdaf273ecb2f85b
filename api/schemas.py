"""Bodies only the API reads or writes (the shared ones, BuildEvent, TaskRequest and TriggerRequest, live in
``worker.models``; the engine's ``Analysis`` in ``worker.analysis``).

The response models describe what the views return, for the OpenAPI description (``api.openapi``); the views
build plain dicts from storage, and the contract tests check those dicts against these schemas. Stored documents
may carry more fields than listed (``extra="allow"``): clients must ignore what they do not know.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from worker.analysis.flaky import FlakyReport
from worker.analysis.models import Category, Cause, ExcerptBlock
from worker.feedback import check_category, parse_lines


class ConfirmRequest(BaseModel):
    """Body of an action that changes Jenkins: a dry run unless ``confirm`` is true (empty body = dry run)."""

    model_config = ConfigDict(extra="forbid")
    confirm: bool = False


class TaskConfirmRequest(BaseModel):
    """The single-use token of a task that answered ``needs_confirmation`` (``result.confirmation.token``)."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=16, max_length=200)


class FeedbackRequest(BaseModel):
    """A verdict on an analysis; ``lines`` like ``"120-131, 140"`` or ``[120, 121]``."""

    model_config = ConfigDict(extra="forbid")
    verdict: Literal["right", "wrong"]
    lines: str | list[int] = ""
    category: str | None = None
    comment: str | None = Field(None, max_length=2000)

    @field_validator("lines")
    @classmethod
    def _lines(cls, value: str | list[int]) -> str | list[int]:
        parse_lines(value)  # ValueError names the rule
        return value

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        return check_category(value)

    @property
    def line_ranges(self) -> list[tuple[int, int]]:
        return parse_lines(self.lines)


# -- responses ----------------------------------------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str = Field(description="dotted path into the body or the query parameter's name: stages.0.name")
    rule: str = Field(
        description="the rule it broke (pydantic's error type: missing, int_type, extra_forbidden, ...)"
    )
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code: validation_error, unauthorized, ...")
    message: str = Field(description="for people: names the field and the rule")
    fields: list[FieldProblem] = Field(description="one entry per field at fault (empty when none)")


class ErrorBody(BaseModel):
    """Every error, whatever its status, has this one shape."""

    error: ErrorDetail


class EventAccepted(BaseModel):
    accepted: Literal[True]
    task_id: str = Field(
        description="the ingest task: GET /api/v1/tasks/<task_id> finds it only if the worker rejected the event "
        "or failed on it (status rejected or failed, with the reason); an ingested event keeps no task record"
    )
    status_url: str = Field(description="the build to poll: /api/v1/jobs/<job>/builds/<n>")


class TaskAccepted(BaseModel):
    task_id: str
    status_url: str = Field(description="/api/v1/tasks/<task_id>")


class TaskView(BaseModel):
    task_id: str
    status: Literal["queued", "running", "succeeded", "failed", "rejected"]
    kind: str | None = Field(description="the task name (agents.handle_task, builds.trigger, ...)")
    result: dict[str, Any] | None = Field(description="set once succeeded")
    error: dict[str, Any] | None = Field(description="{code, message[, fields]} once failed or rejected")
    created_at: str | None
    updated_at: str | None
    progress: Any = Field(None, description="the latest progress report while running")


class StoredStage(BaseModel):
    name: str
    status: str
    duration_ms: int | None = None


class StoredBuild(BaseModel):
    """A build as reported by build events (the newest event's fields win)."""

    model_config = ConfigDict(extra="allow")

    jenkins_url: str
    job: str
    build: int
    status: str = Field(description="IN_PROGRESS until a completed event: SUCCESS, FAILURE, UNSTABLE, ...")
    analysis_status: Literal["none", "pending", "done", "failed"]
    analysis_error: str | None = Field(
        None, description="Why the analysis failed (analysis_status failed), after its retries; else null"
    )
    url: str | None = None
    commit: str | None = None
    branch: str | None = None
    cause: str | None = None
    duration_ms: int | None = None
    parameters: dict[str, str] = {}
    stages: list[StoredStage] = []
    failed_tests: list[str] = []
    created_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None


class StoredAnalysis(BaseModel):
    """The engine's analysis of a failed build (category, ranked excerpt, causes, fingerprint), as stored."""

    model_config = ConfigDict(extra="allow")

    job: str
    build: int
    category: Category
    summary: str
    excerpt: list[ExcerptBlock] = Field(description="the lines that explain the failure, best first")
    causes: list[Cause] = Field(description="known causes from the knowledge base, with their fixes")
    fingerprint: str = Field(description="the same for the same failure in another build")


class BuildList(BaseModel):
    job: str
    builds: list[StoredBuild] = Field(description="newest first")


class BuildWithAnalysis(BaseModel):
    build: StoredBuild
    analysis: StoredAnalysis | None


class JobFlakyReport(FlakyReport):
    """Flaky tests and failures of one job, and the builds worth retrying."""

    job: str


class Feedback(BaseModel):
    model_config = ConfigDict(extra="allow")

    jenkins_url: str
    job: str
    build: int
    author: str = Field(description="the token's subject")
    verdict: Literal["right", "wrong"]
    lines: list[list[int]] = Field(description="[first, last] line ranges the reader marked")
    category: str | None = None
    comment: str | None = None


class FeedbackSaved(BaseModel):
    feedback: Feedback


class BuildStats(BaseModel):
    builds: int
    successes: int
    failures: int
    unstable: int
    aborted: int
    success_rate: float | None = Field(description="SUCCESS over every completed build; null when none")
    mean_duration_ms: int | None
    p95_duration_ms: int | None = Field(
        description="95th percentile from a log-scale histogram: within 4.4 % of the exact nearest-rank value"
    )


class JobBuildStats(BuildStats):
    job: str


class MetricsWindow(BaseModel):
    from_: str = Field(alias="from", description="the whole hour at or before `hours` ago")
    to: str
    hours: int


class BuildMetrics(BaseModel):
    """Builds completed in a time window, overall and by job (busiest first, at most 200 jobs)."""

    window: MetricsWindow
    totals: BuildStats
    jobs: list[JobBuildStats]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["ready", "unavailable"]
    redis: dict[str, Any] = Field(description="{ok, latency_ms} or {ok: false, error}")
    mongo: dict[str, Any]
    broker: dict[str, Any]
    jenkins: dict[str, Any] = Field(description="as last reported by a worker; ok is null when none did")
