"""Every error the API returns has one JSON shape, whatever raised it.

    {"error": {"code": "validation_error", "message": "...",
               "fields": [{"field": "stages.0.name", "rule": "missing", "message": "Field required"}]}}

Views raise :class:`APIError` (or let werkzeug's ``HTTPException``, pydantic's ``ValidationError`` and the
storage/broker connection errors propagate); :func:`register_error_handlers` turns each into that shape. A
catch-all handler logs anything unexpected and still answers in the shape, so no client input ever produces an
HTML page or a bare 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flask import Flask, Response, has_request_context, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from worker.logging import get_logger

log = get_logger(__name__)

#: Machine-readable codes for werkzeug's HTTP errors (anything not listed becomes ``http_<status>``).
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

#: Better wording than werkzeug's generic descriptions, for the errors clients meet most.
HTTP_MESSAGES: dict[int, str] = {
    404: "no such resource; see the API reference for the routes under /api/v1",
}


@dataclass(frozen=True)
class FieldError:
    """One rule one field broke. ``field`` is a dotted path into the body (``stages.0.name``)."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


@dataclass
class APIError(Exception):
    """An error with an HTTP status, a stable ``code`` and, for bad input, the fields at fault."""

    status: int
    code: str
    message: str
    fields: Sequence[FieldError] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def field_path(loc: Iterable[str | int]) -> str:
    """Pydantic's error location as a dotted path: ``("stages", 0, "name")`` -> ``"stages.0.name"``.

    An empty location means the body as a whole (e.g. a JSON array where an object was expected).
    """
    path = ".".join(str(part) for part in loc)
    return path or "body"


def field_errors(exc: ValidationError) -> list[FieldError]:
    """One :class:`FieldError` per pydantic error, naming the field and the rule (pydantic's error type).

    The offending input is deliberately not echoed: it may be large, or a secret pasted in the wrong field.
    """
    errors: list[FieldError] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = list(err["loc"])
        message = err["msg"]
        # A model-level validator has no location; ours prefix the message with "<field>: " to name it.
        if not loc and ": " in message:
            name, _, rest = message.removeprefix("Value error, ").partition(": ")
            if name.isidentifier():
                loc, message = [name], rest
        errors.append(FieldError(field=field_path(loc), rule=str(err["type"]), message=message))
    return errors


def validation_error(errors: Sequence[FieldError], *, status: int = 422) -> APIError:
    """The 422 for a well-formed body (or query) that breaks the schema; the message names every field."""
    summary = "; ".join(f"{e.field}: {e.message} ({e.rule})" for e in errors)
    return APIError(status, "validation_error", f"invalid request: {summary}", fields=errors)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render the one error shape."""
    response = jsonify({"error": {"code": code, "message": message, "fields": [f.as_dict() for f in fields]}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _handle_api_error(exc: APIError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


def _handle_validation_error(exc: ValidationError) -> Response:
    return _handle_api_error(validation_error(field_errors(exc)))


def _handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = HTTP_CODES.get(status, f"http_{status}")
    message = HTTP_MESSAGES.get(status) or exc.description or exc.name
    headers: dict[str, str] = {}
    # Keep the headers werkzeug computed (Allow on 405, WWW-Authenticate on 401), drop its HTML content type.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            headers[name] = value
    if status == 405 and "Allow" in headers and has_request_context():
        message = f"method {request.method} is not allowed here; allowed: {headers['Allow']}"
    elif status == 413:
        limit = request.max_content_length if has_request_context() else None
        message = "request body too large" + (f" (limit {limit} bytes)" if limit else "")
    return error_response(status, code, message, headers=headers)


def _handle_unexpected(exc: Exception) -> Response:
    # A bug or an outage we did not anticipate: log it with the traceback, answer in the shape, leak nothing.
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return error_response(500, "internal_error", "internal error; the request id identifies it in the logs")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that render every error as the same JSON shape."""
    app.register_error_handler(APIError, _handle_api_error)
    app.register_error_handler(ValidationError, _handle_validation_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
