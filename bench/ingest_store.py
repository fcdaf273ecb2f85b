"""What the ingest path's MongoDB writes cost the server as its collections grow: SecantusDB's CPU time per event,
every ``--step`` events, for the worker's own writes (``BuildRepository.upsert_event`` with a green build's
"resolve the job's open failures" update, one client-level bulkWrite per event, as ``builds.ingest_event``
writes them), against a bare ``secantusd-py`` on a free loopback port, with no worker, API or Redis beside it.

``--analyses N`` first stores N failures (a third still open) spread over the same jobs, so the resolve update
has analyses to find, as it does in a deployment; ``--drop-index NAME`` drops one of ``ensure_indexes``' indexes
first (to measure without it); other ``secantusd-py`` options go after ``--``.

    python -m bench.ingest_store --builds 50000 --analyses 3000
    python -m bench.ingest_store --builds 50000 --analyses 3000 --drop-index open_failures   # before it
    python -m bench.ingest_store --builds 50000 -- --oplog-max-entries 10000000             # SecantusDB's oplog
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pymongo

from bench.ingest import _port, _tree_cpu_seconds, _wait

URL = "https://ci.example.com"
JOBS = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--builds", type=int, default=20_000, help="events to write (each a new green build)")
    parser.add_argument("--step", type=int, default=5000, help="print the CPU per event every this many")
    parser.add_argument("--analyses", type=int, default=0, help="failures stored first")
    parser.add_argument(
        "--drop-index", action="append", default=[], help="an index on analyses to drop first"
    )
    parser.add_argument("server_args", nargs="*", help="more secantusd-py options (after --)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from worker.models import BuildEvent
    from worker.storage import ensure_indexes
    from worker.storage.repositories import AnalysisRepository, BuildRepository

    port = _port()
    server = subprocess.Popen(
        ["secantusd-py", "--storage-path", ":memory:", "--port", str(port), *args.server_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"mongodb://127.0.0.1:{port}"
        client: pymongo.MongoClient = pymongo.MongoClient(url, tz_aware=True)  # type: ignore[type-arg]
        _wait(lambda: client.admin.command("ping"), "SecantusDB")
        db = client.bench_ingest_store
        ensure_indexes(db)
        for name in args.drop_index:
            db.analyses.drop_index(name)
        if args.analyses:
            db.analyses.insert_many(
                {"jenkins_url": URL, "job": f"bench/job-{n % JOBS}", "build": n, "category": "test",
                 "fingerprint": f"f{n % 97}", "summary": "a failure " * 20,
                 **({} if n % 3 == 0 else {"resolution": {"build": n + 1, "commit": None, "fix": "fixed"}})}
                for n in range(args.analyses)
            )  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.1f}; {args.analyses} analyses; indexes on analyses: "
              f"{sorted(db.analyses.index_information())}", flush=True)  # fmt: skip
        builds, analyses = BuildRepository(db), AnalysisRepository(db)
        cpu, started = _tree_cpu_seconds(server.pid), time.perf_counter()
        for n in range(args.builds):
            event = BuildEvent.model_validate(
                {"jenkins_url": URL, "job": f"bench/job-{n % JOBS}", "build": 10_000_000 + n, "event": "completed",
                 "status": "SUCCESS", "duration_ms": 60_000 + n % 5000}
            )  # fmt: skip
            builds.upsert_event(event, if_new=[analyses.resolved_write(URL, event.job, event.build, None)])
            if (n + 1) % args.step == 0:
                now_cpu, now = _tree_cpu_seconds(server.pid), time.perf_counter()
                print(f"{n + 1:7d} builds: SecantusDB {1000 * (now_cpu - cpu) / args.step:6.2f} ms CPU per event, "
                      f"{1000 * (now - started) / args.step:6.2f} ms wall", flush=True)  # fmt: skip
                cpu, started = now_cpu, now
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
