"""Flaky tests, flaky fingerprints and retry candidates from stored history."""

from __future__ import annotations

from typing import Any

import pytest

from worker.analysis.flaky import detect_flaky


def rec(
    build: int, result: str, commit: str = "c1", tests: tuple[str, ...] = (), **kw: Any
) -> dict[str, Any]:
    return {"build": build, "result": result, "commit": commit, "failed_tests": list(tests), **kw}


def test_a_test_failing_and_passing_on_the_same_commit_is_flaky() -> None:
    report = detect_flaky([rec(1, "UNSTABLE", "abc", ("FooTest.bar",)), rec(2, "SUCCESS", "abc")])
    (flaky,) = report.flaky_tests
    assert (flaky.name, flaky.reason, flaky.commits, flaky.failed_builds) == (
        "FooTest.bar",
        "same_commit",
        ["abc"],
        [1],
    )
    assert report.is_retry_candidate(1)


def test_a_test_that_broke_and_stayed_broken_is_a_regression_not_flaky() -> None:
    history = [rec(1, "SUCCESS", "a"), rec(2, "SUCCESS", "b")] + [
        rec(n, "UNSTABLE", f"c{n}", ("FooTest.bar",)) for n in range(3, 8)
    ]
    report = detect_flaky(history)
    assert report.flaky_tests == []
    assert report.retry_candidates == []


def test_intermittent_failures_across_commits_are_flaky() -> None:
    outcomes = ["F", "P", "P", "F", "P", "F"]
    history = [
        rec(n + 1, "UNSTABLE" if o == "F" else "SUCCESS", f"c{n}", ("NetTest.timeout",) if o == "F" else ())
        for n, o in enumerate(outcomes)
    ]
    (flaky,) = detect_flaky(history).flaky_tests
    assert (flaky.reason, flaky.failures, flaky.flips, flaky.observations) == ("intermittent", 3, 4, 6)


def test_builds_whose_tests_did_not_run_tell_nothing_about_tests() -> None:
    # build 2 failed to compile: no test list. It must not count as "FooTest passed".
    history = [
        rec(1, "UNSTABLE", "a", ("FooTest.x",)),
        rec(2, "FAILURE", "b"),
        rec(3, "UNSTABLE", "c", ("FooTest.x",)),
    ]
    assert detect_flaky(history).flaky_tests == []


def test_only_the_newest_window_counts_and_order_does_not_matter() -> None:
    old_flaps = [
        rec(n, "UNSTABLE" if n % 2 else "SUCCESS", f"c{n}", ("Old.t",) if n % 2 else ()) for n in range(1, 9)
    ]
    recent = [rec(n, "SUCCESS", f"c{n}") for n in range(9, 15)]
    assert detect_flaky(list(reversed(old_flaps + recent)), window=6).flaky_tests == []
    assert [t.name for t in detect_flaky(old_flaps + recent, window=20).flaky_tests] == ["Old.t"]


def test_a_fingerprint_failing_and_passing_on_one_commit_is_flaky() -> None:
    history = [
        rec(1, "FAILURE", "abc", fingerprint="fp1", category="test"),
        rec(2, "SUCCESS", "abc"),
        rec(3, "FAILURE", "def", fingerprint="fp2", category="compilation"),
    ]
    report = detect_flaky(history)
    assert [(f.fingerprint, f.reason) for f in report.flaky_fingerprints] == [("fp1", "same_commit")]
    assert [(c.build, c.reason) for c in report.retry_candidates] == [(1, "flaky failure fingerprint")]


def test_infrastructure_and_timeout_failures_are_retry_candidates() -> None:
    history = [
        rec(1, "FAILURE", "a", fingerprint="x", category="infrastructure"),
        rec(2, "FAILURE", "b", fingerprint="y", category="timeout"),
        rec(3, "FAILURE", "c", fingerprint="z", category="compilation"),
        rec(4, "ABORTED", "d", category="timeout"),
    ]
    report = detect_flaky(history)
    assert [(c.build, c.category) for c in report.retry_candidates] == [(2, "timeout"), (1, "infrastructure")]
    assert not report.is_retry_candidate(3) and not report.is_retry_candidate(4)
    assert report.builds_considered == 3


def test_bad_records_are_rejected_naming_the_record_and_field() -> None:
    with pytest.raises(ValueError, match=r"history\[1\]: build"):
        detect_flaky([rec(1, "SUCCESS"), {"result": "SUCCESS"}])
    with pytest.raises(ValueError, match="window"):
        detect_flaky([], window=1)


def test_records_may_use_number_instead_of_build() -> None:
    report = detect_flaky([{"number": 1, "result": "FAILURE", "category": "timeout"}])
    assert report.retry_candidates[0].build == 1
