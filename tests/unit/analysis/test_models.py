"""The engine's result types: dumped as JSON-ready dicts, read back (from storage or JSON) with validation."""

from __future__ import annotations

import json

import pytest

from worker.analysis import Analysis, analyze_stream

LOG = b"$ make\nsrc/app.c:3:5: error: 'x' undeclared (first use in this function)\nmake: *** [all] Error 1\n"


def test_an_analysis_survives_a_round_trip_through_json() -> None:
    analysis = analyze_stream([LOG])
    stored = json.loads(analysis.model_dump_json())
    assert Analysis.model_validate({**stored, "_id": "ignored", "vector": [0.1]}) == analysis
    assert stored == analysis.model_dump(mode="json")


def test_dump_leaves_out_excluded_fields_also_inside_nested_ones() -> None:
    dumped = analyze_stream([LOG]).model_dump(exclude={"stats": {"seconds"}, "fingerprint": True})
    assert "fingerprint" not in dumped and "seconds" not in dumped["stats"]
    assert dumped["stats"]["lines"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "flaky"}, "category"),
        ({"excerpt": [{"start_line": 0, "end_line": 2, "text": "x", "score": 1.0}]}, "start_line"),
        ({"stats": {"lines": 3}}, "bytes"),
    ],
)
def test_a_bad_stored_analysis_is_rejected_naming_the_field(change: dict[str, object], field: str) -> None:
    stored = {**analyze_stream([LOG]).model_dump(mode="json"), **change}
    with pytest.raises(ValueError, match=field):
        Analysis.model_validate(stored)
