"""Plans of Jenkins-changing actions awaiting the user's confirmation, and their single-use tokens, in Redis.

Light on purpose (pydantic and redis only): the API claims tokens without importing the agents. How plans are
made and run is in ``worker.agents.confirmation``.

A token is a ``secrets.token_urlsafe`` value; Redis keeps only its SHA-256, so a dump of Redis cannot confirm.
Claiming is atomic (``GETDEL``): a token works once. A confirmed plan's actions each pass :meth:`first_run`
(``SET NX``) before running, so a retried task never repeats one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    import redis

#: How long a plan waits for its confirmation.
CONFIRMATION_TTL_SECONDS = 900
#: How long "this action ran" markers are kept: longer than any retry of the confirming task.
DONE_MARKER_TTL_SECONDS = 86400
#: Tokens are 32 URL-safe characters; anything far longer is not one of ours.
MAX_TOKEN_LENGTH = 200
_PREFIX = "lj:confirm:"


class PlannedAction(BaseModel):
    """One Jenkins-changing tool call the user must confirm."""

    agent: str = Field(pattern="^(build|log|pipeline|plugin)$", description="the specialist whose tool it is")
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    sentence: str = Field(description='what it would do, for a person: "rebuild api-service #42 with A=1"')


class Plan(BaseModel):
    """What a confirmation token stands for."""

    task_id: str
    actions: list[PlannedAction] = Field(min_length=1)
    #: Key of the stored plan (the token's digest): names the per-action "done" markers.
    digest: str = ""


class Confirmation(BaseModel):
    """How to confirm a plan, as a task result reports it."""

    token: str
    expires_in_seconds: int
    confirm_url: str | None = Field(
        None, description='POST {"token": ...} here (set for tasks that came through the API)'
    )
    cli: str = Field(description="the same from the command line")


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def action_key(tool: str, arguments: dict[str, Any]) -> str:
    """Identity of a call within a task: the tool and its arguments, order-independent."""
    return tool + ":" + json.dumps(arguments, sort_keys=True, default=str, separators=(",", ":"))


class ConfirmationStore:
    """Plans and tokens in Redis (see the module docstring)."""

    def __init__(self, client: redis.Redis, ttl_seconds: int = CONFIRMATION_TTL_SECONDS) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds

    def save(self, task_id: str, actions: Sequence[PlannedAction]) -> str:
        """Store the plan for ``task_id``; returns the token (shown once, stored only as its digest)."""
        token = secrets.token_urlsafe(24)
        plan = Plan(task_id=task_id, actions=list(actions), digest=digest_of(token))
        self.client.set(_PREFIX + plan.digest, plan.model_dump_json(), ex=self.ttl_seconds, nx=True)
        return token

    def peek(self, token: str) -> Plan | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        raw = cast("bytes | None", self.client.get(_PREFIX + digest_of(token)))
        return Plan.model_validate_json(raw) if raw else None

    def claim(self, token: str, task_id: str | None = None) -> Plan | None:
        """The plan, removed atomically so no second claim gets it; ``None`` when unknown, expired, already
        used, or (with ``task_id``) made by another task."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        if task_id is not None:
            current = self.peek(token)
            if current is None or current.task_id != task_id:
                return None
        raw = cast("bytes | None", self.client.getdel(_PREFIX + digest_of(token)))
        return Plan.model_validate_json(raw) if raw else None

    def first_run(self, digest: str, index: int) -> bool:
        """True exactly once per (plan, action): the guard that makes a retried confirmation safe."""
        key = f"{_PREFIX}done:{digest}:{index}"
        return bool(self.client.set(key, "1", nx=True, ex=DONE_MARKER_TTL_SECONDS))
