"""Repositories for builds, analyses and tasks.

Each method is one or two round trips and uses an index (see ``database.ensure_indexes``). Records are keyed on
natural keys (``jenkins_url, job, build`` and ``task_id``) so every write is an idempotent upsert.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from pymongo import DESCENDING, InsertOne, UpdateMany, UpdateOne
from pymongo.database import Database
from pymongo.errors import ClientBulkWriteException, DuplicateKeyError

from worker.models import BuildEvent
from worker.storage.build_metrics import BuildRollups, FirstCount

Document = dict[str, Any]
#: A write for a client-level bulkWrite (it names its collection: ``namespace="db.collection"``).
ClientWrite = InsertOne[Document] | UpdateOne | UpdateMany

#: How many recent analyses of a category are compared by text similarity (bounded work per lookup).
SIMILARITY_WINDOW = 500


def _now() -> datetime:
    return datetime.now(UTC)


def to_json_ready(doc: Mapping[str, Any] | None) -> Document | None:
    """Drop Mongo's ``_id`` and turn datetimes into ISO-8601 strings, recursively."""
    if doc is None:
        return None

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in value.items() if k != "_id"}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    result: Document = convert(doc)
    return result


def _analysis_status(
    job: str, build: int, status: str, jenkins_url: str, error: str | None
) -> tuple[Document, Document]:
    key = {"jenkins_url": jenkins_url, "job": job, "build": build}
    now = _now()
    return key, {
        "$set": {"analysis_status": status, "analysis_error": error, "updated_at": now},
        "$setOnInsert": {**key, "created_at": now, "status": "FAILURE", "events": {}},
    }


def _resolved(
    jenkins_url: str, job: str, fixed_in_build: int, commit: str | None
) -> tuple[Document, Document]:
    fix = f"fixed in build #{fixed_in_build}" + (f" (commit {commit})" if commit else "")
    query = {"jenkins_url": jenkins_url, "job": job, "build": {"$lt": fixed_in_build}, "resolution": None}
    return query, {
        "$set": {"resolution": {"build": fixed_in_build, "commit": commit, "fix": fix, "at": _now()}}
    }


class BuildRepository:
    """One record per build; the events seen for it are kept inside, keyed by event name."""

    def __init__(self, db: Database[Document]) -> None:
        self._col = db.builds
        self._events = db.build_events  # one document per (build, event): the idempotency record
        self._analyses = db.analyses
        self._rollups = BuildRollups(db)

    def upsert_event(self, event: BuildEvent, *, if_new: Sequence[ClientWrite] = ()) -> bool:
        """Record ``event``; returns whether it was new (False for a repeat).

        "New" is decided by inserting the event under a unique ``_id``: of two deliveries of the same event,
        however concurrent, exactly one insert succeeds, so exactly one caller goes on to queue an analysis.
        (The unique index is the arbiter: SecantusDB's findAndModify is not isolated, so "the build lacked the
        event before this update" would not be.)

        Everything a new event writes travels in one ordered client-level ``bulkWrite``, one round trip: the
        event record, the build's upsert, for a completed build the rollups' mark and ``$inc`` (its status,
        duration and completion time are known without reading the build back), then ``if_new`` (writes of the
        caller's, with their namespace: the analysis marked pending, the job's failures resolved). Ordered, so
        when the record's insert fails as a repeat nothing else runs; the repeat then refreshes the build and
        its count on its own (a rare path, so a few more round trips), and does not run ``if_new``.
        """
        key = {"jenkins_url": event.jenkins_url, "job": event.job, "build": event.build}
        now = _now()
        record = {
            "_id": f"{event.jenkins_url}|{event.job}|{event.build}|{event.event}"
            + (f"|attempt {event.attempt}" if event.attempt > 1 else ""),
            **key,
            "event": event.event,
            "payload": event.model_dump(mode="json"),
            "received_at": now,
        }
        fields: Document = {
            "url": event.url,
            "commit": event.commit,
            "branch": event.branch,
            "cause": event.cause,
            "parameters": event.parameters,
            "updated_at": now,
        }
        if event.event == "completed":
            fields.update(
                status=event.status,
                duration_ms=event.duration_ms,
                stages=[s.model_dump() for s in event.stages],
                failed_tests=event.failed_tests,
                completed_at=now,
            )
        # Only non-empty values overwrite: a "completed" event without a commit must not erase the one sent at start.
        update_set = {k: v for k, v in fields.items() if v not in (None, {}, [])}
        update_set[f"events.{event.event}"] = {"status": event.status, "received_at": now}
        on_insert: Document = {**key, "created_at": now, "analysis_status": "none"}
        if "status" not in update_set:  # a field may be in $set or $setOnInsert, never both
            on_insert["status"] = event.status or "IN_PROGRESS"
        update = {"$set": update_set, "$setOnInsert": on_insert}
        # The rollups count status, duration and completion time: when this event sets all three they are
        # known without reading the build back.
        counted = event.event == "completed" and event.status is not None and event.duration_ms is not None
        first = self._rollups.first_count({**key, **update_set}) if counted else None
        created = self._write_new(record, key, update, first, if_new)
        if not created:
            # A repeat: refresh the build, which may have been written but not counted the first time.
            self._update(key, update)
        if event.event == "completed" and (not created or first is None):
            # The stored build says what status, duration and completion time count now.
            self._rollups.record(self._col.find_one(key) or {})
        return created

    def _write_new(
        self,
        record: Document,
        key: Document,
        update: Document,
        first: FirstCount | None,
        if_new: Sequence[ClientWrite],
    ) -> bool:
        """Insert the event ``record`` and, only if that succeeded, upsert the build, count it (``first``) and
        run ``if_new``: one ordered bulkWrite. Returns whether the record was new."""
        writes: list[ClientWrite] = [
            InsertOne(record, namespace=self._events.full_name),
            UpdateOne(key, update, upsert=True, namespace=self._col.full_name),
        ]
        mark_at = len(writes)
        if first is not None:
            writes += [first.mark, *first.updates]
        rest_at = len(writes)
        writes += if_new
        client = self._col.database.client
        start, races = 0, 0
        while start < len(writes):
            try:
                client.bulk_write(writes[start:], ordered=True)
            except ClientBulkWriteException as exc:
                # pymongo types them as WriteError; they are the server's documents ({"idx", "code", ...}).
                errors: list[Mapping[str, Any]] = list(exc.details.get("writeErrors") or [])
                if exc.error is not None or not errors or any(e.get("code") != 11000 for e in errors):
                    raise
                failed = start + int(errors[0].get("idx", 0))
                if failed == 0:
                    return False  # the event is recorded already: a repeat
                if failed == 1:
                    # The record is new but the build's insert lost a race with another first event of the
                    # same build: the build exists now, so update it, and go on.
                    self._update(key, update)
                    start = 2
                elif first is not None and failed == mark_at:
                    # Counted before (the build's earlier completed event): the rollups move it if it changed.
                    self._rollups.record(first.build)
                    first, start = None, rest_at
                else:
                    # An upsert lost a race with a concurrent insert of the same document: run it again.
                    races += 1
                    if races > 3:
                        raise
                    start = failed
                continue
            break
        if first is not None:
            self._rollups.periods_written(first.periods)
        return True

    def _update(self, key: Document, update: Document) -> None:
        try:
            self._col.update_one(key, update, upsert=True)
        except DuplicateKeyError:  # two first events raced to insert the build: the loser updates it
            self._col.update_one(key, update, upsert=True)

    def get(self, job: str, build: int, *, jenkins_url: str | None = None) -> Document | None:
        """The build, or None. Without ``jenkins_url`` the most recently updated match (of any controller) is
        returned: callers that serve several controllers check :meth:`controllers_of` first."""
        query: Document = {"job": job, "build": build}
        if jenkins_url:
            query["jenkins_url"] = jenkins_url
        doc = self._col.find_one(query, sort=[("updated_at", DESCENDING)])
        return to_json_ready(doc)

    def controllers_of(self, job: str, build: int) -> builtins.list[str]:
        """The controllers (``jenkins_url``) that reported a build ``job`` #``build``, sorted."""
        found = self._col.find({"job": job, "build": build}, {"jenkins_url": 1})
        return sorted({str(doc["jenkins_url"]) for doc in found if doc.get("jenkins_url")})

    def list(self, job: str, limit: int = 20, *, jenkins_url: str | None = None) -> builtins.list[Document]:
        """Builds of ``job`` (on controller ``jenkins_url``, or on every controller), newest first."""
        query: Document = {"job": job}
        if jenkins_url:
            query["jenkins_url"] = jenkins_url
        cursor = self._col.find(query).sort("build", DESCENDING).limit(limit)
        return [d for d in (to_json_ready(doc) for doc in cursor) if d is not None]

    def set_analysis_status(
        self, job: str, build: int, status: str, *, jenkins_url: str, error: str | None = None
    ) -> None:
        """Mark the analysis of a build ``pending``, ``done`` or ``failed`` (creating the build if unseen);
        ``analysis_error`` says why it failed (cleared by any other status)."""
        self._col.update_one(*_analysis_status(job, build, status, jenkins_url, error), upsert=True)

    def analysis_status_write(
        self, job: str, build: int, status: str, *, jenkins_url: str, error: str | None = None
    ) -> UpdateOne:
        """:meth:`set_analysis_status` as a write for a client-level bulkWrite (``upsert_event``'s ``if_new``)."""
        query, update = _analysis_status(job, build, status, jenkins_url, error)
        return UpdateOne(query, update, upsert=True, namespace=self._col.full_name)

    def history(
        self, job: str, limit: int = 50, *, jenkins_url: str | None = None
    ) -> builtins.list[Document]:
        """The job's recent builds on one controller with what their analyses found, oldest first, for flaky
        detection: ``{"build", "result", "commit", "fingerprint", "category", "failed_tests"}``.

        Without ``jenkins_url`` (a deployment with one controller) every stored build of ``job`` counts."""
        builds = self.list(job, limit, jenkins_url=jenkins_url)
        numbers = [b["build"] for b in builds]
        query: Document = {"job": job, "build": {"$in": numbers}}
        if jenkins_url:
            query["jenkins_url"] = jenkins_url
        found = {
            doc["build"]: doc
            for doc in self._analyses.find(query, {"build": 1, "fingerprint": 1, "category": 1})
        }
        return [
            {
                "build": b["build"],
                "result": b.get("status"),
                "commit": b.get("commit"),
                "fingerprint": found.get(b["build"], {}).get("fingerprint"),
                "category": found.get(b["build"], {}).get("category"),
                "failed_tests": b.get("failed_tests") or [],
            }
            for b in reversed(builds)
        ]


class SimilarFailure(BaseModel):
    """A past failure like the current one, and what fixed it when known (``fix``: "fixed in build #N")."""

    jenkins_url: str | None = None  # the controller it ran on (None only in records older than that key)
    job: str
    build: int
    fingerprint: str
    score: float
    summary: str
    category: str
    fix: str | None = None


class AnalysisRepository:
    """One analysis per build, with its fingerprint and text vector for similarity search."""

    def __init__(self, db: Database[Document]) -> None:
        self._col = db.analyses

    def save(self, jenkins_url: str, job: str, build: int, analysis: Mapping[str, Any]) -> None:
        """Store (or replace, on a redelivered task) the analysis of a build.

        ``analysis`` is the engine's ``Analysis.model_dump(mode="json")`` plus our fields; a ``vector`` key
        (term → weight) is stored as pairs because MongoDB field names cannot hold every term.
        """
        doc = dict(analysis)
        vector = doc.pop("vector", None) or {}
        now = _now()
        key = {"jenkins_url": jenkins_url, "job": job, "build": build}
        self._col.update_one(
            key,
            {
                "$set": {
                    **doc,
                    **key,
                    "vector": [[term, weight] for term, weight in vector.items()],
                    "updated_at": now,
                },
                "$setOnInsert": {"created_at": now},
            },
            upsert=True,
        )

    def get(self, job: str, build: int, *, jenkins_url: str | None = None) -> Document | None:
        query: Document = {"job": job, "build": build}
        if jenkins_url:
            query["jenkins_url"] = jenkins_url
        doc = self._col.find_one(query, projection={"vector": 0}, sort=[("updated_at", DESCENDING)])
        return to_json_ready(doc)

    def mark_resolved(self, jenkins_url: str, job: str, fixed_in_build: int, commit: str | None) -> int:
        """A green build fixes the job's open failures before it: record which build (and commit) fixed them."""
        result = self._col.update_many(*_resolved(jenkins_url, job, fixed_in_build, commit))
        return int(result.modified_count)

    def resolved_write(
        self, jenkins_url: str, job: str, fixed_in_build: int, commit: str | None
    ) -> UpdateMany:
        """:meth:`mark_resolved` as a write for a client-level bulkWrite (``upsert_event``'s ``if_new``)."""
        return UpdateMany(*_resolved(jenkins_url, job, fixed_in_build, commit), namespace=self._col.full_name)

    def find_similar(
        self,
        fingerprint: str,
        vector: Mapping[str, float],
        *,
        category: str | None = None,
        exclude: tuple[str, str, int] | tuple[str, int] | None = None,
        limit: int = 5,
        min_score: float = 0.35,
    ) -> list[SimilarFailure]:
        """Past failures on any controller: same fingerprint first (score 1.0), then the nearest by text
        similarity. ``exclude`` is the build being analysed: ``(jenkins_url, job, build)``, or ``(job, build)``
        to leave out that build on every controller."""
        from worker.analysis import cosine  # the similarity measure belongs to the engine

        projection = {
            "jenkins_url": 1,
            "job": 1,
            "build": 1,
            "fingerprint": 1,
            "summary": 1,
            "category": 1,
            "resolution": 1,
        }
        found: dict[tuple[str | None, str, int], SimilarFailure] = {}

        def excluded(ident: tuple[str | None, str, int]) -> bool:
            if exclude is None:
                return False
            return ident == exclude if len(exclude) == 3 else ident[1:] == exclude

        def add(doc: Mapping[str, Any], score: float) -> None:
            ident = (doc.get("jenkins_url"), doc["job"], int(doc["build"]))
            if excluded(ident) or ident in found:
                return
            resolution = doc.get("resolution") or {}
            found[ident] = SimilarFailure(
                jenkins_url=doc.get("jenkins_url"),
                job=doc["job"],
                build=int(doc["build"]),
                fingerprint=doc.get("fingerprint", ""),
                score=round(score, 4),
                summary=doc.get("summary", ""),
                category=doc.get("category", "unknown"),
                fix=resolution.get("fix"),
            )

        for doc in (
            self._col.find({"fingerprint": fingerprint}, projection)
            .sort("created_at", DESCENDING)
            .limit(limit + 1)
        ):
            add(doc, 1.0)
        if len(found) < limit and vector:
            query: Document = {"category": category} if category else {}
            scored: list[tuple[float, Document]] = []
            for doc in (
                self._col.find(query, {**projection, "vector": 1})
                .sort("created_at", DESCENDING)
                .limit(SIMILARITY_WINDOW)
            ):
                if doc.get("fingerprint") == fingerprint:
                    continue
                other = {term: weight for term, weight in doc.get("vector") or []}
                score = cosine(dict(vector), other)
                if score >= min_score:
                    scored.append((score, doc))
            scored.sort(key=lambda pair: pair[0], reverse=True)
            for score, doc in scored:
                if len(found) >= limit:
                    break
                add(doc, score)
        return list(found.values())[:limit]


class TaskRepository:
    """The record of every task the API accepted: status, routing, result."""

    def __init__(self, db: Database[Document]) -> None:
        self._col = db.tasks

    def create(self, task_id: str, kind: str, payload: Mapping[str, Any]) -> Document:
        """Record a queued task (idempotent: a repeat keeps the first record)."""
        now = _now()
        self._col.update_one(
            {"task_id": task_id},
            {
                "$setOnInsert": {
                    "task_id": task_id,
                    "kind": kind,
                    "payload": dict(payload),
                    "status": "queued",
                    "result": None,
                    "error": None,
                    "created_at": now,
                    "updated_at": now,
                }
            },
            upsert=True,
        )
        return self.get(task_id) or {}

    def get(self, task_id: str) -> Document | None:
        return to_json_ready(self._col.find_one({"task_id": task_id}))

    def _set(self, task_id: str, fields: Mapping[str, Any]) -> None:
        now = _now()
        self._col.update_one(
            {"task_id": task_id},
            {"$set": {**fields, "updated_at": now}, "$setOnInsert": {"task_id": task_id, "created_at": now}},
            upsert=True,
        )

    def mark_running(self, task_id: str, *, kind: str | None = None) -> None:
        fields: Document = {"status": "running"}
        if kind:
            fields["kind"] = kind
        self._set(task_id, fields)

    def mark_succeeded(self, task_id: str, result: Mapping[str, Any]) -> None:
        self._set(task_id, {"status": "succeeded", "result": dict(result), "error": None})

    def mark_failed(self, task_id: str, error: str, *, kind: str | None = None) -> None:
        """The task failed for good; ``kind`` (the task name) names it in a record the task never wrote before
        (a task without ``track_status``, such as an ingested event)."""
        fields: Document = {"status": "failed", "error": {"code": "task_failed", "message": error}}
        if kind:
            fields["kind"] = kind
        self._set(task_id, fields)

    def mark_rejected(self, task_id: str, errors: list[dict[str, Any]], *, kind: str | None = None) -> None:
        """Invalid payloads are stored as rejected, never retried (``kind``: as for :meth:`mark_failed`)."""
        fields: Document = {
            "status": "rejected",
            "error": {
                "code": "invalid_payload",
                "message": "the task payload was invalid",
                "fields": errors,
            },
        }
        if kind:
            fields["kind"] = kind
        self._set(task_id, fields)
