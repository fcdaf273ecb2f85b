"""Shared fixtures: real services (tests/services.py), the Jenkins test double and the OpenAI-compatible stub.

Everything the tests need lives in ``tests/`` (small, written for them). Only corpus evaluations read the team's
large data sets beside the checkout (``../shared``, or ``$LJ_SHARED_DIR``): they are marked ``corpus``, take the
``corpus_dir`` fixture, and skip with the reason shown when the data is not there (CI has it and runs them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.services",
    "tests.jenkins_double.fixtures",
    "tests.llm_stub.fixtures",
]

CORPUS_DIR = Path(os.environ.get("LJ_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")


@pytest.fixture(scope="session")
def corpus_dir(request: pytest.FixtureRequest) -> Path:
    """The team's shared data (real CI logs, recorded Jenkins responses), read in place, never copied.

    Only for tests marked ``corpus``; they skip, saying why, when the data is not beside the checkout."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(
            f"corpus data not found at {CORPUS_DIR} (set LJ_SHARED_DIR to run the corpus evaluations)"
        )
    return CORPUS_DIR


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder decides the kind: tests/integration → integration (tests/integration/faults → faults too),
    tests/e2e → e2e. A test that reads the
    corpora must say so with the ``corpus`` marker (a clone without them skips it instead of failing)."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
        if "faults" in parts:
            item.add_marker(pytest.mark.faults)
        if "corpus_dir" in getattr(item, "fixturenames", ()) and item.get_closest_marker("corpus") is None:
            raise pytest.UsageError(
                f"{item.nodeid} reads the corpora (corpus_dir): mark it @pytest.mark.corpus"
            )
