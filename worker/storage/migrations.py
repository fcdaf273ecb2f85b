"""Bringing records written by older versions up to the current keys (idempotent; run by the worker at start).

Builds, analyses and build events are keyed by controller + job + number. Versions before several controllers
were served stored the controller URL as the event sent it (only a trailing slash removed), so the same
controller could appear as ``HTTPS://CI.example.com:443`` and ``https://ci.example.com``; and a record without
any controller URL can only belong to the one controller there was. This rewrites both to the canonical key
(:func:`worker.controllers.canonical_url`), which is what every read and write uses now.
"""

from __future__ import annotations

import logging

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from worker.controllers import canonical_url
from worker.storage.repositories import Document

log = logging.getLogger(__name__)

KEYED_COLLECTIONS = ("builds", "analyses", "build_events")


def canonicalize_controller_keys(db: Database[Document], default_url: str | None) -> int:
    """Rewrite non-canonical controller URLs, and missing ones to ``default_url`` (when there is a default);
    returns how many records changed. A record whose canonical key is already taken by another record of the
    same build is left as it is (and logged): merging two analyses of one build is a person's call."""
    changed = 0
    for name in KEYED_COLLECTIONS:
        collection = db[name]
        if default_url:
            changed += _rewrite(collection, {"jenkins_url": None}, default_url)
        for url in collection.distinct("jenkins_url"):
            if not isinstance(url, str):
                continue
            try:
                canonical = canonical_url(url)
            except ValueError:
                log.warning("stored controller URL is not a URL; left as it is: %r (%s)", url, name)
                continue
            if canonical != url:
                changed += _rewrite(collection, {"jenkins_url": url}, canonical)
    if changed:
        log.info("controller keys migrated: %d records", changed)
    return changed


def _rewrite(collection: Collection[Document], query: Document, url: str) -> int:
    try:
        return int(collection.update_many(query, {"$set": {"jenkins_url": url}}).modified_count)
    except DuplicateKeyError:
        # Some records of this group collide with an existing canonical record: move the others one by one.
        moved = 0
        for doc in collection.find(query, {"_id": 1}):
            try:
                moved += collection.update_one(
                    {"_id": doc["_id"]}, {"$set": {"jenkins_url": url}}
                ).modified_count
            except DuplicateKeyError:
                log.warning(
                    "record %s of %s kept its controller URL: %s already has it",
                    doc["_id"],
                    collection.name,
                    url,
                )
        return moved
