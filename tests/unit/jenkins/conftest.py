"""Jenkins answers in the shape a controller sends them (``tests/data/jenkins``, shared with the double)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.jenkins_double.templates import template


@pytest.fixture(scope="session")
def jenkins_response() -> Any:
    """``jenkins_response("build.json")`` -> a fresh copy of the decoded answer."""
    return template
