"""Typed results of the analysis engine (what is stored, returned by the API and printed by the CLI).

Standard-library dataclasses rather than pydantic models: importing pydantic and building the models was ~80% of
the engine's import time (~0.08 s of a one-log CLI run), and the engine only creates these objects. Reading one
back from storage or JSON is validated by pydantic all the same (a ``TypeAdapter`` over the dataclass, built on
first use), so the field rules (categories, line numbers >= 1) live in the annotations below, in one place.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, get_args

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, TypeAdapter
    from pydantic_core import CoreSchema

Category = Literal[
    "compilation",
    "test",
    "lint",
    "dependency",
    "infrastructure",
    "timeout",
    "out_of_memory",
    "configuration",
    "unknown",
]

#: Every category, in the order the CLI documents them.
CATEGORIES: tuple[str, ...] = get_args(Category)


class AtLeast:
    """``annotated_types.Ge(bound)`` (pydantic's own constraint vocabulary), handed to pydantic only when it builds
    a validator or a schema: importing ``annotated_types`` was ~7 ms of a `jenkins-ai analyze` run, which only
    creates these objects. Pydantic validates and documents it exactly as ``Ge(bound)``."""

    __slots__ = ("bound",)

    def __init__(self, bound: int) -> None:
        self.bound = bound

    def __repr__(self) -> str:
        return f"AtLeast({self.bound})"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from annotated_types import Ge

        return handler(Annotated[source, Ge(self.bound)])


LineNumber = Annotated[int, AtLeast(1)]  # 1-based, counting '\n'

#: What ``model_dump(exclude=...)`` takes: field names, or field name -> True / what to exclude inside it.
Exclude = set[str] | Mapping[str, Any] | None


class _Model:
    """The part of pydantic's model interface the project uses, for the dataclasses below."""

    __slots__ = ()

    def model_dump(self, *, mode: str = "python", exclude: Exclude = None) -> dict[str, Any]:
        """The fields as a dict (``mode`` is accepted for pydantic compatibility: every field already is
        JSON-compatible)."""
        return _without(dataclasses.asdict(self), exclude)  # type: ignore[call-overload]

    def model_dump_json(self, *, exclude: Exclude = None) -> str:
        """Compact JSON, like pydantic's (no spaces, non-ASCII characters kept)."""
        return json.dumps(self.model_dump(exclude=exclude), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        """An instance from a dict (as stored or sent as JSON), validated by pydantic; unknown keys are
        ignored. Raises ``pydantic.ValidationError`` (a ``ValueError``) naming the field and the rule."""
        if isinstance(obj, cls):
            return obj
        adapter: TypeAdapter[Self] = _adapter(cls.__name__)
        return adapter.validate_python(obj)


@functools.cache
def _adapter(name: str) -> Any:
    from pydantic import TypeAdapter  # only when reading results back: the engine never needs it

    return TypeAdapter(globals()[name])


def _without(data: dict[str, Any], exclude: Exclude) -> dict[str, Any]:
    if not exclude:
        return data
    for name in list(exclude):
        if name not in data:
            continue
        inner: Any = exclude[name] if isinstance(exclude, Mapping) else True
        if inner is True or inner is Ellipsis:
            del data[name]
        elif isinstance(data[name], dict):
            data[name] = _without(data[name], inner)
        elif isinstance(data[name], list):
            data[name] = [_without(item, inner) if isinstance(item, dict) else item for item in data[name]]
    return data


@dataclasses.dataclass(kw_only=True, slots=True)
class ExcerptBlock(_Model):
    """A contiguous run of log lines that explains (part of) the failure."""

    start_line: LineNumber  # first line
    end_line: LineNumber  # last line, inclusive
    text: str  # the lines, cleaned (no ANSI, no CR) and redacted, joined by '\n'
    score: float
    #: Lines of this block not found in the last green build's log (``None``: no green log was compared).
    new_lines: list[LineNumber] | None = None
    # How many times this failure occurs in the log: later identical ones (same lines once numbers, paths,
    # hashes and times are masked) are counted here instead of shown again. 1 in results stored before counts.
    count: Annotated[int, AtLeast(1)] = 1
    first_line: LineNumber | None = None  # where it first occurs (None in results stored before counts)


@dataclasses.dataclass(kw_only=True, slots=True)
class Cause(_Model):
    """A known failure cause from the knowledge base that matched the log."""

    id: str
    category: Category
    description: str
    fix: str
    line: LineNumber  # first line where the cause matched


@dataclasses.dataclass(kw_only=True, slots=True)
class Stats(_Model):
    """How much was read and how long it took."""

    lines: int
    bytes: int
    seconds: float


@dataclasses.dataclass(kw_only=True, slots=True)
class Analysis(_Model):
    """The result of analysing one console log. Everything in it is already redacted."""

    category: Category
    summary: str
    excerpt: list[ExcerptBlock]
    causes: list[Cause]
    fingerprint: str
    stats: Stats

    def signature_text(self, blocks: int = 2) -> str:
        """Normalised text of the top blocks (numbers, ids, paths, times masked), for :func:`text_vector`."""
        from worker.analysis.similarity import normalize_line

        lines: list[str] = [f"cause:{c.id}" for c in self.causes[:3]]
        for block in self.excerpt[:blocks]:
            lines.extend(normalize_line(line) for line in block.text.split("\n") if line.strip())
        return "\n".join(lines)
