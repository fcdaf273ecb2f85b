"""Reading a request into a typed model, with the errors clients need.

- wrong ``Content-Type`` -> 415 ``unsupported_media_type``;
- body that is not JSON -> 400 ``malformed_json`` (with pydantic's line/column description);
- JSON that breaks the schema -> 422 ``validation_error`` naming every field (``stages.0.name``) and rule,
  with JSON's types taken strictly (no ``0`` for ``false``, no ``"5"`` for ``5``) and unknown fields refused;
- body over ``MAX_BODY_BYTES`` -> 413 (werkzeug enforces ``MAX_CONTENT_LENGTH``, chunked bodies included).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.routing import IntegerConverter, Map

from api.errors import APIError, FieldError, field_errors, validation_error
from worker.controllers import UnknownController, canonical_url
from worker.models import validate_job_name
from worker.settings import Settings

M = TypeVar("M", bound=BaseModel)

JSON_MEDIA_TYPES = frozenset({"application/json"})


def is_json_media_type(mimetype: str) -> bool:
    """``application/json`` or any ``application/<something>+json``."""
    if mimetype in JSON_MEDIA_TYPES:
        return True
    return mimetype.startswith("application/") and mimetype.endswith("+json")


def parse_json_model(model: type[M], raw: bytes, *, empty_ok: bool = False) -> M:
    """Validate ``raw`` JSON bytes as ``model``; :class:`APIError` with the documented codes otherwise."""
    if not raw.strip():
        if empty_ok:
            return model()
        raise APIError(400, "malformed_json", "the request body is empty; expected a JSON object")
    try:
        # Strict: JSON's own types only (``"confirm": 0`` is not a boolean, ``"build": "5"`` not a number), as the
        # OpenAPI document says; extra fields are refused by the models themselves (``extra="forbid"``).
        parsed = model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(err["type"] == "json_invalid" for err in errors):
            detail = errors[0]["ctx"].get("error", "") if errors[0].get("ctx") else ""
            raise APIError(400, "malformed_json", f"the request body is not valid JSON: {detail}") from None
        raise validation_error(field_errors(exc)) from None
    # Only when the bytes hint at it: walking every body would cost each request for a rare mistake.
    if b"\\u0000" in raw or _LONG_NUMBER.search(raw):
        _refuse_unstorable(parsed.model_dump(), "")
    return parsed


#: 19+ digits: an integer that may not fit in 64 bits.
_LONG_NUMBER = re.compile(rb"[0-9]{19,}")
_INT64 = range(-(2**63), 2**63)


def _refuse_unstorable(value: Any, path: str) -> None:
    """422 for what MongoDB (BSON) cannot store, found in free-form parts of a body (a task's ``context``): an
    object key holding U+0000, an integer beyond 64 bits. Refused here, naming the field, rather than failing
    the write later as a 500."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                shown = where.replace("\x00", "\\u0000")
                raise validation_error(
                    [FieldError(shown, "null_character", "object keys must not contain U+0000")]
                )
            _refuse_unstorable(item, where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_unstorable(item, f"{path}.{index}" if path else str(index))
    elif isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        raise validation_error([FieldError(path, "int_range", "integers must fit in 64 bits")])


def json_body(model: type[M], *, empty_ok: bool = False) -> M:
    """The current request's JSON body as ``model``.

    ``empty_ok`` accepts an empty body (any content type) as the model's defaults, for actions whose every
    field is optional.
    """
    raw = request.get_data(cache=False)  # werkzeug: 413 if Content-Length is over MAX_CONTENT_LENGTH
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body is cut at the limit by werkzeug, not refused: reaching the limit means it was longer
        # (or exactly as long: we cannot tell, so a chunked body must stay strictly below the limit).
        raise APIError(413, "payload_too_large", f"request body too large (limit {limit} bytes)")
    if empty_ok and not raw.strip():
        return model()
    if not is_json_media_type(request.mimetype):
        got = request.mimetype or "none"
        raise APIError(415, "unsupported_media_type", f"Content-Type must be application/json (got {got})")
    return parse_json_model(model, raw, empty_ok=empty_ok)


def _query_value(name: str) -> str | None:
    """The one value of query parameter ``name`` (None when absent); 422 when it is given twice. Empty counts
    as given: ``?limit=`` is a mistake to point out, not a request for the default."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise validation_error([FieldError(name, "repeated", "must be given at most once")])
    return values[0] if values else None


#: ASCII digits only: ``int()`` would also take " 5", "1_000" and non-ASCII digits, which no client means.
_INTEGER = re.compile(r"-?[0-9]{1,18}")


def query_int(name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter within bounds, or a 422 naming it."""
    raw = _query_value(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        raise validation_error([FieldError(name, "int_parsing", "must be an integer")])
    value = int(raw)
    if not minimum <= value <= maximum:
        raise validation_error(
            [FieldError(name, "range", f"must be between {minimum} and {maximum} (got {value})")]
        ) from None
    return value


def query_choice(name: str, *, choices: tuple[str, ...], default: str) -> str:
    """A query parameter from a fixed set, or a 422 naming it and the allowed values."""
    value = _query_value(name)
    if value is None:
        return default
    if value not in choices:
        raise validation_error([FieldError(name, "enum", f"must be one of {', '.join(choices)}")])
    return value


def path_job(job: str) -> str:
    """A job path from the URL, checked with the same rule as ``BuildEvent.job``."""
    return checked(validate_job_name, "job", job)


def checked(validator: Callable[[str], str], field: str, value: str) -> str:
    """Run a ``str -> str`` validator, turning its ``ValueError`` into a 422 naming ``field``."""
    try:
        return validator(value)
    except ValueError as exc:
        raise validation_error([FieldError(field, "value_error", str(exc))]) from None


def accepted(payload: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """A 202 body."""
    return dict(payload), 202


def configured_controller(settings: Settings, url: str | None, field: str = "jenkins_url") -> str:
    """The canonical URL of the configured controller ``url`` names (``None``: the default one), or a 422
    naming ``field`` (rule ``unknown_controller``) and the configured controllers."""
    try:
        return settings.controllers.resolve(url).url
    except UnknownController as exc:
        raise validation_error([FieldError(field, "unknown_controller", str(exc))]) from None


def query_controller() -> str | None:
    """The ``?jenkins_url=`` of a read, canonical (``None`` when absent); a 422 when it is not a URL."""
    raw = request.args.get("jenkins_url")
    if raw is None or raw == "":
        return None
    try:
        return canonical_url(raw)
    except ValueError as exc:
        raise validation_error([FieldError("jenkins_url", "url", str(exc))]) from None


class BoundedInt(IntegerConverter):
    """The API's ``int`` URL converter: ``<int:number>`` is 1 to 2**63 - 1 (what MongoDB stores) unless the rule
    says otherwise (``<int(min=0, max=99):n>``).

    Like Werkzeug's, except that a value out of its bounds still matches the route: :func:`check_path_bounds`
    then answers 404 naming the parameter and its bounds (after authentication, so an unauthenticated caller
    learns nothing), instead of a bare "no such route", or a 500 when a number beyond 64 bits reached MongoDB.
    The OpenAPI document declares the same bounds (``api.openapi``)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = 2**63 - 1) -> None:
        super().__init__(map, fixed_digits, min, max)

    def to_python(self, value: str) -> int:
        return int(value)


def check_path_bounds() -> None:
    """404 naming the first integer path parameter of this request that is out of its route's bounds."""
    rule, values = request.url_rule, request.view_args
    if rule is None or not values:
        return
    for name, converter in rule._converters.items():  # werkzeug keeps a rule's converters only here
        if not isinstance(converter, BoundedInt) or name not in values:
            continue
        low, high = converter.min or 0, converter.max
        value = values[name]
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            message = f"{name} must be {bounds} (got {value})"
            raise APIError(
                404, "not_found", f"no such {name}: {message}", fields=[FieldError(name, "range", message)]
            )
