"""Jenkins REST answers the double fills in: small JSON documents in ``tests/data/jenkins``, written for the
tests in the shape a Jenkins 2.4xx controller answers (field names, nesting and types as Jenkins serialises
them; the values are made up). The unit tests of our parsers read the same files.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "jenkins"


@cache
def _load(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def template(name: str) -> Any:
    """A fresh deep copy of one answer, e.g. ``template("build.json")``."""
    return copy.deepcopy(_load(name))


def text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")
