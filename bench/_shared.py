"""Locating the shared, read-only data sets (never copied into the repository)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """``$LJ_SHARED_DIR`` if set, else ``<repo>/../shared``."""
    env = os.environ.get("LJ_SHARED_DIR")
    path = Path(env) if env else REPO_ROOT.parent / "shared"
    if not (path / "data").is_dir():
        raise SystemExit(f"shared data not found at {path}/data (set LJ_SHARED_DIR)")
    return path


def read_jsonl_gz(relative: str) -> Iterator[dict[str, Any]]:
    """Rows of ``<shared>/data/<relative>``."""
    with gzip.open(shared_dir() / "data" / relative, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
