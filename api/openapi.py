"""The OpenAPI 3.1 description of the API, generated from the app's URL map and the pydantic models.

Each view says what it takes and answers with :func:`operation` (a decorator that only records that, on the
function: the view runs exactly as before, validated by ``api.validation`` with our one error shape). The
document is assembled with **apispec** (components, paths, ``$ref`` resolution) from the pydantic JSON Schemas of
the same models the views validate with (``TypeAdapter.json_schemas``: the engine's dataclasses too).

Why apispec rather than spectree or flask-openapi3: both wrap every view at run time. spectree's response
handling reads a ``Response`` whole (``get_data()``), which would buffer the Server-Sent Events stream, and adds
its own request validation; flask-openapi3 replaces ``Flask`` and ``Blueprint`` and validates requests with its
own 422 body. apispec only builds the document, so the app factory, the blueprints and the views stay as they are.

A route without an :func:`operation` is left out of the document, and a test fails naming it (api/README.md says
how to add a route).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode
from werkzeug.routing import Rule

from api.auth import SCOPES
from api.schemas import ErrorBody

F = TypeVar("F", bound=Callable[..., Any])

TITLE = "langchain-jenkins API"
VERSION = "1.0.0"
SECURITY_SCHEME = "bearerAuth"
#: Methods Flask adds by itself to every rule; they are not operations of ours.
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})

#: Every error status the API answers, with when; each is rendered with the one ``ErrorBody`` shape.
ERRORS: dict[int, str] = {
    400: "`malformed_json`: the body is not JSON (or `malformed_gzip`: not gzip, for log uploads)",
    401: "`unauthorized`: missing, malformed, unknown or expired bearer token",
    403: "`forbidden`: the token is valid but not allowed to do this",
    404: "`not_found` (unknown route, task or build) or `analysis_pending` (the analysis is still running)",
    405: "`method_not_allowed`: the `Allow` header lists the methods of this route",
    409: "`conflict`: the request clashes with the current state of the resource",
    413: "`payload_too_large`: body over `MAX_BODY_BYTES` (JSON) or `MAX_UPLOAD_BYTES` (logs), chunked too",
    415: "`unsupported_media_type`: wrong `Content-Type`",
    422: "`validation_error`: a well-formed body or query that breaks the schema; `fields` names each field",
    429: "`rate_limited`: over `RATE_LIMIT` for this token; retry after `Retry-After` seconds",
    500: "`internal_error`: a bug, logged with the request id; never caused by client input",
    503: "`broker_unavailable`, `redis_unavailable` or `storage_unavailable`: a dependency is down; retry",
}
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "RFC 6750 challenge", "schema": {"type": "string"}}},
    405: {"Allow": {"description": "the methods this route accepts", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}
#: Errors any authenticated route can answer, whatever it does.
AUTHENTICATED_ERRORS = (401, 403, 429, 500, 503)
#: Errors of a route that reads a JSON body with ``api.validation.json_body``.
JSON_BODY_ERRORS = (400, 413, 415, 422)


@dataclass(frozen=True)
class Query:
    """A query parameter: its JSON Schema type and bounds, as the view checks them."""

    name: str
    description: str
    type: str = "integer"
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    enum: Sequence[str] = ()

    def render(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type}
        for key, value in (("default", self.default), ("minimum", self.minimum), ("maximum", self.maximum)):
            if value is not None:
                schema[key] = value
        if self.enum:
            schema["enum"] = list(self.enum)
        return {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "schema": schema,
        }


@dataclass(frozen=True)
class Body:
    """A response (or request) body: a model (JSON) or a media type with a free-form schema."""

    model: Any = None
    description: str = ""
    media_type: str = "application/json"
    schema: Mapping[str, Any] | None = None
    also: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # other media types: their schema


@dataclass(frozen=True)
class Operation:
    """What one route takes and answers (see :func:`operation`)."""

    tags: tuple[str, ...]
    responses: Mapping[int, Body]
    body: Any = None
    body_required: bool = True
    uploads: tuple[str, ...] = ()
    query: tuple[Query, ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    summary: str = ""
    path_descriptions: Mapping[str, str] = field(default_factory=dict)
    scope: str | None = None


def operation(
    *,
    tags: Sequence[str],
    responses: Mapping[int, Body],
    body: Any = None,
    body_required: bool = True,
    uploads: Sequence[str] = (),
    query: Sequence[Query] = (),
    errors: Sequence[int] = (),
    public: bool = False,
    summary: str = "",
    path_descriptions: Mapping[str, str] | None = None,
    scope: str | None = None,
) -> Callable[[F], F]:
    """Describe a view for the OpenAPI document; the view itself is returned unchanged.

    ``body``: the pydantic model of a JSON request body (``body_required=False`` when an empty body is accepted);
    ``uploads``: media types of a raw request body instead; ``responses``: status -> :class:`Body`; ``errors``:
    the statuses this route adds to those of every route (``AUTHENTICATED_ERRORS`` unless ``public``; a JSON body
    adds ``JSON_BODY_ERRORS``). The summary defaults to the docstring's first line, its rest is the description.
    ``scope``: the token scope the route needs (``api.auth.SCOPES``); ``api.app`` enforces it (403 naming it) and
    the document declares it in the operation's ``security``. A non-public route without one needs ``admin``.
    """
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: scopes are {', '.join(SCOPES)}")
    op = Operation(
        tags=tuple(tags),
        responses=dict(responses),
        body=body,
        body_required=body_required,
        uploads=tuple(uploads),
        query=tuple(query),
        errors=tuple(errors),
        public=public,
        summary=summary,
        path_descriptions=dict(path_descriptions or {}),
        scope=scope,
    )

    def record(view: F) -> F:
        view.__openapi__ = op  # type: ignore[attr-defined]
        return view

    return record


def operation_of(view: Callable[..., Any]) -> Operation | None:
    found: Operation | None = getattr(view, "__openapi__", None)
    return found


def required_scope(op: Operation | None) -> str:
    """The scope a non-public route needs: its declared one, else ``admin`` (a route that forgot to say is
    closed, not open)."""
    return op.scope if op is not None and op.scope else "admin"


# -- building the document ----------------------------------------------------------------------------------


Refs = Mapping[tuple[Any, JsonSchemaMode], dict[str, Any]]


def _schemas(keys: Sequence[tuple[Any, JsonSchemaMode]]) -> tuple[Refs, dict[str, Any]]:
    """A ``$ref`` for each (model, mode) and the component schemas of all of them, nested models included:
    request bodies in pydantic's validation mode, responses in its serialization mode."""
    adapters = [(key, key[1], TypeAdapter(key[0])) for key in keys]
    refs, top = TypeAdapter.json_schemas(adapters, ref_template="#/components/schemas/{model}")
    return {key: refs[(key, mode)] for key, mode, _ in adapters}, top.get("$defs", {})


def _content(body: Body, refs: Refs) -> dict[str, Any]:
    schema = refs[(body.model, "serialization")] if body.model is not None else dict(body.schema or {})
    return {
        body.media_type: {"schema": schema},
        **{media: {"schema": dict(s)} for media, s in body.also.items()},
    }


#: Flask's URL converters (``<int:number>``) as JSON Schema; the default converter is a string.
_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {"int": {"type": "integer"}}
_RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _path_and_parameters(rule: Rule, op: Operation) -> tuple[str, list[dict[str, Any]]]:
    """``/api/v1/jobs/<path:job>/builds/<int:number>`` -> ``/api/v1/jobs/{job}/builds/{number}`` + parameters."""
    parameters = [
        {
            "name": m["name"],
            "in": "path",
            "required": True,
            "description": op.path_descriptions.get(m["name"], ""),
            "schema": _parameter_schema(rule, m["name"], m["converter"]),
        }
        for m in _RULE_ARGUMENT.finditer(rule.rule)
    ]
    return _RULE_ARGUMENT.sub(r"{\g<name>}", rule.rule), parameters


def _parameter_schema(rule: Rule, name: str, converter: str | None) -> dict[str, Any]:
    """The JSON Schema of a path parameter, with an integer's bounds (``<int(min=1, max=9):n>``) as the route
    declares them: out of them it answers 404 naming the parameter (``api.validation.check_path_bounds``)."""
    schema = dict(_CONVERTER_SCHEMAS.get(converter or "", {"type": "string"}))
    bound = rule._converters.get(name)  # werkzeug keeps a rule's converters only here
    if schema.get("type") == "integer":
        for keyword, attribute in (("minimum", "min"), ("maximum", "max")):
            value = getattr(bound, attribute, None)
            if value is not None:
                schema[keyword] = value
    return schema


def _render(
    op: Operation, view: Callable[..., Any], refs: Refs, operation_id: str, *, path_parameters: bool = False
) -> dict[str, Any]:
    doc = (view.__doc__ or "").strip()
    first, _, rest = doc.partition("\n\n")
    rendered: dict[str, Any] = {
        "tags": list(op.tags),
        "summary": op.summary or " ".join(first.split()),
        "operationId": operation_id,
        "responses": {
            str(status): {"description": body.description or "OK"} for status, body in op.responses.items()
        },
    }
    if rest.strip():
        rendered["description"] = " ".join(rest.split())
    for status, body in op.responses.items():
        if body.model is not None or body.schema is not None:
            rendered["responses"][str(status)]["content"] = _content(body, refs)
    errors = set(op.errors)
    if path_parameters:
        errors.add(404)  # a value the URL rule does not take (``<int:number>`` given -1) matches no route
    if not op.public:
        errors.update(AUTHENTICATED_ERRORS)
        # OpenAPI 3.1 lets a non-OAuth scheme list the roles an operation needs: the token scope, here.
        scope = required_scope(op)
        rendered["security"] = [{SECURITY_SCHEME: [scope]}]
        rendered["x-required-scope"] = scope
    else:
        errors.add(500)
        rendered["security"] = []
    if op.body is not None:
        errors.update(JSON_BODY_ERRORS)
        rendered["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
        if not op.body_required:
            rendered["requestBody"]["description"] = "may be empty: every field has a default"
    elif op.uploads:
        rendered["requestBody"] = {
            "required": True,
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in op.uploads},
        }
    if op.query:
        errors.add(422)
        rendered["parameters"] = [q.render() for q in op.query]
    for status in sorted(errors):
        rendered["responses"].setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})
    return rendered


def build_spec(app: Flask, *, extra: Mapping[str, Operation] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``: every rule whose view carries an :func:`operation` (or is named in
    ``extra`` by endpoint, for views of other libraries), with the error responses and bearer security."""
    extra = extra or {}
    found: list[tuple[Rule, Callable[..., Any], Operation]] = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        op = operation_of(view) or extra.get(rule.endpoint)
        if op is not None:
            found.append((rule, view, op))
    keys: set[tuple[Any, JsonSchemaMode]] = {(ErrorBody, "serialization")}
    for _, _, op in found:
        keys.update((b.model, "serialization") for b in op.responses.values() if b.model is not None)
        if op.body is not None:
            keys.add((op.body, "validation"))
    refs, definitions = _schemas(sorted(keys, key=lambda key: (key[0].__name__, key[1])))

    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        info={
            "description": "Failure analysis, build management, pipelines and plugins beside Jenkins. "
            "Everything under /api/v1 needs `Authorization: Bearer <token>` unless marked otherwise."
        },
        security=[{SECURITY_SCHEME: []}],
    )
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "a static token from API_TOKENS, or an HS256 JWT issued by `jenkins-ai token NAME "
            "--scope ...`. Each operation lists the scope it needs in its `security` (and `x-required-scope`): "
            "read < analyze, read < operate, admin = all; a token without it gets 403 naming it.",
        },
    )
    for name, schema in sorted(definitions.items()):
        spec.components.schema(name, component=schema)
    for status, when in ERRORS.items():
        response: dict[str, Any] = {
            "description": when,
            "content": {"application/json": {"schema": refs[(ErrorBody, "serialization")]}},
        }
        if status in _ERROR_HEADERS:
            response["headers"] = _ERROR_HEADERS[status]
        spec.components.response(f"Error{status}", response)

    paths: dict[str, dict[str, Any]] = {}
    parameters: dict[str, list[dict[str, Any]]] = {}
    used_ids: set[str] = set()
    for rule, view, op in found:
        path, path_parameters = _path_and_parameters(rule, op)
        parameters[path] = path_parameters
        methods = sorted((rule.methods or set()) - IMPLICIT_METHODS)
        for method in methods:
            operation_id = rule.endpoint.replace(".", "_") + (
                f"_{method.lower()}" if len(methods) > 1 else ""
            )
            while operation_id in used_ids:  # one view behind several rules
                operation_id += "_"
            used_ids.add(operation_id)
            paths.setdefault(path, {})[method.lower()] = _render(
                op, view, refs, operation_id, path_parameters=bool(path_parameters)
            )
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path], parameters=parameters[path] or None)
    return spec.to_dict()
