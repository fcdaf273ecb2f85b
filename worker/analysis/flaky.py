"""Flaky-test and flaky-build detection from stored build history (pure: no I/O).

Evidence, strongest first:

1. **Same commit, different outcome** - a test (or a failure fingerprint) failed in one build and the same
   commit built green in another. Code did not change, so the failure is not the code's fault alone.
2. **Intermittent across the window** - over the last ``window`` builds the test keeps flipping between
   failing and passing (at least ``min_flips`` changes of state, failing at least ``min_failures`` times).
   A test that broke once and stayed broken flips once and is *not* flaky: it is a regression.

A failed build whose failure is classified ``infrastructure`` or ``timeout`` (the engine's categories), or
whose fingerprint is flaky, or in which only flaky tests failed, is a **retry candidate**: running it again
is likely to pass.

Only builds that tell us something count: SUCCESS means every test passed; FAILURE/UNSTABLE with a list of
failed tests means the tests ran and the others passed; ABORTED, NOT_BUILT and running builds are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, ValidationError

PASSING = {"SUCCESS"}
FAILING = {"FAILURE", "UNSTABLE"}
#: How many recent builds are judged, by default and at most.
DEFAULT_WINDOW = 30
MAX_WINDOW = 200

RETRY_CATEGORIES = frozenset({"infrastructure", "timeout"})

State = Literal["pass", "fail"]


class BuildRecord(BaseModel):
    """One stored build with what its analysis found."""

    build: int = Field(ge=1, validation_alias=AliasChoices("build", "number"))
    result: str | None = None
    commit: str | None = None
    fingerprint: str | None = None
    category: str | None = None
    failed_tests: list[str] = []


class FlakyTest(BaseModel):
    name: str
    reason: Literal["same_commit", "intermittent"]
    failures: int = Field(description="builds in which it failed")
    observations: int = Field(description="builds in which we know whether it passed or failed")
    flips: int = Field(description="changes between pass and fail, oldest to newest")
    failed_builds: list[int]
    commits: list[str] = Field(default=[], description="commits that both failed and passed it")


class FlakyFingerprint(BaseModel):
    fingerprint: str
    reason: Literal["same_commit", "intermittent"]
    failures: int
    flips: int
    failed_builds: list[int]
    commits: list[str] = []


class RetryCandidate(BaseModel):
    build: int
    reason: str
    category: str | None = None
    fingerprint: str | None = None


class FlakyReport(BaseModel):
    builds_considered: int
    flaky_tests: list[FlakyTest] = []
    flaky_fingerprints: list[FlakyFingerprint] = []
    retry_candidates: list[RetryCandidate] = []

    def is_retry_candidate(self, build: int) -> bool:
        """True if running ``build`` again is likely to pass (see :class:`RetryCandidate` reasons)."""
        return any(c.build == build for c in self.retry_candidates)


def parse_history(history: Iterable[Mapping[str, Any]]) -> list[BuildRecord]:
    """Validate stored records; the error names the record index and the field."""
    records = []
    for i, raw in enumerate(history):
        try:
            records.append(BuildRecord.model_validate(raw))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"history[{i}]: {problems}") from exc
    return records


def detect_flaky(
    history: Iterable[Mapping[str, Any]],
    *,
    window: int = DEFAULT_WINDOW,
    min_failures: int = 2,
    min_flips: int = 2,
) -> FlakyReport:
    """Find flaky tests, flaky failure fingerprints and retry candidates in a job's recent history.

    ``history`` is any order of records (dicts with ``build``, ``result``, ``commit``, ``fingerprint``,
    ``category``, ``failed_tests``); only the newest ``window`` builds with a pass/fail result are used.
    """
    if window < 2:
        raise ValueError(f"window: must be >= 2 builds, got {window}")
    if min_failures < 1 or min_flips < 1:
        raise ValueError("min_failures/min_flips: must be >= 1")
    records = [r for r in parse_history(history) if (r.result or "") in PASSING | FAILING]
    records = sorted(records, key=lambda r: r.build)[-window:]

    tests = _flaky_tests(records, min_failures, min_flips)
    fingerprints = _flaky_fingerprints(records, min_failures, min_flips)
    flaky_fps = {f.fingerprint for f in fingerprints}
    flaky_names = {t.name for t in tests}

    candidates = []
    for r in records:
        reason = _retry_reason(r, flaky_fps, flaky_names) if r.result in FAILING else None
        if reason is not None:
            candidates.append(
                RetryCandidate(build=r.build, reason=reason, category=r.category, fingerprint=r.fingerprint)
            )
    return FlakyReport(
        builds_considered=len(records),
        flaky_tests=tests,
        flaky_fingerprints=fingerprints,
        retry_candidates=sorted(candidates, key=lambda c: -c.build),
    )


def _test_states(records: list[BuildRecord]) -> dict[str, list[tuple[BuildRecord, State]]]:
    """Per test, its known state in each build (oldest first)."""
    names = {name for r in records for name in r.failed_tests}
    states: dict[str, list[tuple[BuildRecord, State]]] = defaultdict(list)
    for r in records:
        failed = set(r.failed_tests)
        tests_ran = r.result in PASSING or bool(failed)
        if not tests_ran:
            continue  # e.g. a compile failure: we know nothing about the tests
        for name in names:
            states[name].append((r, "fail" if name in failed else "pass"))
    return states


def _same_commit(seq: list[tuple[BuildRecord, State]]) -> list[str]:
    outcomes: dict[str, set[State]] = defaultdict(set)
    for r, state in seq:
        if r.commit:
            outcomes[r.commit].add(state)
    return sorted(c for c, seen in outcomes.items() if seen == {"pass", "fail"})


def _flips(seq: list[tuple[BuildRecord, State]]) -> int:
    return sum(1 for (_, a), (_, b) in pairwise(seq) if a != b)


FlakyReason = Literal["same_commit", "intermittent"]


def _judge(
    seq: list[tuple[BuildRecord, State]], min_failures: int, min_flips: int
) -> tuple[FlakyReason, dict[str, Any]] | None:
    """Whether a pass/fail history is flaky, and the evidence: the same commit both failed and passed, or
    enough failures that flip back and forth."""
    failed_builds = [r.build for r, s in seq if s == "fail"]
    commits = _same_commit(seq)
    flips = _flips(seq)
    reason: FlakyReason | None = None
    if commits:
        reason = "same_commit"
    elif len(failed_builds) >= min_failures and flips >= min_flips:
        reason = "intermittent"
    if reason is None:
        return None
    evidence = {
        "failures": len(failed_builds),
        "flips": flips,
        "failed_builds": failed_builds,
        "commits": commits,
    }
    return reason, evidence


def _retry_reason(record: BuildRecord, flaky_fps: set[str], flaky_names: set[str]) -> str | None:
    """Why a failed build is worth a retry rather than a fix, if it is."""
    if record.category in RETRY_CATEGORIES:
        return f"failure classified as {record.category}"
    if record.fingerprint and record.fingerprint in flaky_fps:
        return "flaky failure fingerprint"
    if record.failed_tests and set(record.failed_tests) <= flaky_names:
        return "only flaky tests failed"
    return None


def _flaky_tests(records: list[BuildRecord], min_failures: int, min_flips: int) -> list[FlakyTest]:
    found = []
    for name, seq in _test_states(records).items():
        judged = _judge(seq, min_failures, min_flips)
        if judged:
            reason, evidence = judged
            found.append(FlakyTest(name=name, reason=reason, observations=len(seq), **evidence))
    return sorted(found, key=lambda t: (t.reason != "same_commit", -t.failures, t.name))


def _flaky_fingerprints(
    records: list[BuildRecord], min_failures: int, min_flips: int
) -> list[FlakyFingerprint]:
    found = []
    for fp in sorted({r.fingerprint for r in records if r.fingerprint and r.result in FAILING}):
        # A build "has" the failure when it failed with this fingerprint and "passes" when it is green; other
        # failures say nothing about this one.
        seq: list[tuple[BuildRecord, State]] = [
            (r, "fail" if r.fingerprint == fp and r.result in FAILING else "pass")
            for r in records
            if r.result in PASSING or r.fingerprint == fp
        ]
        judged = _judge(seq, min_failures, min_flips)
        if judged:
            reason, evidence = judged
            found.append(FlakyFingerprint(fingerprint=fp, reason=reason, **evidence))
    return found
