"""A long analysis reports how far it got: the engine calls back per block, the task publishes at most every
few seconds (the task's SSE stream relays the ``analysing`` events)."""

from __future__ import annotations

import pytest

from worker.analysis import analyze_stream
from worker.tasks.logs import progress_reporter


def test_the_engine_reports_the_bytes_analysed_after_each_block(monkeypatch: pytest.MonkeyPatch) -> None:
    import worker.analysis.engine as engine

    monkeypatch.setattr(engine, "BLOCK_SIZE", 1000)
    log = b"".join(b"line %d of the build\n" % n for n in range(500))
    seen: list[int] = []
    analysis = analyze_stream([log[i : i + 100] for i in range(0, len(log), 100)], progress=seen.append)
    assert len(seen) > 5
    assert seen == sorted(seen) and seen[-1] == len(log) == analysis.stats.bytes


def test_the_task_publishes_progress_at_most_every_few_seconds() -> None:
    now = [100.0]
    events: list[tuple[str, dict[str, object]]] = []
    report = progress_reporter(
        lambda stage, **data: events.append((stage, data)), every=2.0, clock=lambda: now[0]
    )
    for done in (1_000_000, 2_000_000, 3_000_000):
        now[0] += 0.5
        report(done)
    assert events == []  # a quick analysis says nothing
    now[0] += 1.0
    report(10_000_000)
    assert events == [("analysing", {"bytes": 10_000_000, "mb_per_s": 4.0})]
    now[0] += 1.0
    report(12_000_000)
    assert len(events) == 1
