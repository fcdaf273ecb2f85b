"""What a write to Jenkins did: every action reports Jenkins' answer, not what we asked for.

Jenkins answers most actions with a redirect whatever happened (``stop`` on a finished build, for one, does
nothing and still redirects), so each action reads the state before and after and says which it was.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class BuildAction(BaseModel):
    """The outcome of aborting a build."""

    job: str
    build: int
    action: Literal["abort", "none"]
    #: True when Jenkins changed something (the build was running and was stopped or is stopping).
    done: bool
    dry_run: bool = False
    building: bool
    result: str | None = None
    message: str


class QueueAction(BaseModel):
    """The outcome of cancelling a queue item."""

    id: int
    job: str | None = None
    action: Literal["cancel", "none"]
    done: bool
    dry_run: bool = False
    cancelled: bool
    build: int | None = None  # the build the item had already become, when too late to cancel
    message: str
