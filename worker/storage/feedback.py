"""People's verdicts on analyses (the page's feedback form and ``POST .../feedback``)."""

from __future__ import annotations

import builtins

from pymongo import DESCENDING
from pymongo.database import Database

from worker.storage.repositories import Document, _now, to_json_ready


class FeedbackRepository:
    """People's verdicts on analyses: one per person (or per signed link) and analysis, the latest wins."""

    def __init__(self, db: Database[Document]) -> None:
        self._col = db.feedback
        self._analyses = db.analyses

    def save(
        self,
        jenkins_url: str,
        job: str,
        build: int,
        *,
        author: str,
        verdict: str,
        lines: builtins.list[tuple[int, int]],
        category: str | None = None,
        comment: str | None = None,
    ) -> Document:
        key = {"jenkins_url": jenkins_url, "job": job, "build": build, "author": author}
        now = _now()
        self._col.update_one(
            key,
            {
                "$set": {
                    "verdict": verdict,
                    "lines": [list(r) for r in lines],
                    "category": category,
                    "comment": comment,
                    "updated_at": now,
                },
                "$setOnInsert": {**key, "created_at": now},
            },
            upsert=True,
        )
        return to_json_ready(self._col.find_one(key)) or {}

    def for_analysis(self, jenkins_url: str, job: str, build: int) -> builtins.list[Document]:
        cursor = self._col.find({"jenkins_url": jenkins_url, "job": job, "build": build}).sort(
            "updated_at", DESCENDING
        )
        return [d for d in (to_json_ready(doc) for doc in cursor) if d is not None]

    def confirmed(self, limit: int = 50) -> builtins.list[tuple[Document, Document]]:
        """The most recent verdicts that confirm an analysis ("right", or "wrong" with the right lines given),
        each with its analysis: the raw material of knowledge-base suggestions."""
        out: builtins.list[tuple[Document, Document]] = []
        seen: set[tuple[str, str, int]] = set()
        cursor = self._col.find({"verdict": {"$in": ["right", "wrong"]}}).sort("updated_at", DESCENDING)
        for fb in cursor.limit(limit * 4):
            ident = (fb["jenkins_url"], fb["job"], int(fb["build"]))
            if ident in seen or (fb["verdict"] == "wrong" and not fb.get("lines")):
                continue
            seen.add(ident)
            analysis = self._analyses.find_one(
                {"jenkins_url": ident[0], "job": ident[1], "build": ident[2]}, projection={"vector": 0}
            )
            if analysis is not None:
                out.append((to_json_ready(fb) or {}, to_json_ready(analysis) or {}))
            if len(out) >= limit:
                break
        return out
