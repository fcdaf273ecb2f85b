"""Validation of what clients send: each rule names its field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from worker.models import BuildEvent, TaskRequest
from worker.tasks.base import field_errors

BASE = {"jenkins_url": "https://ci.example.com/", "job": "team/api-service", "build": 42, "status": "FAILURE"}


def _fields(payload: dict[str, object], model: type = BuildEvent) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(payload)
    return {e["field"]: e["rule"] for e in field_errors(info.value)}


def test_accepts_folder_job_and_strips_trailing_slash_of_jenkins_url() -> None:
    event = BuildEvent.model_validate(BASE)
    assert event.jenkins_url == "https://ci.example.com"
    assert event.needs_analysis


@pytest.mark.parametrize("job", ["", "/abs", "a//b", "a/../b", "trailing/", " padded"])
def test_rejects_malformed_job_names(job: str) -> None:
    assert "job" in _fields({**BASE, "job": job})


def test_rejects_event_without_job_name() -> None:
    payload = dict(BASE)
    del payload["job"]
    assert _fields(payload) == {"job": "missing"}


def test_rejects_non_positive_build_number() -> None:
    assert _fields({**BASE, "build": 0}) == {"build": "greater_than_equal"}


def test_completed_event_needs_a_final_status() -> None:
    payload = {k: v for k, v in BASE.items() if k != "status"}
    errors = _fields(payload)
    assert list(errors.values()) == ["value_error"]


def test_started_event_needs_no_status_and_no_analysis() -> None:
    event = BuildEvent.model_validate({**BASE, "event": "started", "status": None})
    assert not event.needs_analysis


def test_rejects_unknown_fields_and_stage_without_name() -> None:
    errors = _fields({**BASE, "colour": "red", "stages": [{"status": "FAILED"}]})
    assert errors == {"colour": "extra_forbidden", "stages.0.name": "missing"}


def test_task_request_rejects_blank_task_and_huge_context() -> None:
    assert _fields({"task": "   "}, TaskRequest) == {"task": "value_error"}
    assert _fields({"task": "x", "context": {"blob": "x" * 70_000}}, TaskRequest) == {
        "context": "value_error"
    }
