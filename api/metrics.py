"""Prometheus metrics of the API process: ``langchain_jenkins_api_<noun>_<unit>``, low-cardinality labels.

``endpoint`` is the URL rule (``/api/v1/jobs/<path:job>/builds``), never the concrete path, so the number of
series stays bounded whatever clients request; unmatched paths share the label ``<unmatched>``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "langchain_jenkins_api_requests_total",
    "HTTP requests answered by the API, by method, URL rule and status code.",
    ["method", "endpoint", "status"],
)
REQUEST_SECONDS = Histogram(
    "langchain_jenkins_api_request_duration_seconds",
    "Time to produce a response (for streams: until the first byte), by method and URL rule.",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASKS_ENQUEUED = Counter(
    "langchain_jenkins_api_tasks_enqueued_total",
    "Tasks the API handed to the broker, by task name.",
    ["task"],
)
