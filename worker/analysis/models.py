"""Typed results of the analysis engine (what is stored, returned by the API and printed by the CLI).

Plain dataclasses, not pydantic models: importing pydantic and building four models was ~80% of the engine's
import time (~0.08 s of a one-log CLI run). They keep the part of pydantic's interface the rest of the project
uses: keyword construction, ``model_dump`` (with ``exclude``), ``model_dump_json`` and ``model_validate``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, Self, cast, get_args

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

#: What ``model_dump(exclude=...)`` takes: field names, or field name -> True / what to exclude inside it.
Exclude = set[str] | Mapping[str, Any] | None


class _Model:
    """``model_dump``/``model_dump_json``/``model_validate`` as pydantic's, for the dataclasses below."""

    __slots__ = ()

    def model_dump(self, *, mode: str = "python", exclude: Exclude = None) -> dict[str, Any]:
        """The fields as a dict of JSON-compatible values (``mode`` is accepted for pydantic compatibility:
        every field already is JSON-compatible)."""
        out: dict[str, Any] = {}
        for f in fields(cast(Any, self)):
            inner: Any = None
            if exclude is not None and f.name in exclude:
                inner = exclude[f.name] if isinstance(exclude, Mapping) else True
                if inner is True or inner is Ellipsis:
                    continue  # the whole field is excluded; else ``inner`` says what to leave out inside it
            out[f.name] = _dump(getattr(self, f.name), mode, inner)
        return out

    def model_dump_json(self, *, exclude: Exclude = None) -> str:
        """Compact JSON, like pydantic's (no spaces, non-ASCII characters kept)."""
        return json.dumps(
            self.model_dump(mode="json", exclude=exclude), ensure_ascii=False, separators=(",", ":")
        )

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        """An instance from a dict (as stored or sent as JSON); unknown keys are ignored, like pydantic's."""
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, Mapping):
            raise ValueError(f"{cls.__name__}: expected a mapping, got {type(obj).__name__}")
        return cls._from_mapping(obj)

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> Self:  # pragma: no cover - each model defines it
        raise NotImplementedError


def _dump(value: Any, mode: str, exclude: Exclude) -> Any:
    if isinstance(value, _Model):
        return value.model_dump(mode=mode, exclude=exclude)
    if isinstance(value, list):
        return [_dump(v, mode, exclude) for v in value]
    return value


def _field(data: Mapping[str, Any], name: str, owner: str) -> Any:
    if name not in data:
        raise ValueError(f"{owner}.{name}: field required")
    return data[name]


def _int(data: Mapping[str, Any], name: str, owner: str, minimum: int | None = None) -> int:
    value = _field(data, name, owner)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{owner}.{name}: expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}.{name}: must be >= {minimum}, got {value}")
    return value


def _float(data: Mapping[str, Any], name: str, owner: str) -> float:
    value = _field(data, name, owner)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{owner}.{name}: expected a number, got {value!r}")
    return float(value)


def _str(data: Mapping[str, Any], name: str, owner: str) -> str:
    value = _field(data, name, owner)
    if not isinstance(value, str):
        raise ValueError(f"{owner}.{name}: expected a string, got {value!r}")
    return value


def _category(data: Mapping[str, Any], name: str, owner: str) -> Category:
    value = _field(data, name, owner)
    if value not in CATEGORIES:
        raise ValueError(f"{owner}.{name}: expected one of {', '.join(CATEGORIES)}, got {value!r}")
    return cast(Category, value)


def _list(data: Mapping[str, Any], name: str, owner: str) -> list[Any]:
    value = _field(data, name, owner)
    if not isinstance(value, list | tuple):
        raise ValueError(f"{owner}.{name}: expected a list, got {value!r}")
    return list(value)


@dataclass(kw_only=True, slots=True)
class ExcerptBlock(_Model):
    """A contiguous run of log lines that explains (part of) the failure."""

    start_line: int  # first line, 1-based, counting '\n'
    end_line: int  # last line, inclusive
    text: str  # the lines, cleaned (no ANSI, no CR) and redacted, joined by '\n'
    score: float

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> Self:
        owner = cls.__name__
        return cls(
            start_line=_int(data, "start_line", owner, minimum=1),
            end_line=_int(data, "end_line", owner, minimum=1),
            text=_str(data, "text", owner),
            score=_float(data, "score", owner),
        )


@dataclass(kw_only=True, slots=True)
class Cause(_Model):
    """A known failure cause from the knowledge base that matched the log."""

    id: str
    category: Category
    description: str
    fix: str
    line: int  # first line where the cause matched (>= 1)

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> Self:
        owner = cls.__name__
        return cls(
            id=_str(data, "id", owner),
            category=_category(data, "category", owner),
            description=_str(data, "description", owner),
            fix=_str(data, "fix", owner),
            line=_int(data, "line", owner, minimum=1),
        )


@dataclass(kw_only=True, slots=True)
class Stats(_Model):
    """How much was read and how long it took."""

    lines: int
    bytes: int
    seconds: float

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> Self:
        owner = cls.__name__
        return cls(
            lines=_int(data, "lines", owner),
            bytes=_int(data, "bytes", owner),
            seconds=_float(data, "seconds", owner),
        )


@dataclass(kw_only=True, slots=True)
class Analysis(_Model):
    """The result of analysing one console log. Everything in it is already redacted."""

    category: Category
    summary: str
    excerpt: list[ExcerptBlock]
    causes: list[Cause]
    fingerprint: str
    stats: Stats

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> Self:
        owner = cls.__name__
        return cls(
            category=_category(data, "category", owner),
            summary=_str(data, "summary", owner),
            excerpt=[ExcerptBlock.model_validate(b) for b in _list(data, "excerpt", owner)],
            causes=[Cause.model_validate(c) for c in _list(data, "causes", owner)],
            fingerprint=_str(data, "fingerprint", owner),
            stats=Stats.model_validate(_field(data, "stats", owner)),
        )

    def signature_text(self, blocks: int = 2) -> str:
        """Normalised text of the top blocks (numbers, ids, paths, times masked), for :func:`text_vector`."""
        from worker.analysis.similarity import normalize_line

        lines: list[str] = [f"cause:{c.id}" for c in self.causes[:3]]
        for block in self.excerpt[:blocks]:
            lines.extend(normalize_line(line) for line in block.text.split("\n") if line.strip())
        return "\n".join(lines)
