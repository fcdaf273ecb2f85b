"""Bearer-token authentication: static API tokens and HS256 JWTs.

Two kinds of token are accepted in ``Authorization: Bearer <token>``:

- a static token listed in ``API_TOKENS`` (compared in constant time), for the Jenkins shared library and
  other machines; its subject is ``static:<first 12 hex digits of its SHA-256>`` so logs and rate-limit keys
  never carry the token itself;
- a JWT signed with ``JWT_SECRET`` (HS256 only, ``exp`` and ``sub`` required), issued by :func:`issue_token` /
  ``jenkins-ai token``; its subject is the ``sub`` claim.

With neither configured every request is refused (401): an API that silently runs open is worse than one that
tells the operator how to configure it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Literal

import jwt

from api.errors import APIError
from worker.settings import MIN_JWT_SECRET_BYTES, Settings

ALGORITHM = "HS256"
#: Clock skew tolerated between the issuer and this server, in seconds.
LEEWAY_SECONDS = 10
#: RFC 7518 3.2: an HS256 key at least as long as the hash output (Settings refuses a shorter JWT_SECRET).
MIN_SECRET_BYTES = MIN_JWT_SECRET_BYTES
REALM = "langchain-jenkins"


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``subject`` names the client in logs and rate-limit keys."""

    subject: str
    method: Literal["static", "jwt"]


class AuthError(APIError):
    """401 with the ``WWW-Authenticate`` challenge of RFC 6750."""

    def __init__(self, message: str, *, invalid_token: bool = True) -> None:
        challenge = f'Bearer realm="{REALM}"'
        if invalid_token:
            # Quotes cannot appear inside the quoted-string; our messages contain none.
            challenge += f', error="invalid_token", error_description="{message}"'
        super().__init__(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def auth_configured(settings: Settings) -> bool:
    """True when at least one way of authenticating is configured."""
    return bool(settings.static_api_tokens) or settings.jwt_secret is not None


def issue_token(settings: Settings, subject: str, ttl_seconds: int | None = None) -> str:
    """A JWT for ``subject`` valid ``ttl_seconds`` (default: ``JWT_TTL_SECONDS``), signed with JWT_SECRET."""
    if settings.jwt_secret is None:
        raise ValueError("JWT_SECRET is not set: it is needed to sign tokens")
    if not subject.strip():
        raise ValueError("subject must not be blank")
    ttl = settings.jwt_ttl_seconds if ttl_seconds is None else ttl_seconds
    if ttl <= 0:
        raise ValueError("ttl_seconds must be positive")
    now = int(time.time())
    claims = {"sub": subject.strip(), "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def bearer_token(header: str | None) -> str:
    """The token in an ``Authorization`` header; :class:`AuthError` when absent or not a Bearer token."""
    if not header:
        raise AuthError(
            "missing Authorization header; send 'Authorization: Bearer <token>'", invalid_token=False
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def static_subject(token: str) -> str:
    """A stable, non-secret name for a static token."""
    return "static:" + hashlib.sha256(token.encode()).hexdigest()[:12]


def verify_token(token: str, settings: Settings) -> Principal:
    """Check ``token`` against the static tokens, then as a JWT; :class:`AuthError` if neither accepts it."""
    if not auth_configured(settings):
        raise AuthError(
            "authentication is not configured on this server: set API_TOKENS or JWT_SECRET",
            invalid_token=False,
        )
    encoded = token.encode()
    # Compare with every configured token (no early exit): timing says nothing about which one nearly matched.
    matched = False
    for candidate in settings.static_api_tokens:
        matched |= hmac.compare_digest(encoded, candidate.encode())
    if matched:
        return Principal(subject=static_subject(token), method="static")
    if settings.jwt_secret is None or token.count(".") != 2:
        raise AuthError("invalid token")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],  # never trust the token's own "alg" header
            options={"require": ["exp", "sub"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(f"invalid token: the '{exc.claim}' claim is required") from None
    except jwt.InvalidTokenError:
        raise AuthError("invalid token") from None
    return Principal(subject=str(claims["sub"]), method="jwt")
