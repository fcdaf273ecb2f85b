"""What ingesting a build event writes, and how few round trips it takes: the event's idempotency record and
the build's upsert go in one ordered bulkWrite (the record's unique id decides "new"), so a new event is one
round trip, a repeat adds nothing, and concurrent deliveries queue one analysis between them. Real SecantusDB
and a real worker."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pymongo
import redis
import requests
from pymongo import monitoring

from tests.services import RunningAPI, wait_for_idle_queue, wait_until
from worker.models import BuildEvent
from worker.settings import Settings
from worker.storage import ensure_indexes
from worker.storage.repositories import AnalysisRepository, BuildRepository, _resolved


class _Commands(monitoring.CommandListener):
    """The commands a client sent, as ``"<command> <collection>"``."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen[f"{event.command_name} {event.command.get(event.command_name)}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _event(settings: Settings, **fields: Any) -> BuildEvent:
    values = {"jenkins_url": settings.jenkins_url, "job": "web", "build": 7, "status": "SUCCESS", **fields}
    return BuildEvent.model_validate(values)


def test_a_new_event_is_one_round_trip_and_a_repeat_adds_nothing(settings: Settings) -> None:
    commands = _Commands()
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        settings.mongo_url, event_listeners=[commands]
    )
    try:
        db = client[settings.mongo_db]
        ensure_indexes(db)
        builds = BuildRepository(db)
        db.analyses.insert_one(
            {"jenkins_url": settings.jenkins_url, "job": "web", "build": 6, "resolution": None}
        )
        commands.seen.clear()
        assert builds.upsert_event(_event(settings, event="started", status=None, commit="abc"))
        # One command for the event record and the build (an insert, then a findAndModify, before).
        assert commands.seen == Counter({"bulkWrite 1": 1})

        commands.seen.clear()
        resolve = AnalysisRepository(db).resolved_write(settings.jenkins_url or "", "web", 7, "abc")
        assert builds.upsert_event(_event(settings, duration_ms=1200), if_new=[resolve])
        # Completed: the record, the build, the rollups' mark and counts and the caller's own write (a green
        # build resolving earlier failures) in the same one command; nothing read back.
        assert commands.seen == Counter({"bulkWrite 1": 1})
        assert db.analyses.find_one({"build": 6})["resolution"]["build"] == 7

        db.analyses.update_one({"build": 6}, {"$set": {"resolution": None}})
        assert not builds.upsert_event(_event(settings, event="started", status=None))
        assert not builds.upsert_event(_event(settings, duration_ms=1200), if_new=[resolve])
        assert db.analyses.find_one({"build": 6})["resolution"] is None  # a repeat runs no if_new write
        # The next attempt is a new event of a build counted before: the rollups move it, not count it twice.
        assert builds.upsert_event(_event(settings, duration_ms=900, attempt=2))
        [stored] = db.builds.find({})
        assert (stored["status"], stored["commit"], stored["duration_ms"]) == ("SUCCESS", "abc", 900)
        assert db.build_events.count_documents({}) == 3
        for level in ("hour", "day"):
            [rollup] = db.build_rollups.find({"level": level})
            assert (rollup["n"], rollup["sum"]) == ({"SUCCESS": 1}, 900)
    finally:
        client.close()


def test_concurrent_deliveries_of_one_event_create_it_once_and_of_two_events_both(
    settings: Settings, storage: Any
) -> None:
    db = storage.db  # with the product's indexes (Storage.from_settings)
    builds = BuildRepository(db)
    created: list[tuple[str, bool]] = []
    start = threading.Barrier(8)

    def deliver(event: BuildEvent) -> None:
        start.wait()
        created.append((event.event, builds.upsert_event(event)))

    # Six deliveries of "completed" and two of "started", all at once, of a build nobody has seen yet.
    events = [_event(settings, build=8)] * 6 + [_event(settings, build=8, event="started", status=None)] * 2
    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(name for name, new in created if new) == ["completed", "started"]
    [stored] = db.builds.find({"build": 8})
    assert sorted(stored["events"]) == ["completed", "started"] and stored["status"] == "SUCCESS"
    assert db.build_events.count_documents({"build": 8}) == 2


def test_an_ingested_event_keeps_no_task_record_nor_result_and_a_redelivery_changes_nothing(
    api_server: RunningAPI, settings: Settings, storage: Any
) -> None:
    headers = {"Authorization": f"Bearer {api_server.token}"}
    event = {"jenkins_url": settings.jenkins_url, "job": "web", "build": 9, "status": "SUCCESS"}
    broker = redis.Redis.from_url(settings.redis_url)

    def send() -> dict[str, Any]:
        response = requests.post(f"{api_server.url}/api/v1/events", json=event, headers=headers, timeout=10)
        assert response.status_code == 202, response.text
        return dict(response.json())

    def build() -> dict[str, Any] | None:
        response = requests.get(f"{api_server.url}{first['status_url']}", headers=headers, timeout=10)
        return dict(response.json()["build"]) if response.status_code == 200 else None

    try:
        first = send()
        wait_until(lambda: build() is not None, timeout=30, what="the stored build")
        stored = build()
        assert stored is not None and stored["status"] == "SUCCESS"
        wait_for_idle_queue(settings.redis_url)
        # The build is what a client polls (status_url): no task record (two more writes per event), and no
        # result kept in Redis for a day (result_expires) with nobody to read it.
        assert storage.tasks.get(first["task_id"]) is None
        assert broker.keys("celery-task-meta-*") == []

        again = send()  # Jenkins sent it twice
        wait_until(
            lambda: (build() or {}).get("updated_at") != stored["updated_at"],
            timeout=30,
            what="the repeat's refresh of the build",
        )
        wait_for_idle_queue(settings.redis_url)
        assert storage.tasks.get(again["task_id"]) is None
        assert broker.keys("celery-task-meta-*") == []
        assert storage.db.builds.count_documents({"job": "web"}) == 1
        assert storage.db.build_events.count_documents({"job": "web"}) == 1
    finally:
        broker.close()


def test_a_green_build_reads_only_its_jobs_open_failures_through_an_index(
    settings: Settings, storage: Any
) -> None:
    # Without the open_failures index SecantusDB served this update from analysis_key's controller prefix: every
    # analysis of the controller read for every green build (116 ms of its CPU at 3,000 analyses).
    db = storage.db  # with the product's indexes (Storage.from_settings)
    url = settings.jenkins_url or ""
    resolved = {"build": 3, "commit": None, "fix": "fixed in build #3"}
    db.analyses.insert_many(
        [{"jenkins_url": url, "job": "web", "build": n} for n in (1, 4, 5)]  # open: no resolution yet
        + [{"jenkins_url": url, "job": "web", "build": 6, "resolution": None}]
        + [{"jenkins_url": url, "job": "web", "build": 2, "resolution": resolved}]
        + [{"jenkins_url": url, "job": "api", "build": n} for n in range(1, 40)]
        + [{"jenkins_url": "https://other.example", "job": "web", "build": n} for n in range(1, 40)]
    )
    query, _update = _resolved(url, "web", 6, "abc")
    plan = db.analyses.find(query).explain()
    winning = plan["queryPlanner"]["winningPlan"]
    assert winning.get("inputStage", {}).get("indexName") == "open_failures", winning
    assert plan["executionStats"]["totalDocsExamined"] == 3  # builds 1, 4 and 5
    AnalysisRepository(db).mark_resolved(url, "web", 6, "abc")
    fixed = {doc["build"] for doc in db.analyses.find({"resolution.build": 6})}
    assert fixed == {1, 4, 5}
