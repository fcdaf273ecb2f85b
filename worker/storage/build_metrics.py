"""Build statistics over a time window (totals, success rate, mean and 95th-percentile duration, overall and by
job), read from rollups written at ingest, never by scanning builds.

Why rollups: scanning 100k builds for every dashboard refresh grows with history (SecantusDB took 15-27 s). Each
completed build is instead added, once, to a rollup of its job per level (the hour and the day of its
``completed_at``) and controller, with ``$inc`` (atomic on the server: concurrent workers need no lock). A query
reads the days wholly inside the window and the hours of its two ragged ends: at most 23 + 23 hours plus one
per day, whatever the number of builds.

A rollup holds, per job and period: counts by final status, the sum of durations, and a duration histogram.

- Totals, status counts, the success rate and the mean are exact: they are sums of integers.
- The p95 comes from the histogram: fixed logarithmic bins, :data:`BINS_PER_OCTAVE` per doubling of the
  duration, stored as counts. Fixed bins are what makes the sketch work here: adding a build is ``$inc`` of one
  counter (a t-digest or a reservoir cannot be updated by the server atomically), and merging hours, days, jobs
  and controllers is adding counts. Log-scale bins bound the *relative* error, which is what matters for
  durations from 1 s to hours (the same idea as DDSketch). The reported value is the geometric middle of the bin
  that holds the nearest-rank 95th percentile, so it is within a factor ``2 ** (1 / (2 * BINS_PER_OCTAVE))`` of
  the exact nearest-rank p95: ±4.4 % with 8 bins per octave (plus rounding to a whole millisecond).

Closed periods are read packed: a period's document (``build_rollup_periods``: one per level, start and
controller) carries a version that every change of its rollups increments, and the first reader of a closed
period stores every job's figures there as one JSON string tagged with the version it was packed from. Reading
one string instead of hundreds of small documents is what keeps a 30-day window fast on a MongoDB-wire server
that pays per document and per field (SecantusDB); a late change to a closed period (a build completed again)
bumps the version, so the stale pack is ignored and re-made.

Merged closed periods are kept: each pack carries a random token (``pack_id``), and the sum of a window's packed
periods (for all jobs or one) is kept in this process under the tuple of their tokens. A request then reads the
period documents without their packs (their versions and tokens), takes the merged sum when the tokens are the
same, and reads only the periods not packed yet (the open hours). A late build in a closed period bumps its
version: the period is read from its rollups again and re-packed under a new token, so the kept sum no longer
matches and the next answer includes the build; nothing has to be invalidated by hand.

The window is aligned to the hour: its start is rounded down to a whole hour (the route reports it), so it covers
the N hours asked for plus less than one; every build in it is counted exactly.

A build counts once, with its current status, duration and ``completed_at`` (as a scan of builds would): what
was added for it is remembered in ``build_rollup_marks`` and replaced when a later completed event changes it
(a redelivered event, the next attempt). Marks are swapped by compare-and-set on a version, so of two concurrent
deliveries only one changes the rollups. A worker killed between the swap and the ``$inc`` leaves that one build
out; :meth:`BuildRollups.rebuild` (``jenkins-ai metrics-rollup --rebuild``) recomputes everything from the builds.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, InsertOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]

#: At most this many jobs are listed (the busiest first); the totals always cover every job.
MAX_JOBS = 200
#: Histogram resolution: bins per doubling of the duration (see the module docstring for the error bound).
BINS_PER_OCTAVE = 8
#: Rollup levels, finest first; each size divides the next (and UTC days start on whole hours).
LEVELS: tuple[tuple[str, timedelta], ...] = (("hour", timedelta(hours=1)), ("day", timedelta(days=1)))
#: A period is packed this long after it ended (builds being ingested at its end may still land in it).
PACK_AFTER = timedelta(minutes=5)
ROLLUPS = "build_rollups"
PERIODS = "build_rollup_periods"
MARKS = "build_rollup_marks"
#: The period document's field holding its pack (see :func:`_pack`). Named for its format: packs of the
#: earlier format (``packed``, histograms as pairs) are ignored, and re-made by the first read.
PACK = "pack_flat"
#: The random token of a period's pack (see the module docstring).
PACK_ID = "pack_id"
#: Merged sums of packed periods kept per process (least recently used dropped first).
MERGED_KEPT = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SIZES = dict(LEVELS)


def duration_bin(duration_ms: int) -> int:
    """The histogram bin of a duration: ``floor(BINS_PER_OCTAVE * log2(ms))`` (0 and 1 ms share bin 0)."""
    return math.floor(BINS_PER_OCTAVE * math.log2(max(duration_ms, 1)))


def bin_value(index: int) -> int:
    """The duration reported for a bin: the geometric middle of ``[2**(i/B), 2**((i+1)/B))``."""
    return round(2 ** ((index + 0.5) / BINS_PER_OCTAVE))


def _floor(moment: datetime, size: timedelta) -> datetime:
    return _EPOCH + ((moment - _EPOCH) // size) * size


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # a client without tz_aware: stored as UTC


def _period_id(level: str, start: datetime, url: str) -> str:
    return f"{level}|{start.isoformat()}|{url}"


def _key(jenkins_url: str, job: str, build: int) -> str:
    return f"{jenkins_url}|{job}|{build}"


@dataclass(frozen=True)
class Contribution:
    """What one build adds to the rollups."""

    jenkins_url: str
    job: str
    at: datetime
    status: str
    duration_ms: int | None

    @classmethod
    def of(cls, build: Document) -> Contribution | None:
        if not build.get("completed_at") or not build.get("status"):
            return None
        at = _utc(build["completed_at"])
        return cls(build["jenkins_url"], build["job"], at, build["status"], build.get("duration_ms"))

    def mark(self) -> Document:
        return {"at": self.at, "status": self.status, "duration_ms": self.duration_ms}

    def increments(self, sign: int) -> Document:
        inc: Document = {f"n.{self.status}": sign}
        if self.duration_ms is not None:
            inc["sum"] = sign * self.duration_ms
            inc[f"h.{duration_bin(self.duration_ms)}"] = sign
        return inc


#: Periods whose document this process has written (see :meth:`BuildRollups.record`).
_KNOWN_PERIODS: set[tuple[str, str, datetime, str]] = set()  # (collection, level, start, controller)


def _updates(
    changes: Iterable[tuple[Contribution, int]],
    *,
    namespaces: tuple[str, str] | None = None,
) -> tuple[list[UpdateOne], dict[tuple[str, datetime, str], UpdateOne]]:
    """``$inc`` upserts of the (level, period, controller, job) rollups touched by ``changes`` (contribution,
    +1 or -1), and of their periods' versions; with ``namespaces`` (the rollups' and the periods' collections)
    for a client-level bulkWrite."""
    rollups_ns, periods_ns = namespaces or (None, None)
    merged: dict[tuple[str, datetime, str, str], Document] = defaultdict(dict)
    for contribution, sign in changes:
        for level, size in LEVELS:
            target = merged[
                (level, _floor(contribution.at, size), contribution.jenkins_url, contribution.job)
            ]
            for path, amount in contribution.increments(sign).items():
                target[path] = target.get(path, 0) + amount
    rollups: list[UpdateOne] = []
    periods: dict[tuple[str, datetime, str], UpdateOne] = {}
    for (level, start, url, job), inc in merged.items():
        period = _period_id(level, start, url)
        on_insert = {"level": level, "start": start, "jenkins_url": url}
        rollups.append(
            UpdateOne(
                {"_id": f"{period}|{job}"},
                {"$inc": inc, "$setOnInsert": {**on_insert, "job": job}},
                upsert=True,
                namespace=rollups_ns,
            )
        )
        periods[(level, start, url)] = UpdateOne(
            {"_id": period}, {"$inc": {"v": 1}, "$setOnInsert": on_insert}, upsert=True, namespace=periods_ns
        )
    return rollups, periods


@dataclass
class FirstCount:
    """What counting a build for the first time writes (see :meth:`BuildRollups.first_count`)."""

    #: The build as counted (for :meth:`BuildRollups.record` when it was counted before).
    build: Document
    mark: InsertOne[Document]
    #: The rollups' ``$inc`` upserts, then the periods' bumps that are due.
    updates: list[UpdateOne]
    periods: dict[tuple[str, datetime, str], UpdateOne]


class BuildRollups:
    """The rollups of completed builds (the writes at ingest, and the rebuild)."""

    def __init__(self, db: Database[Document]) -> None:
        self._db = db
        self._rollups = db[ROLLUPS]
        self._periods = db[PERIODS]
        self._marks = db[MARKS]

    def record(self, build: Document) -> bool:
        """Make the rollups count ``build`` (a stored build document) as it is now; returns whether they changed.

        Idempotent: the same build twice changes nothing; a build whose status, duration or completion time
        changed moves from what was counted to what it is."""
        new = Contribution.of(build)
        if new is None:
            return False
        key = _key(build["jenkins_url"], build["job"], build["build"])
        changes: list[tuple[Contribution, int]] = [(new, 1)]
        try:  # the common case, a build completing for the first time: one round trip
            self._marks.insert_one({"_id": key, "v": 1, **new.mark()})
        except DuplicateKeyError:  # counted before (or by a concurrent delivery): move it if it changed
            mark = self._marks.find_one({"_id": key}) or {}
            old = Contribution(
                new.jenkins_url, new.job, _utc(mark["at"]), mark["status"], mark.get("duration_ms")
            )
            if old == new:
                return False
            swapped = self._marks.update_one(
                {"_id": key, "v": mark["v"]}, {"$set": {**new.mark(), "v": mark["v"] + 1}}
            )
            if swapped.modified_count != 1:  # a concurrent delivery moved it
                return False
            changes.append((old, -1))
        rollups, periods = _updates(changes)
        # Rollups first, then the periods' versions: a reader that packs in between is outdated by the bump.
        self._rollups.bulk_write(rollups, ordered=False)
        bumps = self._bumps(periods)
        if bumps:
            self._periods.bulk_write(bumps, ordered=False)
            self.periods_written(periods)
        return True

    def first_count(self, build: Document) -> FirstCount | None:
        """The writes that count a build completing for the first time, for the caller's own client-level
        bulkWrite (ordered; one round trip with the build's own writes): its mark's insert, then the rollups'
        ``$inc`` and the periods' bumps. None when the build does not count (not completed). If the mark's insert
        fails as a duplicate (counted before), what follows it must not run: call :meth:`record` instead; once
        they ran, :meth:`periods_written` with ``periods``."""
        new = Contribution.of(build)
        if new is None:
            return None
        mark = InsertOne(
            {"_id": _key(build["jenkins_url"], build["job"], build["build"]), "v": 1, **new.mark()},
            namespace=self._marks.full_name,
        )
        rollups, periods = _updates([(new, 1)], namespaces=(self._rollups.full_name, self._periods.full_name))
        return FirstCount(build, mark, [*rollups, *self._bumps(periods)], periods)

    def _bumps(self, periods: dict[tuple[str, datetime, str], UpdateOne]) -> list[UpdateOne]:
        """Of the periods' version bumps, those to write: a period that is still open cannot have been packed,
        so its document only has to exist, which this process remembers (one write per period and process
        instead of one per build). An ended one gets its bump."""
        now = datetime.now(UTC)
        where = self._periods.full_name
        return [
            update
            for (level, start, url), update in periods.items()
            if start + _SIZES[level] <= now or (where, level, start, url) not in _KNOWN_PERIODS
        ]

    def periods_written(self, periods: dict[tuple[str, datetime, str], UpdateOne]) -> None:
        """Remember that these periods' documents exist (see :meth:`_bumps`)."""
        if len(_KNOWN_PERIODS) > 10_000:
            _KNOWN_PERIODS.clear()
        _KNOWN_PERIODS.update((self._periods.full_name, *period) for period in periods)

    def rebuild(self, *, batch: int = 5000) -> int:
        """Drop the rollups and marks and recompute them from every completed build; returns the builds counted.

        For an upgrade (builds stored before rollups existed) or after a crash left a build out. The rollups are
        summed in memory (a few hundred bytes per job and period), each written once, closed periods packed.
        Ingest should be paused meanwhile: a build completed during the rebuild may be counted twice or not at
        all (run it again to be sure)."""
        for collection in (self._rollups, self._periods, self._marks):
            collection.delete_many({})
        sums: dict[tuple[str, datetime, str], dict[str, _Stats]] = defaultdict(lambda: defaultdict(_Stats))
        marks: list[Document] = []
        counted = 0
        projection = {
            "jenkins_url": 1,
            "job": 1,
            "build": 1,
            "status": 1,
            "duration_ms": 1,
            "completed_at": 1,
        }
        for build in self._db.builds.find({"completed_at": {"$ne": None}}, projection):
            contribution = Contribution.of(build)
            if contribution is None:
                continue
            for level, size in LEVELS:
                stats = sums[(level, _floor(contribution.at, size), contribution.jenkins_url)][
                    contribution.job
                ]
                stats.count(contribution)
            marks.append(
                {
                    "_id": _key(build["jenkins_url"], build["job"], build["build"]),
                    "v": 1,
                    **contribution.mark(),
                }
            )
            counted += 1
            if len(marks) >= batch:
                self._marks.insert_many(marks, ordered=False)
                marks.clear()
        if marks:
            self._marks.insert_many(marks, ordered=False)
        now = datetime.now(UTC)
        rollups: list[InsertOne[Document]] = []
        periods: list[InsertOne[Document]] = []
        for (level, start, url), jobs in sums.items():
            period = _period_id(level, start, url)
            head = {"level": level, "start": start, "jenkins_url": url}
            for job, stats in jobs.items():
                rollups.append(InsertOne({"_id": f"{period}|{job}", **head, "job": job, **stats.document()}))
            closed = start + _SIZES[level] + PACK_AFTER <= now
            packed = {PACK: _pack(jobs), "packed_v": 0, PACK_ID: uuid.uuid4().hex} if closed else {}
            periods.append(InsertOne({"_id": period, **head, "v": 0, **packed}))
        for requests, collection in ((rollups, self._rollups), (periods, self._periods)):
            for first in range(0, len(requests), 1000):
                collection.bulk_write(requests[first : first + 1000], ordered=False)
        return counted

    def backfill_if_missing(self) -> int:
        """Rebuild when there are completed builds but no rollups yet (the first start after an upgrade)."""
        if self._periods.find_one({}, {"_id": 1}) is not None:
            return 0
        if self._db.builds.find_one({"completed_at": {"$ne": None}}, {"_id": 1}) is None:
            return 0
        return self.rebuild()


def ensure_rollup_indexes(db: Database[Document]) -> None:
    db[ROLLUPS].create_index(
        [("level", ASCENDING), ("start", ASCENDING), ("jenkins_url", ASCENDING), ("job", ASCENDING)],
        name="rollup_period_job",
    )
    db[PERIODS].create_index(
        [("level", ASCENDING), ("start", ASCENDING), ("jenkins_url", ASCENDING)], name="rollup_period"
    )


def _cover(since: datetime, until: datetime, level: int) -> Iterator[tuple[str, datetime, datetime]]:
    """(level name, first start, end) ranges of rollup periods covering ``[since, until)``, both aligned to the
    finest level: whole coarse periods in the middle, finer ones at the ends."""
    name, size = LEVELS[level]
    if level == 0:
        if since < until:
            yield name, since, until
        return
    first, last = _floor(since + size - timedelta(microseconds=1), size), _floor(until, size)
    if first >= last:
        yield from _cover(since, until, level - 1)
        return
    yield from _cover(since, first, level - 1)
    yield name, first, last
    yield from _cover(last, until, level - 1)


@dataclass
class _Stats:
    """One job's figures over some periods: counts by status, the sum of durations, the histogram."""

    statuses: dict[str, int] = field(default_factory=dict)
    duration_sum: int = 0
    bins: dict[int, int] = field(default_factory=dict)

    def count(self, contribution: Contribution) -> None:
        self.statuses[contribution.status] = self.statuses.get(contribution.status, 0) + 1
        if contribution.duration_ms is not None:
            self.duration_sum += contribution.duration_ms
            index = duration_bin(contribution.duration_ms)
            self.bins[index] = self.bins.get(index, 0) + 1

    def add(self, statuses: dict[str, int], duration_sum: int, bins: Iterable[tuple[Any, int]]) -> None:
        mine = self.statuses
        for status, count in statuses.items():
            mine[status] = mine.get(status, 0) + count
        self.duration_sum += duration_sum
        histogram = self.bins
        for index, count in bins:  # ints from a pack, strings (field names) from a rollup document
            key = index if type(index) is int else int(index)
            histogram[key] = histogram.get(key, 0) + count

    def copy(self) -> _Stats:
        return _Stats(dict(self.statuses), self.duration_sum, dict(self.bins))

    def merge(self, other: _Stats) -> None:
        self.add(other.statuses, other.duration_sum, other.bins.items())

    def document(self) -> Document:
        return {"n": self.statuses, "sum": self.duration_sum, "h": {str(i): c for i, c in self.bins.items()}}

    @property
    def builds(self) -> int:
        return sum(self.statuses.values())

    def p95(self) -> int | None:
        timed = sum(self.bins.values())
        if timed <= 0:
            return None
        rank, seen = math.ceil(0.95 * timed), 0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return bin_value(index)
        return None  # not reached: the counts add up to ``timed``

    def shape(self) -> Document:
        builds, timed = self.builds, sum(self.bins.values())
        successes = self.statuses.get("SUCCESS", 0)
        return {
            "builds": builds,
            "successes": successes,
            "failures": self.statuses.get("FAILURE", 0),
            "unstable": self.statuses.get("UNSTABLE", 0),
            "aborted": self.statuses.get("ABORTED", 0),
            "success_rate": round(successes / builds, 4) if builds else None,
            "mean_duration_ms": round(self.duration_sum / timed) if timed > 0 else None,
            "p95_duration_ms": self.p95(),
        }


def _pack(jobs: dict[str, _Stats]) -> str:
    """A period's jobs as one JSON string: ``{job: [statuses, duration sum, [bin, count, bin, count, ...]]}``.

    The histogram is one flat list, not a list of pairs: decoding allocates one list per job instead of one per
    bin, which halves the time a 30-day window spends in ``json.loads``."""
    return json.dumps(
        {
            job: [s.statuses, s.duration_sum, [n for pair in s.bins.items() for n in pair]]
            for job, s in jobs.items()
        },
        separators=(",", ":"),
    )


def aligned_start(since: datetime) -> datetime:
    """The window's start as counted: rounded down to the hour (see the module docstring)."""
    return _floor(since, LEVELS[0][1])


def build_metrics(
    db: Database[Document],
    since: datetime,
    until: datetime,
    *,
    job: str | None = None,
    jenkins_url: str | None = None,
) -> Document:
    """``{"totals": {...}, "jobs": [{"job", ...}, ...]}`` for builds completed from the hour of ``since`` to
    ``until`` (the hour holding ``until`` is counted whole: nothing has completed after now)."""
    finest = LEVELS[0][1]
    start, end = aligned_start(since), _floor(until, finest) + finest
    now = datetime.now(UTC)
    packed: dict[str, Document] = {}  # pack token -> period document (without its pack)
    unpacked: list[Document] = []
    for level, first, last in _cover(start, end, len(LEVELS) - 1):
        query: Document = {"level": level, "start": {"$gte": first, "$lt": last}}
        if jenkins_url is not None:
            query["jenkins_url"] = jenkins_url
        for period in db[PERIODS].find(query, {PACK: 0, "packed": 0}):
            token = period.get(PACK_ID)
            if token is not None and period.get("packed_v") == period.get("v"):
                packed[token] = period
            else:
                unpacked.append(period)
    per_job: dict[str, _Stats] = defaultdict(_Stats)
    for name, stats in _merged_packs(db, packed, job, unpacked).items():
        per_job[name] = stats.copy()
    for period in unpacked:
        _read_period(db, period, job, now, per_job)
    totals = _Stats()
    rows = []
    for name, stats in per_job.items():
        if stats.builds > 0:
            totals.merge(stats)
            rows.append((name, stats))
    rows.sort(key=lambda row: (-row[1].builds, row[0]))
    return {
        "totals": totals.shape(),
        "jobs": [{"job": name, **stats.shape()} for name, stats in rows[:MAX_JOBS]],
    }


_MERGED: OrderedDict[tuple[str | None, tuple[str, ...]], dict[str, _Stats]] = OrderedDict()
_MERGED_LOCK = threading.Lock()


def _merged_packs(
    db: Database[Document], packed: dict[str, Document], job: str | None, unpacked: list[Document]
) -> dict[str, _Stats]:
    """The sum of the packed periods (``packed``: by pack token), kept under their tokens (read-only for the
    caller). A pack that changed since its period was listed goes to ``unpacked`` and is not kept."""
    key = (job, tuple(sorted(packed)))
    with _MERGED_LOCK:
        kept = _MERGED.get(key)
        if kept is not None:
            _MERGED.move_to_end(key)
            return kept
    merged: dict[str, _Stats] = defaultdict(_Stats)
    found = set()
    if packed:
        ids = [period["_id"] for period in packed.values()]
        for period in db[PERIODS].find({"_id": {"$in": ids}}, {PACK: 1, PACK_ID: 1, "v": 1, "packed_v": 1}):
            token, pack = period.get(PACK_ID), period.get(PACK)
            if token not in packed or pack is None or period.get("packed_v") != period.get("v"):
                continue  # re-packed or changed in between: read like an open period
            found.add(token)
            for name, (statuses, duration_sum, bins) in json.loads(pack).items():
                if job is None or name == job:
                    merged[name].add(statuses, duration_sum, zip(bins[::2], bins[1::2], strict=True))
    missing = [period for token, period in packed.items() if token not in found]
    if missing:
        unpacked.extend(missing)
        return merged
    result = dict(merged)
    with _MERGED_LOCK:
        _MERGED[key] = result
        while len(_MERGED) > MERGED_KEPT:
            _MERGED.popitem(last=False)
    return result


def _read_period(
    db: Database[Document], period: Document, job: str | None, now: datetime, into: dict[str, _Stats]
) -> None:
    """Add a period's rollups from its per-job documents, and pack it when it is closed and was read whole."""
    query: Document = {
        "level": period["level"],
        "start": period["start"],
        "jenkins_url": period["jenkins_url"],
    }
    if job is not None:
        query["job"] = job
    jobs: dict[str, _Stats] = defaultdict(_Stats)
    for doc in db[ROLLUPS].find(query, {"job": 1, "n": 1, "sum": 1, "h": 1}):
        jobs[doc["job"]].add(doc.get("n") or {}, doc.get("sum", 0), (doc.get("h") or {}).items())
    for name, stats in jobs.items():
        into[name].merge(stats)
    closed = _utc(period["start"]) + _SIZES[period["level"]] + PACK_AFTER <= now
    if closed and job is None:  # compare-and-set on the version read: a change since then wins
        db[PERIODS].update_one(
            {"_id": period["_id"], "v": period.get("v", 0)},
            {
                "$set": {PACK: _pack(jobs), "packed_v": period.get("v", 0), PACK_ID: uuid.uuid4().hex},
                "$unset": {"packed": ""},
            },
        )
