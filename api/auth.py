"""Bearer-token authentication: static API tokens and HS256 JWTs.

Two kinds of token are accepted in ``Authorization: Bearer <token>``:

- a static token listed in ``API_TOKENS`` (compared in constant time), for the Jenkins shared library and
  other machines; its subject is ``static:<first 12 hex digits of its SHA-256>`` so logs and rate-limit keys
  never carry the token itself;
- a JWT signed with ``JWT_SECRET`` (HS256 only, ``exp`` and ``sub`` required), issued by :func:`issue_token` /
  ``jenkins-ai token``; its subject is the ``sub`` claim.

With neither configured every request is refused (401): an API that silently runs open is worse than one that
tells the operator how to configure it.

**Scopes** (least privilege): every ``/api/v1`` route needs one of :data:`SCOPES` (``@operation(scope=...)``,
checked in ``api.app``; 403 names the missing scope). ``read`` sees results; ``analyze`` sends build events,
log uploads and agent tasks (and reads, so the Jenkins steps need nothing else); ``operate`` triggers, aborts and
rebuilds builds and cancels queue items (and reads); ``admin`` installs plugins and can do everything. A JWT
carries them in its ``scope`` claim (space-separated, RFC 8693) or ``scopes`` (a list); a static token as a
suffix, ``API_TOKENS=tok1:analyze,tok2:read+operate``. A token that names no scope at all (a bare static token,
a JWT from before scopes) keeps the full access it had; ``jenkins-ai token`` always writes scopes.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Sequence
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

Scope = Literal["read", "analyze", "operate", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "analyze", "operate", "admin")
#: What each scope grants: itself and the scopes it implies (a caller who may act may see what it did).
GRANTS: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "analyze": frozenset({"read", "analyze"}),
    "operate": frozenset({"read", "operate"}),
    "admin": frozenset(SCOPES),
}
ALL_SCOPES = frozenset(SCOPES)
#: What ``jenkins-ai token`` grants when no ``--scope`` is given: what the Jenkins shared library needs.
DEFAULT_CLI_SCOPES: tuple[Scope, ...] = ("analyze",)


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``subject`` names the client in logs and rate-limit keys; ``scopes`` what it may do
    (already expanded through :data:`GRANTS`)."""

    subject: str
    method: Literal["static", "jwt"]
    scopes: frozenset[str] = ALL_SCOPES

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def granted(names: Iterable[str]) -> frozenset[str]:
    """The scopes ``names`` grant, implied ones included; :class:`ValueError` names an unknown one."""
    out: set[str] = set()
    for name in names:
        if name not in GRANTS:
            raise ValueError(f"unknown scope {name!r}: scopes are {', '.join(SCOPES)}")
        out |= GRANTS[name]
    return frozenset(out)


class ForbiddenError(APIError):
    """403: the token is valid but lacks the scope this route (or tool) needs; RFC 6750 ``insufficient_scope``."""

    def __init__(self, scope: str, what: str) -> None:
        message = f"this token lacks the '{scope}' scope needed to {what}"
        challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
        super().__init__(403, "forbidden", message, headers={"WWW-Authenticate": challenge})


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


def issue_token(
    settings: Settings,
    subject: str,
    ttl_seconds: int | None = None,
    *,
    scopes: Sequence[str] = SCOPES,
) -> str:
    """A JWT for ``subject`` valid ``ttl_seconds`` (default: ``JWT_TTL_SECONDS``) with ``scopes`` in its
    ``scope`` claim, signed with JWT_SECRET."""
    if settings.jwt_secret is None:
        raise ValueError("JWT_SECRET is not set: it is needed to sign tokens")
    if not subject.strip():
        raise ValueError("subject must not be blank")
    ttl = settings.jwt_ttl_seconds if ttl_seconds is None else ttl_seconds
    if ttl <= 0:
        raise ValueError("ttl_seconds must be positive")
    if not scopes:
        raise ValueError(f"at least one scope is needed: {', '.join(SCOPES)}")
    granted(scopes)  # unknown names fail here, not at the first request
    now = int(time.time())
    claims = {
        "sub": subject.strip(),
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(dict.fromkeys(scopes)),
    }
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


def static_tokens(settings: Settings) -> list[tuple[str, frozenset[str]]]:
    """(token, granted scopes) of each ``API_TOKENS`` entry: ``token`` (every scope) or ``token:scope+scope``.

    The suffix counts as scopes only when every ``+``-separated name in it is one, so a token that itself
    contains ``:`` still works as written."""
    out = []
    for entry in sorted(settings.static_api_tokens):
        token, sep, suffix = entry.rpartition(":")
        names = suffix.split("+")
        if sep and token and all(name in GRANTS for name in names):
            out.append((token, granted(names)))
        else:
            out.append((entry, ALL_SCOPES))
    return out


def _claimed_scopes(claims: dict[str, object]) -> frozenset[str]:
    """The scopes of a verified JWT: ``scope`` (space-separated) or ``scopes`` (a list); neither: all (a token
    from before scopes existed, signed by someone holding JWT_SECRET). An unknown name is refused (401): a
    token minted for another service or a newer version must not be half-understood."""
    raw = claims.get("scope", claims.get("scopes"))
    if raw is None:
        return ALL_SCOPES
    names = raw.split() if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AuthError("invalid token: the 'scope' claim must be a space-separated string or a list")
    try:
        return granted(names)
    except ValueError as exc:
        raise AuthError(f"invalid token: {exc}") from None


def verify_token(token: str, settings: Settings) -> Principal:
    """Check ``token`` against the static tokens, then as a JWT; :class:`AuthError` if neither accepts it."""
    if not auth_configured(settings):
        raise AuthError(
            "authentication is not configured on this server: set API_TOKENS or JWT_SECRET",
            invalid_token=False,
        )
    encoded = token.encode()
    # Compare with every configured token (no early exit): timing says nothing about which one nearly matched.
    matched: frozenset[str] | None = None
    for candidate, scopes in static_tokens(settings):
        if hmac.compare_digest(encoded, candidate.encode()):
            matched = scopes
    if matched is not None:
        return Principal(subject=static_subject(token), method="static", scopes=matched)
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
    return Principal(subject=str(claims["sub"]), method="jwt", scopes=_claimed_scopes(claims))
