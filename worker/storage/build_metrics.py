"""Build statistics over a time window: totals, success rate, mean and 95th-percentile duration, overall and by
job, computed by MongoDB aggregations over indexed fields (``completed_at``, and ``job`` when one is asked for).

Only completed builds count (their ``completed_at`` is set by the completed event); the success rate is
SUCCESS over every final result (SUCCESS, FAILURE, UNSTABLE, ABORTED, NOT_BUILT).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database

Document = dict[str, Any]

#: At most this many jobs are listed (the busiest first); the totals always cover every job.
MAX_JOBS = 200


def _group(key: Any) -> Document:
    return {
        "$group": {
            "_id": key,
            "builds": {"$sum": 1},
            "successes": {"$sum": {"$cond": [{"$eq": ["$status", "SUCCESS"]}, 1, 0]}},
            "failures": {"$sum": {"$cond": [{"$eq": ["$status", "FAILURE"]}, 1, 0]}},
            "unstable": {"$sum": {"$cond": [{"$eq": ["$status", "UNSTABLE"]}, 1, 0]}},
            "aborted": {"$sum": {"$cond": [{"$eq": ["$status", "ABORTED"]}, 1, 0]}},
            "mean_ms": {"$avg": "$duration_ms"},
            "p95_ms": {"$percentile": {"input": "$duration_ms", "p": [0.95], "method": "approximate"}},
        }
    }


def _shape(row: Document) -> Document:
    builds = int(row["builds"])
    p95 = row.get("p95_ms")
    return {
        "builds": builds,
        "successes": int(row["successes"]),
        "failures": int(row["failures"]),
        "unstable": int(row["unstable"]),
        "aborted": int(row["aborted"]),
        "success_rate": round(row["successes"] / builds, 4) if builds else None,
        "mean_duration_ms": round(row["mean_ms"]) if row.get("mean_ms") is not None else None,
        "p95_duration_ms": round(p95[0]) if p95 and p95[0] is not None else None,
    }


def build_metrics(
    db: Database[Document],
    since: datetime,
    until: datetime,
    *,
    job: str | None = None,
    jenkins_url: str | None = None,
) -> Document:
    """``{"totals": {...}, "jobs": [{"job", ...}, ...]}`` for builds completed in ``[since, until)``."""
    match: Document = {"completed_at": {"$gte": since, "$lt": until}}
    if job is not None:
        match["job"] = job
    if jenkins_url is not None:
        match["jenkins_url"] = jenkins_url
    project = {"$project": {"job": 1, "status": 1, "duration_ms": 1, "_id": 0}}
    totals = list(db.builds.aggregate([{"$match": match}, project, _group(None)]))
    jobs = db.builds.aggregate(
        [
            {"$match": match},
            project,
            _group("$job"),
            {"$sort": {"builds": -1, "_id": 1}},
            {"$limit": MAX_JOBS},
        ]
    )
    empty = {"builds": 0, "successes": 0, "failures": 0, "unstable": 0, "aborted": 0, "mean_ms": None}
    return {
        "totals": _shape(totals[0] if totals else empty),
        "jobs": [{"job": row["_id"], **_shape(row)} for row in jobs],
    }
