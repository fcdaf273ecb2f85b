"""How much work waits in the broker: a Prometheus collector that reads Redis when scraped.

Celery's Redis transport (kombu) keeps each queue as a Redis list (``LPUSH`` by producers, ``BRPOP`` by workers;
with priorities, extra lists ``<queue>\\x06\\x16<priority>``) and every message a worker has taken but not yet
acknowledged (``acks_late``: until its task finished) in the ``unacked`` hash, indexed by the ``unacked_index``
sorted set. Read at scrape time, so the numbers are exact whoever runs the workers; the API's ``/metrics`` serves
them (every API replica reports the same values: aggregate with ``max``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

#: kombu's separator and default priority steps for the sub-lists of a queue.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)
UNACKED_INDEX = "unacked_index"
#: The queue the API sends every task to (Celery's default queue).
DEFAULT_QUEUES = ("celery",)


def waiting(client: redis.Redis, queue: str) -> int:
    """Messages waiting in ``queue`` (its list and its priority lists)."""
    names = [queue, *(f"{queue}{PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS)]
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.llen(name)
        return int(sum(pipe.execute()))


def unacked(client: redis.Redis) -> int:
    """Messages delivered to a worker and not yet acknowledged (running, or lost with a crashed worker)."""
    return int(client.zcard(UNACKED_INDEX))  # type: ignore[arg-type]  # sync client


class QueueDepthCollector(Collector):
    """``langchain_jenkins_queue_messages{queue}`` and ``langchain_jenkins_queue_unacked_messages``, plus
    ``langchain_jenkins_queue_up`` (0 when Redis did not answer the scrape)."""

    def __init__(self, client: redis.Redis, queues: Sequence[str] = DEFAULT_QUEUES) -> None:
        self._client, self._queues = client, tuple(queues)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("langchain_jenkins_queue_up", "1 if the broker (Redis) answered this scrape.")
        depth = GaugeMetricFamily(
            "langchain_jenkins_queue_messages", "Messages waiting in a Celery queue (LLEN).", labels=["queue"]
        )
        taken = GaugeMetricFamily(
            "langchain_jenkins_queue_unacked_messages",
            "Messages taken by a worker and not yet acknowledged (tasks running, or of a worker that died).",
        )
        try:
            samples: Iterable[tuple[str, int]] = [(q, waiting(self._client, q)) for q in self._queues]
            in_flight = unacked(self._client)
        except Exception:  # Redis down or odd: the scrape still answers, and says so
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue, count in samples:
            depth.add_metric([queue], count)
        taken.add_metric([], in_flight)
        yield from (up, depth, taken)
