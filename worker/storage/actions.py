"""The record of Jenkins writes, one per idempotency key (``task id : action : target``).

A Jenkins write (trigger, rebuild, abort, cancel, plugin install, build description) is bracketed by two records:
``started`` before the call, ``done`` with its result after it. A redelivered or retried task with the same id
finds the record: ``done`` replays the result without calling Jenkins again; ``started`` means an earlier run
died or failed between the two, and the caller checks Jenkins' own state before acting (see
``worker.jenkins._idempotency``). Records expire after a week (a TTL index).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]

#: How long a key is remembered: far longer than any redelivery or retry of its task.
ACTION_TTL_SECONDS = 7 * 24 * 3600


def ensure_action_indexes(db: Database[Document]) -> None:
    # The key is the _id (unique by itself); expired records go away on their own.
    db.jenkins_actions.create_index(
        [("started_at", ASCENDING)], expireAfterSeconds=ACTION_TTL_SECONDS, name="actions_ttl"
    )


class ActionRepository:
    """Idempotency records of Jenkins writes (the ``jenkins_actions`` collection)."""

    def __init__(self, db: Database[Document]) -> None:
        self._col = db.jenkins_actions

    def begin(self, key: str, **fields: Any) -> Document | None:
        """Record that the write ``key`` is about to happen. ``None`` when this is its first time; else the
        record an earlier run left (``state`` ``started`` or ``done``, ``started_at``, ``result``)."""
        try:
            self._col.insert_one({"_id": key, "state": "started", "started_at": datetime.now(UTC), **fields})
        except DuplicateKeyError:
            found = self._col.find_one({"_id": key})
            if found is not None:
                return found
            return self.begin(key, **fields)  # it expired in between: this is its first time again
        return None

    def finish(self, key: str, result: Any) -> None:
        """Record that the write ``key`` happened, with what it returned (JSON-ready)."""
        self._col.update_one(
            {"_id": key}, {"$set": {"state": "done", "result": result, "done_at": datetime.now(UTC)}}
        )

    def get(self, key: str) -> Document | None:
        return self._col.find_one({"_id": key})

    def count(self, **query: Any) -> int:
        return int(self._col.count_documents(query))
