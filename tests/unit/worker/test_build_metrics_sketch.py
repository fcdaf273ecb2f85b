"""The duration histogram behind the p95 of ``/api/v1/metrics/builds``: its stated error bound, and windows."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from worker.storage.build_metrics import (
    BINS_PER_OCTAVE,
    Contribution,
    _cover,
    _Stats,
    bin_value,
    duration_bin,
)

BOUND = 2 ** (1 / (2 * BINS_PER_OCTAVE))  # the factor stated in the module docstring (±4.4 %)


@pytest.mark.parametrize("seed", range(20))
def test_p95_is_within_the_stated_factor_of_the_exact_nearest_rank_value(seed: int) -> None:
    rng = random.Random(seed)
    durations = [
        int(rng.lognormvariate(rng.uniform(5, 14), rng.uniform(0.1, 2))) + 1
        for _ in range(rng.randint(1, 3000))
    ]
    stats = _Stats()
    for value in durations:
        stats.count(Contribution("https://ci", "job", datetime.now(UTC), "SUCCESS", value))
    exact = sorted(durations)[math.ceil(0.95 * len(durations)) - 1]
    estimate = stats.p95()
    assert estimate is not None
    # bin_value rounds to whole milliseconds: allow that half millisecond on top of the factor.
    assert exact / BOUND - 0.5 <= estimate <= exact * BOUND + 0.5, (exact, estimate)
    assert stats.shape()["mean_duration_ms"] == round(sum(durations) / len(durations))


def test_every_duration_falls_in_the_bin_it_is_reported_by() -> None:
    for value in [1, 2, 3, 999, 1000, 1001, 65_536, 3_600_000, 86_400_000 * 3]:
        index = duration_bin(value)
        assert 2 ** (index / BINS_PER_OCTAVE) <= value < 2 ** ((index + 1) / BINS_PER_OCTAVE)
        assert abs(bin_value(index) - value) <= value * (BOUND - 1) + 0.5  # + rounding to whole ms


def test_a_window_is_covered_by_whole_days_and_the_hours_at_its_ends() -> None:
    start, end = datetime(2026, 3, 1, 17, tzinfo=UTC), datetime(2026, 3, 8, 5, tzinfo=UTC)
    pieces = list(_cover(start, end, 1))
    assert pieces == [
        ("hour", start, datetime(2026, 3, 2, tzinfo=UTC)),
        ("day", datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)),
        ("hour", datetime(2026, 3, 8, tzinfo=UTC), end),
    ]
    within_a_day = list(_cover(datetime(2026, 3, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, 4, tzinfo=UTC), 1))
    assert within_a_day == [
        ("hour", datetime(2026, 3, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, 4, tzinfo=UTC))
    ]
