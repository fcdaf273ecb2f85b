"""Fixtures of the analysis-page tests: the API on the port its public URL names, a second controller."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.jenkins_double import JenkinsDouble
from tests.services import RunningAPI, free_port
from worker.settings import Settings


@pytest.fixture
def public_port() -> int:
    """Where this test's API listens, known before the settings are made: it is the PUBLIC_API_URL the
    worker signs page links with, so the link in the description is one a browser can open."""
    return free_port()


@pytest.fixture
def second_double() -> Iterator[JenkinsDouble]:
    double = JenkinsDouble(user="other-bot").start()
    try:
        yield double
    finally:
        double.stop()


@pytest.fixture
def page_api(settings: Settings, celery_worker: Any, public_port: int) -> Iterator[RunningAPI]:
    """The real API on the port its public URL names, in front of the real worker."""
    from werkzeug.serving import make_server

    from api.app import create_app

    server = make_server("127.0.0.1", public_port, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="page-api", daemon=True)
    thread.start()
    try:
        yield RunningAPI(url=f"http://127.0.0.1:{public_port}", token="test-token", settings=settings)
    finally:
        server.shutdown()
        thread.join(timeout=10)
