"""Structured logging for every process: JSON lines carrying the request and task ids.

structlog renders both our own events and stdlib ``logging`` records (Celery, Flask, pymongo) through one
processor chain, so operators get one JSON shape whatever emitted the line. Context such as ``request_id`` or
``task_id`` is bound with ``structlog.contextvars.bind_contextvars`` and appears on every line until cleared.
"""

from __future__ import annotations

import logging
import sys

import structlog

from worker.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr, rendered as JSON (or readable console lines when LOG_FORMAT=console)."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
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
