"""Request bodies only the API reads (the shared ones, BuildEvent and TaskRequest, live in worker.models)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfirmRequest(BaseModel):
    """Body of an action that changes Jenkins: a dry run unless ``confirm`` is true (empty body = dry run)."""

    model_config = ConfigDict(extra="forbid")
    confirm: bool = False
