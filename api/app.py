"""The Flask application factory.

The API is thin: it authenticates, rate-limits and validates a request, hands work to the queue by task name
(202), and reads finished results from MongoDB. It never imports LangChain, never talks to Jenkins and never
waits for a worker. Creating the app connects to nothing; clients are made on first use (``api.services``).

Request pipeline, in order: request id -> rate limit (keyed by token subject, else client address) -> bearer
authentication (everything under ``/api/v1``) -> view -> metrics and an access-log line. One exception keeps the
order's effect: a build event (``CHARGED_IN_PUBLISH``) from a caller whose token is valid and has the route's
scope takes the same hit on the same key inside its publish (one Redis round trip for both), or, when refused
before publishing (a bad body), on its own; anyone else's event is limited before authentication as above.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import redis.exceptions
import structlog
from celery import Celery
from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import RedisStorage

from api import auth
from api.blueprints import analyze, builds, docs, events, health, jenkins, metrics, pages, plugins, tasks
from api.errors import APIError, error_response, register_error_handlers
from api.metrics import REQUEST_SECONDS, REQUESTS
from api.openapi import operation_of, required_scope
from api.proxy import trust_proxies
from api.queue import RateCharge
from api.services import EXTENSION_KEY, Services, services
from api.validation import BoundedInt, check_path_bounds
from worker.links import PAGE_PATH
from worker.logging import get_logger
from worker.settings import Settings, get_settings
from worker.storage import StorageUnavailable

log = get_logger(__name__)

API_PREFIX = "/api/v1"
#: Flask-Limiter's key prefix for this API's budgets in Redis.
RATE_LIMIT_KEY_PREFIX = "langchain_jenkins_api"
#: Routes whose rate-limit hit is taken in the same Redis script as their publish (one round trip): the view
#: passes ``g.rate_charge`` to ``TaskQueue.send`` (and to ``TaskQueue.charge`` when it refuses the request).
CHARGED_IN_PUBLISH = frozenset({"events.post_event"})
REQUEST_ID_HEADER = "X-Request-ID"
#: Client-supplied request ids are echoed only if harmless in logs and headers.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Seconds between heartbeat comments on an idle event stream, and the longest a stream stays open.
SSE_HEARTBEAT_SECONDS = 15.0
SSE_MAX_SECONDS = 300.0


def create_app(settings: Settings | None = None, *, celery: Celery | None = None, db: Any = None) -> Flask:
    """Build the API.

    ``celery`` (a producer-only Celery app) and ``db`` (a pymongo ``Database``) may be passed to share clients
    the caller already has; by default they are created from ``settings`` on first use.
    """
    settings = settings or get_settings()
    app = Flask(__name__, static_folder=None)  # an API: no /static route (the docs page serves its own files)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SSE_HEARTBEAT_SECONDS=SSE_HEARTBEAT_SECONDS,
        SSE_MAX_SECONDS=SSE_MAX_SECONDS,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order
    # The client's own address, scheme and host behind reverse proxies: only as far as TRUSTED_PROXIES says.
    app.wsgi_app = trust_proxies(app.wsgi_app, settings.trusted_proxy_hops)  # type: ignore[method-assign,assignment]
    app.extensions[EXTENSION_KEY] = Services(settings, celery=celery, db=db)

    register_error_handlers(app)
    app.register_error_handler(redis.exceptions.ConnectionError, _redis_unavailable)
    app.register_error_handler(redis.exceptions.TimeoutError, _redis_unavailable)
    app.register_error_handler(StorageUnavailable, _storage_unavailable)

    # Order matters: the request id first (every later log line carries it), then the rate limit, then auth.
    app.before_request(_start_request)
    limiter = _create_limiter(app, settings)  # registers its own before_request hook, in the order above
    app.before_request(_authenticate)
    app.before_request(check_path_bounds)  # after auth: a 404 must not answer a caller who gets a 401
    app.after_request(_finish_request)
    app.teardown_request(_clear_log_context)

    app.url_map.converters["int"] = BoundedInt  # before any route: rules bind their converters when added
    for blueprint in (
        events.bp,
        tasks.bp,
        builds.bp,
        plugins.bp,
        jenkins.bp,
        analyze.bp,
        health.bp,
        metrics.bp,
        pages.bp,
    ):
        app.register_blueprint(blueprint)
    docs.register(app)  # GET /api/v1/openapi.json and the /api/v1/docs page, no token needed
    # Feedback through a signed link needs no account, so each link gets its own budget.
    limited: Any = limiter.limit(settings.feedback_rate_limit, key_func=pages.feedback_rate_key)
    app.view_functions["pages.feedback"] = limited(app.view_functions["pages.feedback"])

    if not auth.auth_configured(settings):
        log.warning(
            "auth_not_configured",
            message="every /api/v1 request will be refused (401): set API_TOKENS (comma-separated static "
            "tokens) and/or JWT_SECRET (then issue tokens with `jenkins-ai token NAME`)",
        )
    return app


def _create_limiter(app: Flask, settings: Settings) -> Limiter:
    """Flask-Limiter on Redis: one budget per token subject (or client address) shared by every API route."""

    def rate_limit_key() -> str:
        principal = _principal_or_none(settings)
        return f"sub:{principal.subject}" if principal else f"addr:{get_remote_address()}"

    limiter = Limiter(
        rate_limit_key,
        app=app,
        application_limits=[settings.rate_limit],
        storage_uri=settings.redis_url,
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1},
        strategy="moving-window",
        key_prefix=RATE_LIMIT_KEY_PREFIX,
        # A Redis outage must not turn requests into 500s: limits then hold per process, in memory, until
        # Redis answers again (checked with backoff), and any other limiter failure lets the request through.
        in_memory_fallback=[settings.rate_limit],
        swallow_errors=True,
        # Not on every response: with headers on, Flask-Limiter also rewrites Retry-After on our own 503s.
        headers_enabled=False,
    )

    def on_rate_limited(exc: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        try:
            retry_after = max(1, int(current.reset_at - time.time())) if current else 60
        except Exception:  # the window could not be read (Redis flapping): a conservative guess
            retry_after = 60
        return error_response(
            429,
            "rate_limited",
            f"rate limit of {exc.description} exceeded; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )

    # The one application limit, as ``limits`` stores it, for the routes that take their hit in their publish.
    items = parse_many(settings.rate_limit)
    charged_limit = items[0] if len(items) == 1 else None  # several limits ("10/second;100/minute"): not here

    @limiter.request_filter
    def not_limited_here() -> bool:
        # Probes and scrapes are never limited. A filter, not ``limiter.exempt(health.bp)``: Flask-Limiter's
        # in-memory fallback ignores blueprint exemptions, and a liveness probe answered 429 restarts pods.
        # Analysis pages are limited (per client address, and their feedback form per link).
        if not _is_api_path(request.path) and not request.path.startswith(PAGE_PATH):
            return True
        # A build event from a caller allowed to send one: the view takes the same hit, on the same key, in
        # its publish's Redis script (one round trip, not two). Anyone else is limited here, before auth.
        if request.endpoint in CHARGED_IN_PUBLISH and charged_limit is not None:
            charge = _charge_in_publish(settings, charged_limit)
            if charge is not None:
                g.rate_charge = charge
                return True
        return False

    app.register_error_handler(RateLimitExceeded, on_rate_limited)
    return limiter


def _charge_in_publish(settings: Settings, limit: Any) -> RateCharge | None:
    """This request's rate-limit hit for its publish script, or None when Flask-Limiter must take it: the
    broker is not the limiter's Redis, or the caller has no valid token with the route's scope (a guess or a
    403 is limited before authentication, per client address)."""
    queue = services().queue
    if not queue.charges_in_publish or settings.queue_url != settings.redis_url:
        return None
    principal = _principal_or_none(settings)
    if principal is None or request.endpoint is None:
        return None
    if not principal.allows(required_scope(operation_of(current_app.view_functions[request.endpoint]))):
        return None
    key = limit.key_for(RATE_LIMIT_KEY_PREFIX, f"sub:{principal.subject}", "global")  # Flask-Limiter's scope
    return RateCharge(
        key=f"{RedisStorage.PREFIX}:{key}",
        amount=limit.amount,
        expiry=limit.get_expiry(),
        description=str(limit),
    )


def _is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _principal_or_none(settings: Settings) -> auth.Principal | None:
    """The caller's identity, verified once per request and cached on ``g`` (None when absent or invalid)."""
    if "auth_result" not in g:
        result: auth.Principal | APIError
        try:
            result = auth.verify_token(auth.bearer_token(request.headers.get("Authorization")), settings)
        except APIError as exc:
            result = exc
        g.auth_result = result
    return g.auth_result if isinstance(g.auth_result, auth.Principal) else None


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _authenticate() -> None:
    """Require a valid bearer token under ``/api/v1`` (unknown routes there too: they reveal nothing), holding
    the scope the route declares (``@operation(scope=...)``, ``admin`` when it declares none)."""
    if not _is_api_path(request.path) or docs.is_public(request.path):
        return
    settings = services().settings
    principal = _principal_or_none(settings)
    if principal is None:
        raise g.auth_result
    g.principal = principal
    structlog.contextvars.bind_contextvars(subject=principal.subject)
    if request.url_rule is None or request.endpoint is None:
        return  # no such route (404) or method (405): nothing to grant
    view = current_app.view_functions[request.endpoint]
    op = operation_of(view)
    if op is not None and op.public:
        return
    scope = required_scope(op)
    if not principal.allows(scope):
        raise auth.ForbiddenError(scope, f"{request.method} {request.url_rule.rule}")


def _finish_request(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    REQUESTS.labels(method=request.method, endpoint=endpoint, status=str(response.status_code)).inc()
    REQUEST_SECONDS.labels(method=request.method, endpoint=endpoint).observe(elapsed)
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    log.info(
        "request",
        client=request.remote_addr,
        method=request.method,
        path=_loggable_path(request.path),
        endpoint=endpoint,
        status=response.status_code,
        duration_ms=round(elapsed * 1000, 2),
    )
    return response


def _loggable_path(path: str) -> str:
    """The path for logs: a page link is a credential of sorts, so its token is not written down."""
    if path.startswith(PAGE_PATH):
        rest = path[len(PAGE_PATH) :]
        return PAGE_PATH + "<token>" + (rest[rest.index("/") :] if "/" in rest else "")
    return path


def _clear_log_context(_exc: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()


def _redis_unavailable(exc: Exception) -> Response:
    log.warning("redis_unavailable", error=str(exc))
    return error_response(
        503, "redis_unavailable", "Redis is unavailable; retry later", headers={"Retry-After": "5"}
    )


def _storage_unavailable(exc: Exception) -> Response:
    log.warning("storage_unavailable", error=str(exc))
    return error_response(
        503, "storage_unavailable", "the database is unavailable; retry later", headers={"Retry-After": "5"}
    )
