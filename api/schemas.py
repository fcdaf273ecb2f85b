"""Request bodies only the API reads (the shared ones, BuildEvent and TaskRequest, live in worker.models)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from worker.feedback import check_category, parse_lines


class ConfirmRequest(BaseModel):
    """Body of an action that changes Jenkins: a dry run unless ``confirm`` is true (empty body = dry run)."""

    model_config = ConfigDict(extra="forbid")
    confirm: bool = False


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
