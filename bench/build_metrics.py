"""Latency of ``GET /api/v1/metrics/builds`` on 100k stored builds (target: < 100 ms), and its exactness.

Starts its own SecantusDB (MongoDB wire) and Redis on free loopback ports, fills the builds collection with
``--builds`` completed builds spread over 30 days and 200 jobs (inserted directly, as builds stored before the
rollups existed), runs the rollups' backfill (timed), and times the real route through the real app served over
a loopback socket (Werkzeug, threaded; one HTTP request per connection) for 7- and 30-day windows over all jobs
and one job. Prints the first (cold: packs decoded and merged) request's time, then the median and the 95th
percentile of ``--runs`` more, and checks each answer against the exact figures computed here from the generated
builds: counts and mean equal, p95 within the histogram's bound. ``--test-client`` times Flask's test client
instead (no socket).

    python -m bench.build_metrics            # 100k builds
    python -m bench.build_metrics --builds 20000 --runs 10
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
import redis


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: object, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def _fill(db: pymongo.database.Database, builds: int, seed: int) -> list[dict]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    kept = []
    now = datetime.now(UTC)
    statuses = ["SUCCESS"] * 80 + ["FAILURE"] * 12 + ["UNSTABLE"] * 6 + ["ABORTED"] * 2
    batch = []
    for n in range(builds):
        job = f"team-{n % 20}/service-{n % 200}"
        batch.append(
            {
                "jenkins_url": "https://ci.example.com",
                "job": job,
                "build": n + 1,
                "status": rng.choice(statuses),
                "duration_ms": int(rng.lognormvariate(11, 0.8)),
                "completed_at": now - timedelta(seconds=rng.uniform(0, 30 * 86400)),
                "analysis_status": "none",
            }
        )
        kept.append(dict(batch[-1]))
        if len(batch) == 5000:
            db.builds.insert_many(batch, ordered=False)
            batch = []
    if batch:
        db.builds.insert_many(batch, ordered=False)
    return kept


def _check(body: dict, builds: list[dict], job: str | None) -> str:  # type: ignore[type-arg]
    """The route's answer against the exact figures of the same window; raises on a mismatch."""
    since = datetime.fromisoformat(body["window"]["from"])
    chosen = [b for b in builds if b["completed_at"] >= since and (job is None or b["job"] == job)]
    durations = sorted(b["duration_ms"] for b in chosen)
    totals = body["totals"]
    assert totals["builds"] == len(chosen), (totals["builds"], len(chosen))
    assert totals["successes"] == sum(b["status"] == "SUCCESS" for b in chosen)
    assert totals["mean_duration_ms"] == round(sum(durations) / len(durations))
    exact = durations[math.ceil(0.95 * len(durations)) - 1]
    error = totals["p95_duration_ms"] / exact - 1
    assert abs(error) <= 2 ** (1 / 16) - 1 + 1e-3, error
    return f"exact counts+mean; p95 {totals['p95_duration_ms']} vs exact {exact} ({error:+.1%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--builds", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--test-client", action="store_true", help="Flask's test client instead of a socket")
    args = parser.parse_args()

    from api.app import create_app
    from worker.settings import Settings
    from worker.storage import ensure_indexes
    from worker.storage.build_metrics import BuildRollups

    workdir = Path(tempfile.mkdtemp(prefix="lj-bench-metrics-"))
    mongo_port, redis_port = _port(), _port()
    secantus = shutil.which("secantusd-py") or "secantusd-py"
    procs = [
        subprocess.Popen(
            [secantus, "--storage-path", ":memory:", "--port", str(mongo_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
        ),
    ]
    try:
        mongo_url, redis_url = f"mongodb://127.0.0.1:{mongo_port}", f"redis://127.0.0.1:{redis_port}/0"
        client: pymongo.MongoClient = pymongo.MongoClient(mongo_url, tz_aware=True)  # type: ignore[type-arg]
        _wait(lambda: client.admin.command("ping"), "SecantusDB")
        _wait(lambda: redis.Redis.from_url(redis_url).ping(), "Redis")
        db = client["bench_metrics"]
        started = time.perf_counter()
        ensure_indexes(db)
        builds = _fill(db, args.builds, args.seed)
        print(f"{args.builds} builds stored and indexed in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        counted = BuildRollups(db).rebuild()
        rollups = db.build_rollups.count_documents({})
        print(
            f"backfill: {counted} builds into {rollups} rollup documents in {time.perf_counter() - started:.1f} s"
        )

        settings = Settings(
            REDIS_URL=redis_url, MONGO_URL=mongo_url, MONGO_DB="bench_metrics", API_TOKENS="bench",
            RATE_LIMIT="1000000/minute", LOG_LEVEL="WARNING",
        )  # fmt: skip
        app = create_app(settings)
        headers = {"Authorization": "Bearer bench"}
        if args.test_client:
            http = app.test_client()

            def get(url: str) -> dict:  # type: ignore[type-arg]
                response = http.get(url, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                return response.get_json()  # type: ignore[no-any-return]
        else:
            from werkzeug.serving import make_server

            server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            base = f"http://127.0.0.1:{server.server_port}"

            def get(url: str) -> dict:  # type: ignore[type-arg]
                with urllib.request.urlopen(urllib.request.Request(base + url, headers=headers)) as response:
                    return json.loads(response.read())  # type: ignore[no-any-return]

        print("through " + ("Flask's test client" if args.test_client else "a loopback socket (Werkzeug)"))
        one = "team-3/service-3"
        for label, url, job in (
            ("7 days, all jobs", "/api/v1/metrics/builds", None),
            ("7 days, one job", f"/api/v1/metrics/builds?job={one}", one),
            ("30 days, all jobs", "/api/v1/metrics/builds?hours=720", None),
            ("30 days, one job", f"/api/v1/metrics/builds?hours=720&job={one}", one),
        ):
            t0 = time.perf_counter()
            body = get(url)  # the first one (cold), and a correctness check
            cold = (time.perf_counter() - t0) * 1000
            checked = _check(body, builds, job)
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                get(url)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(
                f"{label:18s} builds={body['totals']['builds']:6d} jobs={len(body['jobs']):3d}  first {cold:6.1f} ms  "
                f"median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  [target < 100 ms]  {checked}"
            )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
