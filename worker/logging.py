"""Structured logging for every process: JSON lines carrying the request and task ids.

structlog renders both our own events and stdlib ``logging`` records (Celery, Flask, pymongo) through one
processor chain, so operators get one JSON shape whatever emitted the line. Context such as ``request_id`` or
``task_id`` is bound with ``structlog.contextvars.bind_contextvars`` and appears on every line until cleared.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from worker.settings import Settings

#: Fields that only ever hold values we produce (levels, names, ids, numbers): not worth redacting.
_SAFE_FIELDS = frozenset(
    {"level", "logger", "timestamp", "request_id", "task_id", "task", "method", "status"}
)


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask credentials in every string field of a log line (an error message may quote a URL with its
    password, a tool's output a token): logs leave the host, to whoever reads the log platform."""
    from worker.analysis.redact import redact

    for key, value in event_dict.items():
        if isinstance(value, str) and key not in _SAFE_FIELDS:
            event_dict[key] = redact(value)
    return event_dict


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr, rendered as JSON (or readable console lines when LOG_FORMAT=console)."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    final: list[structlog.types.Processor] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        redact_secrets,  # after format_exc_info: tracebacks are strings by then, and redacted too
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        # A line below LOG_LEVEL is dropped first, before its context is merged and its timestamp rendered:
        # a request's info lines cost next to nothing when the level filters them out.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[*final, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structured logger; safe to call at import time (nothing is configured until ``configure_logging``)."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
