"""Verdicts on analyses: line ranges people type, and knowledge-base candidates from confirmed analyses."""

from __future__ import annotations

import re

import pytest

from worker.feedback import candidate_from, parse_lines, pattern_for

ANALYSIS = {
    "jenkins_url": "https://ci.example.com",
    "job": "team/api",
    "build": 42,
    "category": "test",
    "summary": "Maven Surefire reported failing tests",
    "excerpt": [
        {"start_line": 10, "text": "[INFO] Building\n[ERROR] Tests run: 12, Failures: 3\nBUILD FAILURE"}
    ],
    "causes": [
        {"id": "maven.surefire", "line": 11, "description": "Surefire tests failed", "fix": "Fix the tests"}
    ],
}


def test_line_ranges_as_people_type_them() -> None:
    assert parse_lines(" 120-131, 140 ,") == [(120, 131), (140, 140)]
    assert parse_lines([3, 4]) == [(3, 3), (4, 4)]
    for bad in ("12-3", "0", "abc", "1-2-3"):
        with pytest.raises(ValueError):
            parse_lines(bad)


def test_a_pattern_generalises_numbers_and_drops_console_prefixes() -> None:
    pattern = pattern_for("12:01:02.5 [ERROR] Tests run: 12, Failures: 3")
    assert pattern is not None
    assert re.search(pattern, "[ERROR] Tests run: 7, Failures: 1")
    assert not re.search(pattern, "Tests run: 7")


def test_a_confirmed_analysis_suggests_its_cause_line_or_the_lines_people_chose() -> None:
    own = candidate_from(ANALYSIS, {"verdict": "right", "lines": []})
    assert own is not None and own.category == "test" and own.fix == "Fix the tests"
    assert re.search(own.pattern, "Tests run: 99, Failures: 9")
    chosen = candidate_from(ANALYSIS, {"verdict": "wrong", "lines": [[12, 12]], "category": "compilation",
                                       "comment": "rerun with -U"})  # fmt: skip
    assert chosen is not None and chosen.pattern == "BUILD\\ FAILURE" and chosen.category == "compilation"
    assert chosen.fix == "rerun with -U" and "id: local.team-api-42" in chosen.as_yaml()
