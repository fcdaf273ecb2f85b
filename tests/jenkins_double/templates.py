"""Recorded Jenkins responses from ``../shared/fixtures/jenkins`` used as templates by the double.

Located at run time (never copied into the repo): ``$LJ_SHARED_DIR/fixtures/jenkins`` if set, else
``<repo>/../shared/fixtures/jenkins``.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """The shared data directory (``LJ_SHARED_DIR`` or ``<repo>/../shared``)."""
    env = os.environ.get("LJ_SHARED_DIR")
    return Path(env) if env else (REPO_ROOT.parent / "shared").resolve()


def fixtures_dir() -> Path:
    path = shared_dir() / "fixtures" / "jenkins"
    if not path.is_dir():
        raise FileNotFoundError(f"recorded Jenkins responses not found at {path}; set LJ_SHARED_DIR")
    return path


@cache
def _load(relative: str) -> Any:
    return json.loads((fixtures_dir() / relative).read_text(encoding="utf-8"))


def template(relative: str) -> Any:
    """A fresh deep copy of a recorded JSON response, e.g. ``template("jenkins-rest/build-info.json")``."""
    return copy.deepcopy(_load(relative))


def text(relative: str) -> str:
    return (fixtures_dir() / relative).read_text(encoding="utf-8")
