"""Connecting to MongoDB and creating indexes (once, at start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.database import Database

from worker.settings import Settings
from worker.storage.actions import ActionRepository, ensure_action_indexes
from worker.storage.build_metrics import BuildRollups, build_metrics, ensure_rollup_indexes
from worker.storage.feedback import FeedbackRepository
from worker.storage.repositories import (
    AnalysisRepository,
    BuildRepository,
    Document,
    TaskRepository,
)


def connect(settings: Settings, *, create_indexes: bool = True) -> Database[Document]:
    """Open a client for ``settings.mongo_url`` and return the configured database.

    Call it after fork (pymongo clients are not fork-safe): the worker does so in ``worker_process_init``.
    """
    client: MongoClient[Document] = MongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=int(settings.mongo_timeout_seconds * 1000),
        connectTimeoutMS=int(settings.mongo_timeout_seconds * 1000),
        tz_aware=True,
        appname="langchain-jenkins",
    )
    db = client[settings.mongo_db]
    if create_indexes:
        ensure_indexes(db)
    return db


def ensure_indexes(db: Database[Document]) -> None:
    """Index every field we query (SecantusDB, like MongoDB, scans collections without them).

    ``build_key`` and ``analysis_key`` (controller, job, build) also serve a controller's builds of a job."""
    db.builds.create_index(
        [("jenkins_url", ASCENDING), ("job", ASCENDING), ("build", ASCENDING)], unique=True, name="build_key"
    )
    db.builds.create_index([("job", ASCENDING), ("build", DESCENDING)], name="job_builds")
    # Completed builds in a time window (the rollups' rebuild; builds of a job by completion).
    db.builds.create_index([("completed_at", DESCENDING)], name="builds_completed")
    db.builds.create_index([("job", ASCENDING), ("completed_at", DESCENDING)], name="job_builds_completed")
    ensure_rollup_indexes(db)
    db.analyses.create_index(
        [("jenkins_url", ASCENDING), ("job", ASCENDING), ("build", ASCENDING)],
        unique=True,
        name="analysis_key",
    )
    db.analyses.create_index([("job", ASCENDING), ("build", DESCENDING)], name="job_analyses")
    # A green build resolving its job's open failures (``AnalysisRepository.resolved_write``): equalities first,
    # then the range on ``build``. Without it SecantusDB served that update from ``analysis_key``'s controller
    # prefix: every analysis of the controller read for every green build (116 ms at 3,000 analyses, 0.9 ms with).
    db.analyses.create_index(
        [("jenkins_url", ASCENDING), ("job", ASCENDING), ("resolution", ASCENDING), ("build", ASCENDING)],
        name="open_failures",
    )
    db.analyses.create_index([("fingerprint", ASCENDING), ("created_at", DESCENDING)], name="fingerprint")
    db.analyses.create_index([("category", ASCENDING), ("created_at", DESCENDING)], name="category_recent")
    db.feedback.create_index(
        [("jenkins_url", ASCENDING), ("job", ASCENDING), ("build", ASCENDING), ("author", ASCENDING)],
        unique=True,
        name="feedback_key",
    )
    db.feedback.create_index([("verdict", ASCENDING), ("updated_at", DESCENDING)], name="feedback_verdicts")
    db.tasks.create_index([("task_id", ASCENDING)], unique=True, name="task_id")
    db.tasks.create_index([("created_at", DESCENDING)], name="tasks_recent")
    ensure_action_indexes(db)


@dataclass
class Storage:
    """The repositories of one database, built together."""

    db: Database[Document]

    @classmethod
    def from_settings(cls, settings: Settings, *, create_indexes: bool = True) -> Storage:
        return cls(connect(settings, create_indexes=create_indexes))

    @property
    def builds(self) -> BuildRepository:
        return BuildRepository(self.db)

    @property
    def analyses(self) -> AnalysisRepository:
        return AnalysisRepository(self.db)

    @property
    def feedback(self) -> FeedbackRepository:
        return FeedbackRepository(self.db)

    @property
    def rollups(self) -> BuildRollups:
        return BuildRollups(self.db)

    @property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self.db)

    @property
    def actions(self) -> ActionRepository:
        """Idempotency records of Jenkins writes."""
        return ActionRepository(self.db)

    def build_metrics(
        self, since: datetime, until: datetime, *, job: str | None = None, jenkins_url: str | None = None
    ) -> Document:
        """Totals, success rate and durations of the builds completed in ``[since, until)`` (see
        :mod:`worker.storage.build_metrics`)."""
        return build_metrics(self.db, since, until, job=job, jenkins_url=jenkins_url)

    def ping(self) -> None:
        """Raise if the server cannot be reached."""
        self.db.client.admin.command("ping")

    def close(self) -> None:
        self.db.client.close()
