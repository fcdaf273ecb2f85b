"""Tokens: static ones compared in constant time, HS256 JWTs with exp and sub required."""

from __future__ import annotations

import time

import jwt
import pytest

from api.auth import (
    AuthError,
    Principal,
    auth_configured,
    bearer_token,
    issue_token,
    static_subject,
    verify_token,
)
from tests.services import make_settings
from worker.settings import Settings

SECRET = "unit-test-jwt-secret-long-enough-for-hs512-too-" + "x" * 24


def settings(**env: str | None) -> Settings:
    return make_settings(API_TOKENS="alpha,beta", JWT_SECRET=SECRET, **env)


def test_issued_token_verifies_with_its_subject() -> None:
    s = settings()
    token = issue_token(s, "jenkins-prod", 60)
    assert verify_token(token, s) == Principal(subject="jenkins-prod", method="jwt")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 60 and claims["jti"]


def test_issued_token_defaults_to_configured_ttl() -> None:
    s = settings(JWT_TTL_SECONDS="120")
    claims = jwt.decode(issue_token(s, "ci"), SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 120


def test_issue_token_needs_secret_subject_and_positive_ttl() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET is not set"):
        issue_token(make_settings(JWT_SECRET=None), "ci")
    with pytest.raises(ValueError, match="subject"):
        issue_token(settings(), "  ")
    with pytest.raises(ValueError, match="ttl_seconds"):
        issue_token(settings(), "ci", 0)


def test_static_tokens_are_accepted_under_a_hashed_subject() -> None:
    principal = verify_token("beta", settings())
    assert principal.method == "static"
    assert principal.subject == static_subject("beta") and "beta" not in principal.subject
    assert static_subject("alpha") != static_subject("beta")


@pytest.mark.parametrize("token", ["gamma", "alph", "alpha,beta", "", "a.b.c"])
def test_unknown_tokens_are_rejected(token: str) -> None:
    with pytest.raises(AuthError, match="invalid token"):
        verify_token(token, settings())


def test_expired_token_is_rejected_beyond_the_leeway() -> None:
    now = int(time.time())
    stale = jwt.encode({"sub": "ci", "exp": now - 60}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="token expired") as info:
        verify_token(stale, settings())
    assert info.value.status == 401
    assert 'error="invalid_token"' in info.value.headers["WWW-Authenticate"]
    # A few seconds of clock skew are tolerated.
    skewed = jwt.encode({"sub": "ci", "exp": now - 2}, SECRET, algorithm="HS256")
    assert verify_token(skewed, settings()).subject == "ci"


@pytest.mark.parametrize(
    ("claims", "key", "algorithm", "message"),
    [
        ({"sub": "ci"}, SECRET, "HS256", "'exp' claim is required"),
        ({"exp": 4102444800}, SECRET, "HS256", "'sub' claim is required"),
        ({"sub": "ci", "exp": 4102444800}, "another-secret-that-is-32-bytes-long!", "HS256", "invalid token"),
        ({"sub": "ci", "exp": 4102444800}, SECRET, "HS512", "invalid token"),
        ({"sub": "ci", "exp": 4102444800}, "", "none", "invalid token"),
    ],
    ids=["no-exp", "no-sub", "wrong-secret", "other-algorithm", "unsigned"],
)
def test_bad_jwts_are_rejected(claims: dict[str, object], key: str, algorithm: str, message: str) -> None:
    token = jwt.encode(claims, key, algorithm=algorithm)
    with pytest.raises(AuthError, match=message):
        verify_token(token, settings())


def test_jwt_is_rejected_when_only_static_tokens_are_configured() -> None:
    token = issue_token(settings(), "ci", 60)
    with pytest.raises(AuthError, match="invalid token"):
        verify_token(token, make_settings(API_TOKENS="alpha", JWT_SECRET=None))


def test_nothing_is_accepted_without_configuration() -> None:
    bare = make_settings(API_TOKENS="", JWT_SECRET=None)
    assert not auth_configured(bare)
    with pytest.raises(AuthError, match="set API_TOKENS or JWT_SECRET"):
        verify_token("", bare)


@pytest.mark.parametrize(
    ("header", "token"), [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER a.b.c", "a.b.c")]
)
def test_bearer_token_is_read_from_the_header(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing Authorization header"),
        ("", "missing"),
        ("Basic abc", "Bearer <token>"),
        ("Bearer ", "Bearer"),
    ],
)
def test_bad_authorization_headers_are_rejected(header: str | None, message: str) -> None:
    with pytest.raises(AuthError, match=message) as info:
        bearer_token(header)
    assert info.value.code == "unauthorized"
    assert info.value.headers["WWW-Authenticate"].startswith('Bearer realm="langchain-jenkins"')


def _signed(claims: dict[str, object]) -> str:
    return jwt.encode({"sub": "ci", "exp": int(time.time()) + 60, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    ("claims", "scopes"),
    [
        ({"scope": "read"}, {"read"}),
        ({"scope": "analyze"}, {"read", "analyze"}),
        ({"scope": "operate read"}, {"read", "operate"}),
        ({"scopes": ["admin"]}, {"read", "analyze", "operate", "admin"}),
        ({}, {"read", "analyze", "operate", "admin"}),  # a token from before scopes keeps what it had
    ],
)
def test_jwt_scopes_come_from_the_scope_or_scopes_claim(claims: dict[str, object], scopes: set[str]) -> None:
    assert verify_token(_signed(claims), settings()).scopes == scopes


@pytest.mark.parametrize(
    "claims", [{"scope": "read root"}, {"scope": 3}, {"scopes": [1]}, {"scopes": {"a": 1}}]
)
def test_jwt_with_unknown_or_malformed_scopes_is_refused(claims: dict[str, object]) -> None:
    with pytest.raises(AuthError, match="invalid token"):
        verify_token(_signed(claims), settings())


def test_issue_token_writes_scopes_and_refuses_unknown_ones() -> None:
    token = issue_token(settings(), "ci", 60, scopes=["analyze", "operate"])
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["scope"] == "analyze operate"
    assert verify_token(token, settings()).scopes == {"read", "analyze", "operate"}
    with pytest.raises(ValueError, match="unknown scope 'root'"):
        issue_token(settings(), "ci", scopes=["root"])
    with pytest.raises(ValueError, match="at least one scope"):
        issue_token(settings(), "ci", scopes=[])


def test_static_token_scopes_follow_the_last_colon_when_all_are_scopes() -> None:
    s = make_settings(API_TOKENS="jenkins:analyze,ops:read+operate,odd:token:value,plain", JWT_SECRET=SECRET)
    assert verify_token("jenkins", s).scopes == {"read", "analyze"}
    assert verify_token("ops", s).scopes == {"read", "operate"}
    assert verify_token("odd:token:value", s).scopes == {"read", "analyze", "operate", "admin"}
    assert verify_token("plain", s).allows("admin")
    assert verify_token("ops", s).subject == static_subject("ops")
    with pytest.raises(AuthError):
        verify_token("jenkins:analyze", s)
