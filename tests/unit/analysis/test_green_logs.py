"""No known cause fires on a successful build's log: routine lines (the git plugin's "No credentials
specified", warnings, tests named after errors, "0 failures" tallies, application ERROR lines printed by passing
tests) are not failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.analysis import analyze_path

GREEN = sorted((Path(__file__).parent / "green").glob("*.log"))


@pytest.mark.parametrize("log", GREEN, ids=[p.name for p in GREEN])
def test_no_cause_fires_on_a_green_log(log: Path) -> None:
    analysis = analyze_path(log)
    assert [(c.id, c.line) for c in analysis.causes] == []
    assert analysis.category == "unknown"


def test_the_green_fixtures_are_there() -> None:
    assert len(GREEN) >= 2
