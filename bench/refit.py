"""Refitting the ranking constants without the repository being scored.

The constants in :mod:`worker.analysis.ranking` and :mod:`worker.analysis.blocks` (how much a failed step
boosts its blocks, how close to a failing exit counts, how long a block may grow...) were chosen by looking at
dev logs. For a held-out figure they are chosen again per fold: every setting of a small grid (the shipped
values, and each constant moved down or up alone) is scored on every case; scoring repository R, the setting
with the best objective on the *other* repositories' cases is used. The objective is the mean over data sets
of the per-log mean of (F1@1 + R@top3) / 2.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType

from bench.cases import Case
from bench.metrics import Outcome
from worker.analysis import blocks, ranking

# (module, constant, values tried besides the shipped one)
KNOBS: list[tuple[ModuleType, str, tuple[float, ...]]] = [
    (ranking, "FAILED_STEP_BOOST", (1.5, 3.0)),
    (ranking, "OTHER_STEP_FACTOR", (0.3, 0.8)),
    (ranking, "NEAR_FAIL_LINES", (20, 80)),
    (ranking, "NEAR_FAIL_BOOST", (1.2, 2.0)),
    (ranking, "FIRST_AMONG", (0.8, 0.97)),
    (ranking, "SAME_FAILURE_AMONG", (0.5, 0.85)),
    (ranking, "REPEAT_DISTANCE", (30, 120)),
    (blocks, "MAX_BLOCK_LINES", (40, 80)),
]


@dataclass(frozen=True)
class Setting:
    """The shipped constants with at most one of them changed."""

    module: ModuleType | None = None
    name: str = ""
    value: float = 0.0

    @property
    def label(self) -> str:
        return "shipped" if self.module is None else f"{self.name}={self.value:g}"

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        if self.module is None:
            yield
            return
        if not hasattr(self.module, self.name):
            raise SystemExit(
                f"bench.refit: {self.module.__name__}.{self.name} no longer exists (update KNOBS)"
            )
        shipped = getattr(self.module, self.name)
        value = type(shipped)(self.value)
        setattr(self.module, self.name, value)
        try:
            yield
        finally:
            setattr(self.module, self.name, shipped)


def settings() -> list[Setting]:
    out = [Setting()]
    for module, name, values in KNOBS:
        out.extend(Setting(module, name, v) for v in values)
    return out


def objective(cases: list[Case], outcomes: list[Outcome], keep: Callable[[Case], bool]) -> float:
    per_dataset: dict[str, list[float]] = {}
    for case, outcome in zip(cases, outcomes, strict=True):
        if keep(case):
            per_dataset.setdefault(case.dataset, []).append((outcome.f1 + outcome.recall3) / 2)
    return statistics.fmean(statistics.fmean(v) for v in per_dataset.values()) if per_dataset else 0.0


# A setting replaces the shipped one only when it beats it on the other repositories by this much: measured,
# the objective varies by less than 0.01 across the whole grid, and an argmax over such a flat landscape picks
# settings by noise (a fold's choice then costs its own repository more than it gains elsewhere).
MARGIN = 0.005


def choose(cases: list[Case], in_sample: dict[Setting, list[Outcome]]) -> dict[str, Setting]:
    """Repository -> the setting that scores best on the other repositories' cases, when it beats the shipped
    one by :data:`MARGIN` (else the shipped one)."""
    chosen: dict[str, Setting] = {}
    shipped = Setting()
    for repo in sorted({c.repo for c in cases}):
        scores = {
            s: objective(cases, outcomes, lambda c, r=repo: c.repo != r)  # type: ignore[misc]
            for s, outcomes in in_sample.items()
        }
        best = max(scores, key=lambda s: scores[s])
        chosen[repo] = best if scores[best] >= scores.get(shipped, 0.0) + MARGIN else shipped
    return chosen
