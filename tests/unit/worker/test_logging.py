"""Log lines below LOG_LEVEL cost next to nothing: they are dropped before any processor renders them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from tests.services import make_settings
from worker.logging import configure_logging, get_logger


@pytest.fixture
def stderr() -> Iterator[io.StringIO]:
    """What the configured handler writes (restored afterwards)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_config = structlog.get_config()
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.configure(**saved_config)


def _configure(level: str, stream: io.StringIO) -> None:
    configure_logging(make_settings(LOG_LEVEL=level, LOG_FORMAT="json"))
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]


def test_info_lines_are_dropped_before_rendering_at_warning(stderr: io.StringIO) -> None:
    _configure("WARNING", stderr)
    rendered: list[str] = []
    original = structlog.contextvars.merge_contextvars

    def counting(logger: object, method: str, event: dict[str, object]) -> dict[str, object]:
        rendered.append(method)
        return original(logger, method, event)  # type: ignore[arg-type]

    # The chain as configured (a fresh list, restored by the fixture), its context processor counted.
    chain = structlog.get_config()["processors"]
    chain[chain.index(original)] = counting
    log = get_logger("test.logging.warning")
    log.info("request", path="/api/v1/events", status=202)
    log.warning("redis_unavailable", error="refused")
    assert rendered == ["warning"]  # the info line never reached the processors
    [line] = stderr.getvalue().splitlines()
    assert json.loads(line)["event"] == "redis_unavailable"


def test_info_lines_are_written_at_info(stderr: io.StringIO) -> None:
    _configure("INFO", stderr)
    get_logger("test.logging.info").info("request", path="/api/v1/events", status=202)
    [line] = stderr.getvalue().splitlines()
    assert json.loads(line) | {"timestamp": None} == {
        "path": "/api/v1/events",
        "status": 202,
        "event": "request",
        "level": "info",
        "logger": "test.logging.info",
        "timestamp": None,
    }
