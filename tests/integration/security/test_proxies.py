"""Behind reverse proxies: X-Forwarded-* headers count only as far as TRUSTED_PROXIES says (api/proxy.py).

The rate limit of unauthenticated requests is per client address, so whose address the API believes decides
whether one client can spend another's budget (or dodge its own by sending a header)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from api.proxy import TrustedNetworks
from worker.settings import parse_trusted_proxies

PROXY = "10.1.2.3"
EVENT = {"jenkins_url": "https://ci.example.com", "job": "team/api", "build": 7, "status": "FAILURE"}


def _statuses(app: Flask, forwarded_for: str, n: int, peer: str = PROXY) -> list[int]:
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for}
    return [
        client.get("/api/v1/tasks/x", headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code
        for _ in range(n)
    ]


@pytest.mark.parametrize("trusted", ["1", "10.0.0.0/8", "192.168.0.1, 10.1.2.3"])
def test_rate_limit_is_per_forwarded_client_behind_a_trusted_proxy(
    make_app: Callable[..., Flask], trusted: str
) -> None:
    app = make_app(RATE_LIMIT="2/minute", TRUSTED_PROXIES=trusted)
    # Two clients behind the same proxy: one spends its budget, the other still has its own.
    assert _statuses(app, "203.0.113.7", 3) == [401, 401, 429]
    assert _statuses(app, "203.0.113.8", 1) == [401]


def test_without_trusted_proxies_the_header_is_ignored(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATE_LIMIT="2/minute")
    # A client cannot pick a fresh rate-limit key per request by inventing X-Forwarded-For.
    assert _statuses(app, "203.0.113.7", 2) + _statuses(app, "203.0.113.8", 1) == [401, 401, 429]


def test_a_peer_outside_the_trusted_networks_is_taken_as_the_client(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATE_LIMIT="2/minute", TRUSTED_PROXIES="10.0.0.0/8")
    direct = "198.51.100.9"  # reaches the API without the proxy, sending a forged header each time
    assert _statuses(app, "203.0.113.1", 2, peer=direct) + _statuses(app, "203.0.113.2", 1, peer=direct) == [
        401,
        401,
        429,
    ]


def test_links_use_the_forwarded_scheme_host_and_prefix(make_app: Callable[..., Flask]) -> None:
    app = make_app(TRUSTED_PROXIES="1")
    headers = {
        "Authorization": "Bearer test-token",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "assistant.example.com",
        "X-Forwarded-Prefix": "/ai",
    }
    response = app.test_client().post(
        "/api/v1/tasks", json={"task": "why?"}, headers=headers, environ_base={"REMOTE_ADDR": PROXY}
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    task_id = response.get_json()["task_id"]
    assert response.get_json()["status_url"] == f"/ai/api/v1/tasks/{task_id}"
    assert response.headers["Location"] == f"https://assistant.example.com/ai/api/v1/tasks/{task_id}"
    event = app.test_client().post(
        "/api/v1/events", json=EVENT, headers=headers, environ_base={"REMOTE_ADDR": PROXY}
    )
    assert event.headers["Location"].startswith("https://assistant.example.com/ai/api/v1/jobs/team/api/")


def test_untrusted_forwarded_scheme_and_host_are_ignored(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    headers = {
        "Authorization": "Bearer test-token",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
    }
    response = app.test_client().post("/api/v1/tasks", json={"task": "why?"}, headers=headers)
    assert response.headers["Location"].startswith("http://localhost/api/v1/tasks/")


@pytest.mark.parametrize(
    ("peer", "chain", "hops"),
    [
        ("10.0.0.5", "203.0.113.7", 1),  # one trusted proxy
        ("10.0.0.5", "203.0.113.7, 10.0.0.9", 2),  # a trusted load balancer, then a trusted ingress
        ("10.0.0.5", "10.0.0.7, 10.0.0.9", 2),  # everyone internal: the leftmost is the client
        ("10.0.0.5", "203.0.113.7, 198.51.100.1, 10.0.0.9", 2),  # stops at the first untrusted address
        ("198.51.100.1", "203.0.113.7", 0),  # the peer is no proxy of ours
        ("10.0.0.5", "", 0),  # a proxy that forwarded nothing
        ("10.0.0.5", "not-an-ip", 1),  # the client's own address is not checked, only the proxies'
    ],
)
def test_hops_counts_trusted_proxies_from_the_peer_back(peer: str, chain: str, hops: int) -> None:
    networks = parse_trusted_proxies("10.0.0.0/8")
    assert isinstance(networks, tuple)
    fix = TrustedNetworks(lambda environ, start: [], networks)
    assert fix.hops(peer, chain) == hops


@pytest.mark.parametrize(
    ("value", "message"),
    [("11", "at most 10 hops"), ("10.0.0.0/8, nginx", "'nginx' is neither"), ("-1", "is neither")],
)
def test_bad_trusted_proxies_are_refused_at_start(
    make_api_settings: Callable[..., Any], value: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_api_settings(TRUSTED_PROXIES=value)
