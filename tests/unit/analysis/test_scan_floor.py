"""bench.scan_floor's literal form of the triggers is a superset: it selects every line the triggers select."""

from __future__ import annotations

from pathlib import Path

import hyperscan

from bench.scan_floor import _database, _longest_literal, literal_superset
from worker.analysis import load_knowledge_base
from worker.analysis.kb import trigger_expression

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"


def _lines(db: hyperscan.Database, data: bytes) -> set[int]:
    found: set[int] = set()

    def on_match(_id: int, _from: int, end: int, _flags: int, _ctx: object) -> None:
        found.add(data.count(b"\n", 0, end))

    db.scan(data, match_event_handler=on_match)
    return found


def test_longest_literal_is_a_run_every_match_contains() -> None:
    assert _longest_literal(r"Tests run: \d+, Failures: [1-9]") == ", Failures: "
    assert _longest_literal(r"\s+at\s") == "at"
    assert _longest_literal(r"x+yz") == "xyz"


def test_literal_superset_selects_every_line_the_triggers_select() -> None:
    kb = load_knowledge_base()
    triggers = [trigger_expression(kb, index) for index in kb.scanned]
    superset = literal_superset(triggers, 4)
    assert superset != triggers  # most triggers have a literal of 4 bytes or more
    exact_db, superset_db = _database(triggers), _database(superset)
    logs = sorted(SAMPLES.glob("*.log"))
    assert logs
    for log in logs:
        data = log.read_bytes()
        exact = _lines(exact_db, data)
        assert exact, log.name  # every sample is a failed build
        assert exact <= _lines(superset_db, data), log.name
