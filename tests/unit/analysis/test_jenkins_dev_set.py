"""The Jenkins console dev set (bench/jenkins_dev) is complete, consistent with its labels, and rebuilt exactly by
its builder (a spec edited without rebuilding, or a log edited by hand, would silently change the figures)."""

from __future__ import annotations

from pathlib import Path

from bench.cases import JENKINS_DEV, jenkins
from bench.jenkins_dev.build import main as build
from worker.analysis import CATEGORIES


def test_dev_set_has_forty_labelled_logs_within_bounds() -> None:
    cases = list(jenkins())
    assert len(cases) >= 40
    for case in cases:
        assert case.gold, case.id
        assert max(case.gold) <= case.total_lines, case.id
        assert all(c in CATEGORIES for c in case.categories), case.id
    assert sum(len(c.log.encode()) for c in cases) < 2_000_000


def test_builder_reproduces_the_committed_logs_and_labels(tmp_path: Path) -> None:
    build(tmp_path)
    assert (tmp_path / "labels.yaml").read_text() == (JENKINS_DEV / "labels.yaml").read_text()
    built = sorted(p.name for p in (tmp_path / "logs").glob("*.log"))
    assert built == sorted(p.name for p in (JENKINS_DEV / "logs").glob("*.log"))
    for name in built:
        assert (tmp_path / "logs" / name).read_bytes() == (JENKINS_DEV / "logs" / name).read_bytes(), name
