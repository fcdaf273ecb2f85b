"""Pytest fixture for the Jenkins test double (registered by ``tests/conftest.py`` via ``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.jenkins_double.server import JenkinsDouble


@pytest.fixture
def jenkins_double() -> Iterator[JenkinsDouble]:
    """A fresh Jenkins double on 127.0.0.1 (free port), stopped after the test."""
    double = JenkinsDouble().start()
    try:
        yield double
    finally:
        double.stop()
