"""The raw Celery baseline of ``bench/ingest.py``: a task that does nothing but count itself (one Redis INCR, so
the benchmark knows when every task ran), on the same Redis, with default Celery settings."""

from __future__ import annotations

import os

import redis
from celery import Celery

app = Celery("bench-noop", broker=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(task_ignore_result=True, task_default_queue="bench-noop")
_counter: redis.Redis | None = None

DONE_KEY = "bench:noop:done"


@app.task(name="bench.noop")
def noop() -> None:
    global _counter
    if _counter is None:
        _counter = redis.Redis.from_url(os.environ["REDIS_URL"])
    _counter.incr(DONE_KEY)
