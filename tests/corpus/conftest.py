"""Corpus evaluations: they read the team's shared data (``$LJ_SHARED_DIR`` or ``../shared``) and skip, saying
why, when it is absent (a clone with nothing beside it)."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_DIR


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "corpus" in item.path.parts:
            item.add_marker(pytest.mark.corpus)
            if not (SHARED_DIR / "data").is_dir():
                item.add_marker(pytest.mark.skip(reason=f"shared data not found at {SHARED_DIR}/data"))
