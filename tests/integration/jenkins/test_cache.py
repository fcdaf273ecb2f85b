"""The Redis cache of Jenkins reads: a second read costs Jenkins nothing, a write drops what it changed, Redis
failing only means no cache; hits and misses are counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from prometheus_client import REGISTRY

from tests.jenkins_double import JenkinsDouble
from tests.services import free_port
from worker.jenkins.cache import CachedJenkinsClient


def _client(double: JenkinsDouble, redis_url: str) -> CachedJenkinsClient:
    return CachedJenkinsClient(
        double.url, double.user, double.token, timeout=5.0, backoff=0.01, poll_interval=0.02,
        cache=redis.Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5),
    )  # fmt: skip


@pytest.fixture
def cached(jenkins_double: JenkinsDouble, redis_url: str) -> Iterator[CachedJenkinsClient]:
    client = _client(jenkins_double, redis_url)
    yield client
    client.close()


def _count(read: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "langchain_jenkins_jenkins_cache_requests_total", {"read": read, "result": result}
    )
    return value or 0.0


def test_plugins_are_read_once_and_dropped_after_an_install(
    cached: CachedJenkinsClient, jenkins_double: JenkinsDouble, redis_url: str
) -> None:
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.1")
    hits, misses = _count("plugins", "hit"), _count("plugins", "miss")
    first = cached.plugins()
    reads = jenkins_double.requests.count(("GET", "/pluginManager/api/python"))
    assert cached.plugins() == first  # from Redis, same typed answer
    assert jenkins_double.requests.count(("GET", "/pluginManager/api/python")) == reads
    assert (_count("plugins", "hit") - hits, _count("plugins", "miss") - misses) == (1, 1)
    ttl = redis.Redis.from_url(redis_url).ttl(cached._key("plugins"))
    assert 0 < ttl <= 600

    cached.install_plugin("git")  # a dry run changes nothing: the entry stays
    assert jenkins_double.requests.count(("GET", "/pluginManager/api/python")) == reads
    cached.install_plugin("git", confirm=True)
    git = next(p for p in cached.plugins() if p.short_name == "git")
    assert git.version == "5.2.1"  # read again after the install, not the stale 4.0.0
    assert jenkins_double.requests.count(("GET", "/pluginManager/api/python")) == reads + 1


def test_a_job_status_is_dropped_when_this_client_starts_a_build(
    cached: CachedJenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("team/app")
    jenkins_double.add_build("team/app", 1, "SUCCESS", "ok\n")
    assert cached.job_status("team/app").last_build == 1
    jenkins_double.add_build("team/app", 2, "FAILURE", "no\n")  # changed behind our back: TTL-bounded
    assert cached.job_status("team/app").last_build == 1
    queued = cached.trigger_build("team/app")
    cached.wait_for_build_number(queued, timeout=5, poll_interval=0.01)
    assert cached.job_status("team/app").last_build == 3
    assert cached.jobs() == ["team/app"] and cached.jobs() == ["team/app"]


def test_without_redis_every_read_goes_to_jenkins(jenkins_double: JenkinsDouble) -> None:
    client = _client(jenkins_double, f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert client.plugins() == client.plugins()
        assert jenkins_double.requests.count(("GET", "/pluginManager/api/python")) == 2
    finally:
        client.close()
