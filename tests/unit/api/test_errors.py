"""The one error shape, the dotted field paths and the rules named in it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, abort
from pydantic import ValidationError

from api.errors import (
    APIError,
    FieldError,
    field_errors,
    field_path,
    register_error_handlers,
    validation_error,
)
from worker.models import BuildEvent, TaskRequest

EVENT: dict[str, Any] = {"jenkins_url": "https://ci", "job": "a", "build": 1, "status": "FAILURE"}


@pytest.mark.parametrize(
    ("loc", "path"), [(("stages", 0, "name"), "stages.0.name"), (("job",), "job"), ((), "body")]
)
def test_field_path_is_dotted(loc: tuple[str | int, ...], path: str) -> None:
    assert field_path(loc) == path


def _errors(model: type[Any], data: Any) -> list[FieldError]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return field_errors(info.value)


def test_nested_missing_field_is_named_by_its_path() -> None:
    errors = _errors(
        BuildEvent, {**EVENT, "stages": [{"name": "Build", "status": "OK"}, {"status": "FAILED"}]}
    )
    assert errors == [FieldError("stages.1.name", "missing", "Field required")]


def test_model_level_rule_is_attributed_to_its_field() -> None:
    """BuildEvent's 'completed needs a status' check has no location; its message names the field."""
    [error] = _errors(BuildEvent, {**EVENT, "status": None})
    assert error.field == "status" and error.rule == "value_error"
    assert error.message.startswith("a completed event needs a final status")


def test_rules_are_pydantic_error_types_and_inputs_are_not_echoed() -> None:
    errors = _errors(TaskRequest, {"task": "   ", "context": {"k": "v"}, "token": "s3cret-value"})
    assert {(e.field, e.rule) for e in errors} == {("task", "value_error"), ("token", "extra_forbidden")}
    assert all("s3cret" not in e.message for e in errors)


def test_validation_error_message_names_every_field() -> None:
    err = validation_error(
        [FieldError("job", "missing", "Field required"), FieldError("build", "int_parsing", "x")]
    )
    assert err.status == 422 and err.code == "validation_error"
    assert "job: Field required (missing)" in err.message and "build: x (int_parsing)" in err.message


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    register_error_handlers(app)

    @app.get("/api-error")
    def api_error() -> str:
        raise APIError(409, "conflict", "already there", fields=[FieldError("id", "unique", "taken")])

    @app.get("/pydantic")
    def pydantic_error() -> str:
        BuildEvent.model_validate({})
        return "unreachable"

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    @app.get("/teapot")
    def teapot() -> str:
        abort(418)

    return app


def test_every_error_renders_the_same_shape(app: Flask) -> None:
    client = app.test_client()
    api = client.get("/api-error")
    assert api.status_code == 409
    assert api.get_json() == {
        "error": {
            "code": "conflict",
            "message": "already there",
            "fields": [{"field": "id", "rule": "unique", "message": "taken"}],
        }
    }
    invalid = client.get("/pydantic").get_json()["error"]
    assert invalid["code"] == "validation_error" and {f["field"] for f in invalid["fields"]} >= {
        "job",
        "build",
    }
    teapot = client.get("/teapot")
    assert teapot.status_code == 418 and teapot.get_json()["error"]["code"] == "http_418"
    wrong_method = client.post("/boom")
    assert (
        wrong_method.status_code == 405 and wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    )
    assert wrong_method.headers["Allow"]


def test_unexpected_exceptions_are_500_in_the_shape_without_details(app: Flask) -> None:
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error" and "secret internals" not in error["message"]
