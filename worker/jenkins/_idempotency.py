"""Idempotency keys on Jenkins writes: a redelivered or retried task does not act on Jenkins twice.

Jenkins itself has none (two POSTs to ``build`` are two builds), so a write made inside a task is keyed by the
task's id, the action and its target (``"<task id>:trigger:team/api"``) and bracketed by two records in an
:class:`ActionLog` (MongoDB's ``jenkins_actions``, see ``worker.storage.actions``):

1. ``begin``: nothing recorded -> act, then ``finish`` with the result;
2. ``done`` recorded -> the earlier run acted: return its result, do not call Jenkins;
3. ``started`` only -> an earlier run died (or failed) between the two records, maybe after Jenkins acted:
   ``recover`` looks at Jenkins' own state (a queue item or build of the job started since then with the same
   parameters) and returns what it finds, or ``None``, and only then is the write made.

A client acts this way only inside a scope (:meth:`~worker.jenkins._core.ClientCore.idempotent`), which the Celery
tasks open with their own id; elsewhere (the CLI, tests of the client) writes go straight to Jenkins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from worker.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")


class ActionLog(Protocol):
    def begin(self, key: str, **fields: Any) -> dict[str, Any] | None: ...

    def finish(self, key: str, result: Any) -> None: ...


@dataclass(frozen=True)
class IdempotencyScope:
    """Where writes are recorded, and the id of the task making them."""

    log: ActionLog
    task_id: str

    def key(self, action: str, target: str) -> str:
        return f"{self.task_id}:{action}:{target}"


def run_once(
    scope: IdempotencyScope | None,
    action: str,
    target: str,
    act: Callable[[], T],
    *,
    dump: Callable[[T], Any],
    load: Callable[[Any], T],
    recover: Callable[[dict[str, Any]], T | None] | None = None,
) -> T:
    """``act()`` at most once per (task, action, target); see the module docstring."""
    if scope is None:
        return act()
    key = scope.key(action, target)
    record = scope.log.begin(key, task_id=scope.task_id, action=action, target=target)
    if record is not None and record.get("state") == "done":
        log.info("jenkins action already done, not repeated", key=key)
        return load(record.get("result"))
    if record is not None and recover is not None:
        found = recover(record)
        if found is not None:
            log.warning("jenkins action found done by an earlier run, not repeated", key=key)
            scope.log.finish(key, dump(found))
            return found
    result = act()
    scope.log.finish(key, dump(result))
    return result
