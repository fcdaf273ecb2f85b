"""Recorded Jenkins responses, read in place from the shared fixtures (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def recorded(shared_dir: Path) -> Any:
    """``recorded("jenkins-rest/build-info.json")`` -> the decoded recorded response."""
    base = shared_dir / "fixtures" / "jenkins"

    def load(relative: str) -> Any:
        return json.loads((base / relative).read_text(encoding="utf-8"))

    return load
