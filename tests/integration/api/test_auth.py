"""Every /api/v1 route refuses a missing, malformed, unknown, forged or expired token with 401."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.blueprints.docs import is_public
from tests.integration.api.conftest import AUTH

JWT_SECRET = "test-jwt-secret-of-at-least-32-bytes!!"  # what tests.services.make_settings configures

# One concrete request per route (method, path), so a new route without a row here fails the coverage test.
ROUTES = [
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/tasks"),
    ("GET", "/api/v1/tasks/0b6f8d9e-1111-4222-8333-444455556666"),
    ("GET", "/api/v1/tasks/0b6f8d9e-1111-4222-8333-444455556666/stream"),
    ("POST", "/api/v1/tasks/0b6f8d9e-1111-4222-8333-444455556666/confirm"),
    ("GET", "/api/v1/jobs/team/api-service/builds"),
    ("POST", "/api/v1/jobs/team/api-service/builds"),
    ("GET", "/api/v1/jobs/team/api-service/builds/7"),
    ("GET", "/api/v1/jobs/team/api-service/builds/7/analysis"),
    ("POST", "/api/v1/jobs/team/api-service/builds/7/abort"),
    ("POST", "/api/v1/jobs/team/api-service/builds/7/rebuild"),
    ("GET", "/api/v1/jobs/team/api-service/flaky"),
    ("GET", "/api/v1/jobs/team/api-service/status"),
    ("GET", "/api/v1/queue"),
    ("POST", "/api/v1/pipelines/validate"),
    ("GET", "/api/v1/plugins"),
    ("POST", "/api/v1/plugins/git/install"),
    ("POST", "/api/v1/analyze"),
    ("GET", "/api/v1/metrics/builds"),
    ("POST", "/api/v1/jobs/team/api-service/builds/42/feedback"),
    ("POST", "/api/v1/queue/5/cancel"),
    ("GET", "/api/v1/no-such-route"),  # unknown routes under /api/v1 reveal nothing without a token
]


def test_the_route_table_covers_every_api_route(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, path in ROUTES:
        try:
            rule, _ = adapter.match(path, method=method, return_rule=True)
        except Exception:
            continue
        covered.add((method, rule.rule))
    api_rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1") and not is_public(rule.rule)  # the description and its page
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert api_rules <= covered, f"routes without an auth test: {sorted(api_rules - covered)}"


def _assert_401(response_json: dict[str, object], www_authenticate: str | None, fragment: str) -> None:
    error = response_json["error"]
    assert isinstance(error, dict)
    assert error["code"] == "unauthorized"
    assert fragment in str(error["message"])
    assert www_authenticate is not None and www_authenticate.startswith("Bearer ")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_rejects_request_without_token(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 401
    _assert_401(response.get_json(), response.headers.get("WWW-Authenticate"), "missing Authorization header")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_rejects_unknown_static_token(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    _assert_401(response.get_json(), response.headers.get("WWW-Authenticate"), "invalid token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_rejects_expired_jwt(client: FlaskClient, method: str, path: str) -> None:
    now = int(time.time())
    expired = jwt.encode({"sub": "ci", "iat": now - 600, "exp": now - 300}, JWT_SECRET, algorithm="HS256")
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    _assert_401(response.get_json(), response.headers.get("WWW-Authenticate"), "token expired")


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
        ("Bearer", "must be 'Bearer <token>'"),
        (
            f"Bearer {jwt.encode({'sub': 'ci', 'exp': int(time.time()) + 60}, 'x' * 40, algorithm='HS256')}",
            "invalid",
        ),
        (f"Bearer {jwt.encode({'sub': 'ci'}, JWT_SECRET, algorithm='HS256')}", "'exp' claim is required"),
        (
            f"Bearer {jwt.encode({'exp': int(time.time()) + 60}, JWT_SECRET, algorithm='HS256')}",
            "'sub' claim",
        ),
    ],
    ids=["basic-scheme", "empty-bearer", "forged-signature", "no-exp", "no-sub"],
)
def test_rejects_malformed_or_forged_credentials(client: FlaskClient, header: str, fragment: str) -> None:
    response = client.get("/api/v1/jobs/team/api-service/builds", headers={"Authorization": header})
    assert response.status_code == 401
    _assert_401(response.get_json(), response.headers.get("WWW-Authenticate"), fragment)


def test_rejects_unsigned_jwt(client: FlaskClient) -> None:
    """``alg: none`` must never be accepted, whatever the token claims."""
    unsigned = jwt.encode({"sub": "ci", "exp": int(time.time()) + 60}, "", algorithm="none")
    response = client.get(
        "/api/v1/jobs/team/api-service/builds", headers={"Authorization": f"Bearer {unsigned}"}
    )
    assert response.status_code == 401


def test_accepts_static_token_and_issued_jwt(client: FlaskClient, jwt_for: Callable[..., str]) -> None:
    assert client.get("/api/v1/jobs/team/api-service/builds", headers=AUTH).status_code == 200
    token = jwt_for("jenkins-prod")
    response = client.get(
        "/api/v1/jobs/team/api-service/builds", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def test_refuses_everything_when_no_auth_is_configured(make_app: Callable[..., Flask]) -> None:
    app = make_app(API_TOKENS="", JWT_SECRET=None)
    app_settings = app.extensions["langchain_jenkins"].settings
    assert not app_settings.static_api_tokens and app_settings.jwt_secret is None
    response = app.test_client().get("/api/v1/jobs/team/api-service/builds", headers=AUTH)
    assert response.status_code == 401
    assert "set API_TOKENS or JWT_SECRET" in response.get_json()["error"]["message"]


def test_health_and_metrics_need_no_token(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
