"""The OpenAPI 3.1 description: valid, complete (every route of the app), bearer auth, one error shape."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

from api.app import create_app
from api.blueprints.docs import DOCS_OPERATIONS, is_public
from api.openapi import ERRORS, IMPLICIT_METHODS, Body, build_spec, operation
from tests.services import make_settings
from worker.models import BuildEvent


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app(make_settings(REDIS_URL="redis://127.0.0.1:9/0", MONGO_URL="mongodb://127.0.0.1:9"))


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    return build_spec(app, extra=DOCS_OPERATIONS)


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method != "parameters"
    ]


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec)  # openapi-spec-validator: raises on any violation
    assert spec["openapi"] == "3.1.0"


def _routes_and_missing(app: Flask, spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Every (method, rule) of the app, and those the document lacks."""
    checked, missing = [], []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - IMPLICIT_METHODS):
            checked.append(f"{method} {rule.rule}")
            if method.lower() not in spec["paths"].get(path, {}):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    return checked, missing


def test_every_route_of_the_app_is_in_the_document(app: Flask, spec: dict[str, Any]) -> None:
    checked, missing = _routes_and_missing(app, spec)
    assert missing == [], (
        "routes missing from the OpenAPI document: decorate each view with @operation(...) "
        f"from api.openapi (api/README.md, 'Adding a route'): {missing}"
    )
    # Not vacuous: the app's real routes were checked, ...
    assert len(checked) >= 25 and "POST /api/v1/queue/<int:item_id>/cancel" in checked, checked
    assert len(checked) == len(_operations(spec))  # ... and the document describes nothing else


def test_a_route_without_a_description_is_named_as_missing() -> None:
    app = create_app(make_settings(REDIS_URL="redis://127.0.0.1:9/0", MONGO_URL="mongodb://127.0.0.1:9"))
    app.add_url_rule("/api/v1/undocumented/<int:n>", "undocumented", lambda n: "", methods=["GET", "PUT"])
    _, missing = _routes_and_missing(app, build_spec(app, extra=DOCS_OPERATIONS))
    assert missing == [
        "GET /api/v1/undocumented/<int:n> (undocumented)",
        "PUT /api/v1/undocumented/<int:n> (undocumented)",
    ]


def test_the_routes_named_in_the_operations_issue_are_described(spec: dict[str, Any]) -> None:
    cancel = spec["paths"]["/api/v1/queue/{item_id}/cancel"]["post"]
    assert {"202", "400", "401", "403", "413", "415", "422", "429", "503"} <= set(cancel["responses"])
    feedback = spec["paths"]["/api/v1/jobs/{job}/builds/{number}/feedback"]["post"]
    assert {"201", "400", "401", "403", "404", "413", "415", "422", "429", "503"} <= set(
        feedback["responses"]
    )
    assert feedback["requestBody"]["content"]["application/json"]["schema"]["$ref"].startswith(
        "#/components/schemas/"
    )
    attempt = spec["components"]["schemas"]["BuildEvent"]["properties"]["attempt"]
    assert (attempt["type"], attempt["minimum"], attempt["maximum"], attempt["default"]) == (
        "integer",
        1,
        10,
        1,
    )
    # 409 where the API answers it: confirming an agent's plan with a stale or foreign token, and only there.
    conflicts = [(method, path) for path, method, op in _operations(spec) if "409" in op["responses"]]
    assert conflicts == [("post", "/api/v1/tasks/{task_id}/confirm")], conflicts


def test_bearer_auth_everywhere_but_the_public_routes(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert spec["security"] == [{"bearerAuth": []}]
    public = set()
    for path, method, op in _operations(spec):
        # As the app authenticates: everything under /api/v1 but the description and its page.
        if path.startswith("/api/v1/") and not is_public(path):
            # Bearer auth with the token scope the route needs, the same one the app enforces.
            assert op["security"] == [{"bearerAuth": [op["x-required-scope"]]}], (method, path)
            assert op["x-required-scope"] in {"read", "analyze", "operate", "admin"}, (method, path)
            assert op["responses"]["401"] == {"$ref": "#/components/responses/Error401"}, (method, path)
        else:
            assert op["security"] == [] and "401" not in op["responses"], (method, path)
            public.add(path)
    assert {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/docs/"} <= public


def test_every_error_status_has_the_one_error_shape(spec: dict[str, Any]) -> None:
    responses = spec["components"]["responses"]
    for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503):
        assert responses[f"Error{status}"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }
    assert set(ERRORS) >= {400, 401, 403, 404, 409, 413, 415, 422, 429, 503}
    assert (
        "Retry-After" in responses["Error429"]["headers"]
        and "Retry-After" in responses["Error503"]["headers"]
    )
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "fields"}
    problem = spec["components"]["schemas"]["FieldProblem"]
    assert set(problem["required"]) == {"field", "rule", "message"}


def test_json_bodies_are_the_models_the_views_validate_with(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/api/v1/events"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BuildEvent"}
    schema = spec["components"]["schemas"]["BuildEvent"]
    assert set(schema["required"]) == {
        name for name, field in BuildEvent.model_fields.items() if field.is_required()
    }
    assert schema["properties"]["build"]["maximum"] == 10**9
    post = spec["paths"]["/api/v1/events"]["post"]["responses"]
    assert {"400", "413", "415", "422", "429", "503"} <= set(post)
    trigger = spec["paths"]["/api/v1/jobs/{job}/builds"]["post"]["requestBody"]
    assert trigger["required"] is False  # an empty body is accepted
    limit = spec["paths"]["/api/v1/jobs/{job}/builds"]["get"]["parameters"][0]
    assert limit["schema"] == {"type": "integer", "default": 20, "minimum": 1, "maximum": 100}
    number = spec["paths"]["/api/v1/jobs/{job}/builds/{number}"]["parameters"][1]
    assert (number["name"], number["schema"]["type"]) == ("number", "integer")


def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids))


def test_describing_a_view_leaves_it_unchanged() -> None:
    def view() -> str:
        return "same"

    described = operation(tags=["x"], responses={200: Body(description="ok")})(view)
    assert described is view and described() == "same"
