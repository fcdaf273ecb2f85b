"""Shared fixtures: real services (tests/services.py), the Jenkins test double and the OpenAI-compatible stub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.services",
    "tests.jenkins_double.fixtures",
    "tests.llm_stub.fixtures",
]

SHARED_DIR = Path(os.environ.get("LJ_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The team's shared data (real logs and recorded Jenkins responses), read in place, never copied."""
    if not SHARED_DIR.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DIR} (set LJ_SHARED_DIR)")
    return SHARED_DIR


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder decides the kind: tests/integration → integration, tests/e2e → e2e."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
