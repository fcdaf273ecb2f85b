"""Ingest throughput: events/s through the API (``jenkins-ai serve``, gunicorn) -> Redis -> the worker
(``jenkins-ai worker``) -> MongoDB (SecantusDB), next to a raw Celery no-op task rate measured in the same run.

Goals (issue 15): end-to-end events/s of the order of the raw no-op rate or better (the API is not the
bottleneck), enqueue latency p99 <= 5 ms, no memory growth of the worker or the API.

Starts its own Redis, SecantusDB and Jenkins double on free loopback ports, then:

1. raw Celery: for each count in ``--clients`` (1 and 8), that many threads call ``send_task`` on a no-op task
   (``bench/_noop.py``) until ``--events`` are sent (or ``--seconds`` pass); a worker with the same
   ``--concurrency`` runs them; rate = tasks / time until the last one ran;
2. the API alone (no worker runs yet: nothing else competes for the CPU): the same threads POST as many
   completed-build events (each a new build) to ``/api/v1/events``; enqueue latency is each POST's answer time
   (202 means queued in Redis), and the API's and Redis' CPU time per event is printed;
3. the worker alone: it is started and drains that backlog into MongoDB (SecantusDB): its rate, and the CPU
   time per event of the worker and SecantusDB;
4. end to end: the same senders with the worker running; rate = events / time until the last build is stored
   in MongoDB, with each process's CPU time per event (API, worker, SecantusDB, Redis: every process of each),
   i.e. where the machine's time went. With ``--minutes``, events are then sent for that long at 80 % of the
   measured rate (so no backlog grows), printing the API's and the worker's RSS (every process of each) once a
   minute, so a plateau can be told from growth. RSS is also printed after the warm-up and after the runs; then
   the API's ``/metrics`` size and answer time, and Redis' memory: task results kept (``builds.ingest_event`` keeps
   none) and ``used_memory`` after the warm-up and after the runs.

``python -m bench.ingest_store`` measures SecantusDB alone under the worker's ingest writes as it grows.

    python -m bench.ingest                     # ~60 s on an idle machine
    python -m bench.ingest --minutes 10        # sustained: 10 minutes of events, RSS each minute
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pymongo
import redis
import requests

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
MB = 1 << 20


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start within {timeout:.0f} s")


def _tree_rss_mb(pid: int) -> float:
    """RSS of a process and its descendants (gunicorn's and Celery's workers), MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live descendants, s."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _signal_tree(pid: int, signum: int) -> None:
    """Send ``signum`` to a process and its descendants (SIGSTOP/SIGCONT: pause and resume the worker)."""
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            os.kill(current, signum)
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def _flood(
    clients: int, seconds: float, send: object, rate: float | None = None, limit: int = 10**9
) -> tuple[int, list[float]]:
    """``clients`` threads call ``send(n)`` for ``seconds`` or ``limit`` calls, whichever comes first (paced to
    ``rate``/s overall when given); returns how many were sent and each call's duration (ms)."""
    latencies: list[float] = []
    counter = iter(range(10**9))
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    interval = clients / rate if rate else 0.0

    def run() -> None:
        mine: list[float] = []
        next_at = time.monotonic()
        while time.monotonic() < stop:
            with lock:
                n = next(counter)
            if n >= limit:
                break
            t0 = time.perf_counter()
            try:
                send(n)  # type: ignore[operator]
            except BaseException as exc:  # say so, and stop this sender (a thread's SystemExit is silent)
                print(f"sender stopped: {exc!r}", file=sys.stderr)
                break
            mine.append((time.perf_counter() - t0) * 1000)
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies


def _drain(done: object, target: int, timeout: float, idle: object = None) -> float:
    """Wait until ``done()`` reaches ``target``; returns when (monotonic). ``idle()``, when given, is a cheap
    test that must hold first (the queue is empty): counting builds costs SecantusDB a scan of the collection,
    so polling it alone would slow down the very drain it times, more so as the collection grows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if idle is not None and not idle():  # type: ignore[operator]
            time.sleep(0.02)
            continue
        if done() >= target:  # type: ignore[operator]
            return time.monotonic()
        time.sleep(0.2)
    raise SystemExit(f"only {done()} of {target} done after {timeout:.0f} s")  # type: ignore[operator]


def _report(label: str, sent: int, started: float, finished: float, latencies: list[float]) -> float:
    rate = sent / (finished - started)
    print(
        f"{label:24s} {sent:6d} in {finished - started:6.1f} s = {rate:7.1f}/s   "
        f"enqueue p50 {statistics.median(latencies):5.2f} ms  p99 {_percentile(latencies, 0.99):6.2f} ms"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="how long each phase sends at most")
    parser.add_argument("--events", type=int, default=1000, help="how many each phase sends at most")
    parser.add_argument("--minutes", type=float, default=0, help="sustained run: send events this long")
    parser.add_argument(
        "--rate", type=float, default=0, help="sustained run: events/s (default: 80%% of the measured)"
    )
    parser.add_argument(
        "--clients", default="1,8", help="concurrent senders: each count is one phase of each kind (1,8)"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (both workers)")
    parser.add_argument("--api-workers", type=int, default=2)
    args = parser.parse_args()
    client_counts = [int(n) for n in str(args.clients).split(",")]

    sys.path.insert(0, str(REPO))
    from tests.jenkins_double.server import JenkinsDouble

    workdir = Path(tempfile.mkdtemp(prefix="lj-bench-ingest-"))
    redis_port, mongo_port, api_port = _port(), _port(), _port()
    redis_url, mongo_url = f"redis://127.0.0.1:{redis_port}/0", f"mongodb://127.0.0.1:{mongo_port}"
    jenkins = JenkinsDouble().start()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JENKINS_", "MONGO_", "REDIS_"))
    }
    env.update(
        REDIS_URL=redis_url, MONGO_URL=mongo_url, MONGO_DB="bench_ingest", API_TOKENS=TOKEN,
        JWT_SECRET="bench-jwt-secret-of-32-bytes-or-more", RATE_LIMIT="100000000/minute", LOG_LEVEL="WARNING",
        JENKINS_URL=jenkins.url, JENKINS_USER=jenkins.user, JENKINS_TOKEN=jenkins.token, PYTHONPATH=str(REPO),
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),  # as deployed: gunicorn's processes share it
    )  # fmt: skip
    jenkins_ai = shutil.which(
        "jenkins-ai", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    logs = {
        name: (workdir / f"{name}.log").open("wb") for name in ("redis", "mongo", "noop", "api", "worker")
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str, command: list[str]) -> subprocess.Popen[bytes]:
        procs[name] = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=logs[name], stderr=subprocess.STDOUT
        )
        return procs[name]

    try:
        start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--dir", str(workdir)])  # fmt: skip
        start("mongo", ["secantusd-py", "--storage-path", ":memory:", "--port", str(mongo_port)])
        r = redis.Redis.from_url(redis_url)
        mongo: pymongo.MongoClient = pymongo.MongoClient(mongo_url)  # type: ignore[type-arg]
        _wait(r.ping, "Redis")
        _wait(lambda: mongo.admin.command("ping"), "SecantusDB")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
              f"(other work on this machine slows every figure)")  # fmt: skip

        # 1. Raw Celery: a no-op task, the same Redis, the same worker concurrency, task events on as ours.
        env_noop = {**env, "PYTHONPATH": str(REPO)}
        procs["noop"] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench._noop", "worker", "--events", "--loglevel=WARNING",
             f"--concurrency={args.concurrency}", "-Q", "bench-noop"],
            env=env_noop, cwd=REPO, stdout=logs["noop"], stderr=subprocess.STDOUT,
        )  # fmt: skip
        os.environ["REDIS_URL"] = redis_url
        from bench._noop import DONE_KEY
        from bench._noop import app as noop_app

        noop_app.conf.broker_url = redis_url
        noop_app.send_task("bench.noop", queue="bench-noop")
        _wait(lambda: int(r.get(DONE_KEY) or 0) >= 1, "the no-op worker")
        raw_rates: dict[int, float] = {}
        for clients in client_counts:
            r.delete(DONE_KEY)
            started = time.monotonic()
            sent, latencies = _flood(
                clients,
                args.seconds,
                lambda n: noop_app.send_task("bench.noop", queue="bench-noop"),
                limit=args.events,
            )
            finished = _drain(lambda: int(r.get(DONE_KEY) or 0), sent, timeout=600)
            raw_rates[clients] = _report(
                f"raw no-op, {clients} sender(s)", sent, started, finished, latencies
            )
        noop_worker = procs.pop("noop")
        noop_worker.terminate()
        noop_worker.wait(timeout=60)

        # 2. The API alone: events pile up in Redis while the worker is paused (SIGSTOP), competing for no CPU.
        start("api", [str(jenkins_ai), "serve", "--host", "127.0.0.1", "--port", str(api_port),
                      "--workers", str(args.api_workers)])  # fmt: skip
        start(
            "worker", [str(jenkins_ai), "worker", f"--concurrency={args.concurrency}", "--loglevel=WARNING"]
        )
        url = f"http://127.0.0.1:{api_port}"
        _wait(lambda: requests.get(f"{url}/healthz", timeout=1).ok, "the API")
        builds = mongo["bench_ingest"].builds
        sessions = threading.local()
        headers = {"Authorization": f"Bearer {TOKEN}"}
        run_id = 1  # warm-up builds 10M+n, the measured ones 20M+n, ...

        def post(n: int) -> None:
            session = getattr(sessions, "s", None) or requests.Session()
            sessions.s = session
            event = {"jenkins_url": jenkins.url, "job": f"bench/job-{n % 50}", "build": run_id * 10_000_000 + n,
                     "event": "completed", "status": "SUCCESS", "duration_ms": 60_000 + n % 5000}  # fmt: skip
            response = session.post(f"{url}/api/v1/events", json=event, headers=headers, timeout=30)
            if response.status_code != 202:
                raise SystemExit(f"event refused: {response.status_code} {response.text[:300]}")

        def queue_idle() -> bool:
            """No task waits or runs: the queue and kombu's unacknowledged set (acks_late: a task is acknowledged
            once its build is stored) are empty."""
            return int(r.llen("celery")) == 0 and int(r.hlen("unacked")) == 0  # type: ignore[arg-type]

        def cpu_now(names: tuple[str, ...]) -> dict[str, float]:
            return {name: _tree_cpu_seconds(procs[name].pid) for name in names}

        def cpu_line(before: dict[str, float], count: int) -> str:
            """Where the machine's time went: CPU ms per event of each process (and its children)."""
            return "    CPU ms per event: " + ", ".join(
                f"{name} {1000 * (_tree_cpu_seconds(procs[name].pid) - was) / max(count, 1):.2f}"
                for name, was in before.items()
            )

        # Warm-up: every API and worker process has handled a few events (imports, connections, indexes).
        sent, _ = _flood(max(client_counts), 3, post, limit=max(client_counts) * 5)
        _drain(lambda: builds.estimated_document_count(), sent, timeout=300)
        _signal_tree(procs["worker"].pid, signal.SIGSTOP)
        backlog = 0
        for clients in client_counts:
            run_id += 1
            cpu = cpu_now(("api", "redis"))
            started = time.monotonic()
            sent, latencies = _flood(clients, args.seconds, post, limit=args.events)
            _report(f"API alone, {clients} sender(s)", sent, started, time.monotonic(), latencies)
            print(cpu_line(cpu, sent))
            backlog += sent

        # 3. The worker alone: it drains that backlog.
        base = builds.estimated_document_count()
        cpu = cpu_now(("worker", "mongo", "redis"))
        started = time.monotonic()
        _signal_tree(procs["worker"].pid, signal.SIGCONT)
        finished = _drain(lambda: builds.estimated_document_count() - base, backlog, 7200, queue_idle)
        print(f"{'worker alone (backlog)':24s} {backlog:6d} in {finished - started:6.1f} s = "
              f"{backlog / (finished - started):7.1f}/s")  # fmt: skip
        print(cpu_line(cpu, backlog))

        def measure(
            label: str, clients: int, seconds: float, rate: float | None, limit: int, sample_every: float = 0
        ) -> tuple[float, list[float]]:
            nonlocal run_id
            run_id += 1
            base = builds.estimated_document_count()
            cpu = cpu_now(("api", "worker", "mongo", "redis"))
            started = time.monotonic()
            stop = threading.Event()

            def sample() -> None:
                """RSS over time (a plateau, or growth), and each process's CPU per event stored since the last
                sample (SecantusDB's grows with its collections)."""
                last_cpu, last_stored = dict(cpu), 0
                while not stop.wait(sample_every):
                    stored = builds.estimated_document_count() - base
                    now_cpu = cpu_now(tuple(cpu))
                    per_event = ", ".join(
                        f"{name} {1000 * (now_cpu[name] - last_cpu[name]) / max(stored - last_stored, 1):.2f}"
                        for name in now_cpu
                    )
                    last_cpu, last_stored = now_cpu, stored
                    print(f"    at {(time.monotonic() - started) / 60:4.1f} min: RSS API "
                          f"{_tree_rss_mb(procs['api'].pid):.1f} MB, worker {_tree_rss_mb(procs['worker'].pid):.1f} MB;"
                          f" {stored} stored; CPU ms per event: {per_event}", flush=True)  # fmt: skip

            sampler = threading.Thread(target=sample, daemon=True)
            if sample_every:
                sampler.start()
            try:
                sent, latencies = _flood(clients, seconds, post, rate, limit)
                finished = _drain(lambda: builds.estimated_document_count() - base, sent, 7200, queue_idle)
            finally:
                stop.set()
            rate = _report(label, sent, started, finished, latencies)
            print(cpu_line(cpu, sent))
            return rate, latencies

        rss = [(_tree_rss_mb(procs["api"].pid), _tree_rss_mb(procs["worker"].pid))]
        redis_used = [int(r.info("memory")["used_memory"]) / MB]  # type: ignore[index]
        print(f"RSS after warm-up: API {rss[0][0]:.1f} MB, worker {rss[0][1]:.1f} MB; "
              f"Redis used_memory {redis_used[0]:.1f} MB")  # fmt: skip
        # 4. End to end.
        rates: dict[int, float] = {}
        for clients in client_counts:
            rates[clients], latencies = measure(
                f"events, {clients} sender(s)", clients, args.seconds, None, args.events
            )
        rss.append((_tree_rss_mb(procs["api"].pid), _tree_rss_mb(procs["worker"].pid)))
        for clients in client_counts:
            print(f"{clients} sender(s): events/s vs raw no-op {rates[clients] / raw_rates[clients]:.2f}x"
                  "   [goal: >= 1x order]")  # fmt: skip
        print("enqueue p99 goal: <= 5 ms")
        if args.minutes:
            # Paced below what the whole path carries, so no backlog grows: memory is then what it holds.
            clients = max(client_counts)
            rate = args.rate or 0.8 * rates[clients]
            print(f"sustained: {args.minutes:g} min at {rate:.1f} events/s, {clients} senders")
            measure("sustained", clients, args.minutes * 60, rate, 10**9, sample_every=60)
            rss.append((_tree_rss_mb(procs["api"].pid), _tree_rss_mb(procs["worker"].pid)))
        for index, name in enumerate(("API", "worker")):
            figures = " -> ".join(f"{r[index]:.1f}" for r in rss)
            print(f"{name:6s} RSS MB after warm-up -> after the run{' -> after sustained' if args.minutes else ''}: "
                  f"{figures} ({rss[-1][index] - rss[0][index]:+.1f} MB)")  # fmt: skip
        # Redis: a task result is kept for ``result_expires`` (24 h), a store that would grow with the rate until
        # the first results expire (``builds.ingest_event`` stores none): how many there are, what one costs and
        # what a day of them at the measured rate would be; and Redis' memory after the warm-up and now.
        kept = sum(1 for _ in r.scan_iter(match="celery-task-meta-*", count=1000))
        sample = next(r.scan_iter(match="celery-task-meta-*", count=1000), None)
        each = int(r.memory_usage(sample) or 0) if sample is not None else 0  # type: ignore[arg-type]
        redis_used.append(int(r.info("memory")["used_memory"]) / MB)  # type: ignore[index]
        day = max(rates.values()) * 86_400 * each / MB
        print(f"Redis: {kept} task results kept (24 h), ~{each} bytes each (MEMORY USAGE); a day of results at "
              f"{max(rates.values()):.0f} events/s: ~{day:,.0f} MB; used_memory MB after warm-up -> after the "
              f"run: {redis_used[0]:.1f} -> {redis_used[1]:.1f} ({redis_used[1] - redis_used[0]:+.1f} MB)")  # fmt: skip
        # The API's Prometheus endpoint after the run (every process's samples summed): its size and speed.
        times, series = [], 0
        for _ in range(5):
            t0 = time.perf_counter()
            text = requests.get(f"{url}/metrics", timeout=30).text
            times.append((time.perf_counter() - t0) * 1000)
            series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        print(f"API /metrics: {series} series, answered in {statistics.median(times):.1f} ms (median of 5)")
    finally:
        if "worker" in procs:
            _signal_tree(procs["worker"].pid, signal.SIGCONT)  # if it was left paused
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        jenkins.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
