"""MongoDB persistence: the only package that imports pymongo.

Repositories take and return plain JSON-ready dicts (no ``_id``, datetimes as ISO-8601 strings) so the API can
return them as they are and Celery can carry them. Writes are idempotent upserts keyed on natural keys, so a
redelivered task (``acks_late``) never duplicates a record. ``StorageUnavailable`` is what callers catch when the
database cannot be reached (pymongo's ``ConnectionFailure``), so pymongo stays inside this package.
"""

from pymongo.errors import ConnectionFailure as StorageUnavailable

from worker.storage.database import Storage, connect, ensure_indexes
from worker.storage.feedback import FeedbackRepository
from worker.storage.repositories import (
    AnalysisRepository,
    BuildRepository,
    SimilarFailure,
    TaskRepository,
)

__all__ = [
    "AnalysisRepository",
    "BuildRepository",
    "FeedbackRepository",
    "SimilarFailure",
    "Storage",
    "StorageUnavailable",
    "TaskRepository",
    "connect",
    "ensure_indexes",
]
