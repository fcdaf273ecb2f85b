"""Prometheus metrics of the worker processes (names: ``langchain_jenkins_<noun>_<unit>``, low-cardinality labels).

Celery runs tasks in several forked processes; with ``PROMETHEUS_MULTIPROC_DIR`` set (as in the compose file),
prometheus-client writes each process's samples to that folder and :func:`start_metrics_server` serves them all
from the worker's main process.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, start_http_server

TASKS = Counter(
    "langchain_jenkins_tasks_total",
    "Tasks finished by the worker, by task name and outcome.",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "langchain_jenkins_task_duration_seconds",
    "Wall time of a task, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
ANALYSES = Counter(
    "langchain_jenkins_analyses_total", "Failure analyses stored, by failure category.", ["category"]
)
LOG_BYTES = Counter("langchain_jenkins_log_bytes_total", "Console-log bytes analysed.")
ANALYSIS_SECONDS = Histogram(
    "langchain_jenkins_analysis_duration_seconds",
    "Time spent in the analysis engine per build (excluding the log download).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RECURRING_FAILURES = Counter(
    "langchain_jenkins_recurring_failures_total",
    "Analyses whose fingerprint was seen before (a failure that came back).",
    ["category"],
)
LLM_FAILURES = Counter(
    "langchain_jenkins_llm_failures_total",
    "Calls to the LLM that failed (outage, timeout, bad answer); the work went on without it, by stage.",
    ["stage"],
)
JENKINS_UP = Gauge(
    "langchain_jenkins_jenkins_up",
    "1 if the last check of Jenkins from this worker succeeded, 0 if not (checked every 30 s).",
    multiprocess_mode="liveall",
)
JENKINS_CACHE = Counter(
    "langchain_jenkins_jenkins_cache_requests_total",
    "Cached Jenkins reads (plugins, jobs, job_status), by read and result (hit or miss).",
    ["read", "result"],
)
LLM_TOKENS = Counter(
    "langchain_jenkins_llm_tokens_total",
    "Tokens sent to (input) and received from (output) the LLM, as the server reported them, by model.",
    ["model", "direction"],
)
LLM_CALLS = Counter(
    "langchain_jenkins_llm_calls_total",
    "Calls to the LLM, by model and outcome (ok or error).",
    ["model", "outcome"],
)
LLM_CALL_SECONDS = Histogram(
    "langchain_jenkins_llm_call_duration_seconds",
    "Latency of one LLM call (the whole reply), by model.",
    ["model"],
    buckets=(0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
)


def start_metrics_server(port: int, *, multiprocess_dir: str | None) -> None:
    """Serve the metrics of every worker process on ``port`` (call once, in the main process)."""
    if multiprocess_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, registry=registry)
    else:
        start_http_server(port)
