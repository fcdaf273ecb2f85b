"""Workers report Jenkins reachability through Redis; the API's /readyz shows it without calling Jenkins."""

from __future__ import annotations

from typing import Any

import redis
import requests

from tests.services import wait_until
from worker.health import JenkinsHealthReporter, read_report
from worker.jenkins import JenkinsClient


def test_readyz_shows_jenkins_as_last_reported_by_a_worker(api_server: Any, jenkins_double: Any) -> None:
    client = redis.Redis.from_url(api_server.settings.redis_url)
    assert read_report(client)["ok"] is None  # nobody has reported yet

    jenkins = JenkinsClient(jenkins_double.url, jenkins_double.user, jenkins_double.token)
    reporter = JenkinsHealthReporter(jenkins.ping, client, interval=0.2)
    reporter.start()
    try:
        wait_until(lambda: read_report(client)["ok"] is True, timeout=10, what="a Jenkins health report")
        body = requests.get(f"{api_server.url}/readyz", timeout=10).json()
        assert body["status"] == "ready"
        assert body["jenkins"]["ok"] is True and body["jenkins"]["latency_ms"] >= 0
    finally:
        reporter.stop()
        reporter.join(timeout=5)


def test_unreachable_jenkins_is_reported_with_the_reason(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    jenkins = JenkinsClient("http://127.0.0.1:9", "user", "token", timeout=1.0, retries=0)
    reporter = JenkinsHealthReporter(jenkins.ping, client, interval=0.2)
    reporter.start()
    try:
        wait_until(
            lambda: read_report(client)["ok"] is False, timeout=15, what="a failed Jenkins health report"
        )
        assert read_report(client)["error"]
    finally:
        reporter.stop()
        reporter.join(timeout=5)
