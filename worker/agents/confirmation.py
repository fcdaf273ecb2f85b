"""How the agents make and word confirmation plans (the plans and their tokens: ``worker.confirmations``).

A side-effecting tool (trigger, rebuild, abort, plugin install/upgrade, job creation) never acts without the
user's explicit word (``ToolContext.gate``). Without it, the tool records a ``PlannedAction`` (the exact tool and
arguments, and a sentence saying what it would do) and the task ends with ``status: "needs_confirmation"``, the
plan and a single-use token. Confirming — ``POST /api/v1/tasks/<id>/confirm``, ``jenkins-ai ask --confirm
TOKEN`` or the Groovy step's ``confirmToken:`` option — claims the token once and runs exactly those actions
through the same tools, without a model (``supervisor.run_confirmed``), each at most once.
"""

from __future__ import annotations

from collections.abc import Sequence

from worker.confirmations import (
    Confirmation,
    ConfirmationStore,
    PlannedAction,
    action_key,
)

__all__ = ["ConfirmationStore", "action_key", "confirmation_for", "plan_sentence"]


def confirmation_for(token: str, task_id: str, *, api: bool, ttl_seconds: int) -> Confirmation:
    return Confirmation(
        token=token,
        expires_in_seconds=ttl_seconds,
        confirm_url=f"/api/v1/tasks/{task_id}/confirm" if api else None,
        cli=f"jenkins-ai ask --confirm {token}",
    )


def plan_sentence(actions: Sequence[PlannedAction], confirmation: Confirmation | None) -> str:
    """The answer of a task that needs confirmation: what would be done and how to confirm."""
    lines = [f"I would {a.sentence}." for a in actions]
    if confirmation is None:
        lines.append(
            "Nothing was changed. Confirmation tokens need Redis (REDIS_URL), which is not reachable; send the "
            "task again with confirm=true in the context to do it."
        )
        return "\n".join(lines)
    how = f"`{confirmation.cli}`"
    if confirmation.confirm_url:
        how += f' or POST {confirmation.confirm_url} with {{"token": "{confirmation.token}"}}'
    lines.append(
        f"Nothing was changed yet. To do exactly this, confirm with {how} "
        f"(single use, valid {confirmation.expires_in_seconds // 60} minutes)."
    )
    return "\n".join(lines)
