"""Corpus check: responses recorded from real Jenkins controllers (``../shared/fixtures/jenkins``) parse into our
models, and the answers the tests use (``tests/data/jenkins``) have the shape of those recordings for every
field the client reads (``TREES``), so the double cannot drift from what a real Jenkins sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.jenkins_double.templates import template
from tests.jenkins_double.tree import apply_tree, parse_tree
from worker.jenkins import BuildInfo, JobStatus, PluginInfo, QueueItem
from worker.jenkins.models import TREES, NodeInfo, parse_stages, pick_failed_stage

pytestmark = pytest.mark.corpus

# (our answer, a recorded one, the tree the client reads it with)
PAIRS = [
    ("build.json", "jenkins-rest/build-info-git-commit.json", "build"),
    ("job.json", "jenkins-rest/job-info.json", "job_status"),
    ("queue.json", "jenkins-rest/queue.json", "queue"),
    ("queue-item-waiting.json", "jenkins-rest/queueItemPending.json", "queue_item"),
    ("queue-item-started.json", "jenkins-rest/queueItemRunning.json", "queue_item"),
    ("queue-item-cancelled.json", "jenkins-rest/queueItemCancelled.json", "queue_item"),
    ("plugins.json", "jenkins-rest/plugins.json", "plugins"),
    ("computers.json", "jenkins-rest/computer.json", "nodes"),
]


def _recorded(corpus_dir: Path, relative: str) -> Any:
    return json.loads((corpus_dir / "fixtures" / "jenkins" / relative).read_text(encoding="utf-8"))


def _kind(value: Any) -> str:
    return (
        "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__
    )


def _shape_differences(ours: Any, real: Any, path: str = "") -> list[str]:
    """Where ``ours`` lacks a field ``real`` has, or has it with another JSON type (nulls are not compared)."""
    if real is None or ours is None:
        return []
    if _kind(ours) != _kind(real):
        return [f"{path or '.'}: {_kind(ours)} here, {_kind(real)} in the recording"]
    if isinstance(real, dict):
        out = []
        for key, value in real.items():
            if key not in ours:
                out.append(f"{path}.{key}: missing")
            else:
                out.extend(_shape_differences(ours[key], value, f"{path}.{key}"))
        return out
    if isinstance(real, list):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, real, strict=False))
            for d in _shape_differences(a, b, f"{path}[{i}]")
        ]
    return []


@pytest.mark.parametrize(("ours", "recorded", "tree"), PAIRS, ids=[p[0] for p in PAIRS])
def test_the_answers_the_tests_use_have_the_recorded_shape(
    corpus_dir: Path, ours: str, recorded: str, tree: str
) -> None:
    spec = parse_tree(TREES[tree].replace("%d", "100"))
    real = apply_tree(_recorded(corpus_dir, recorded), spec)
    mine = apply_tree(template(ours), spec)
    assert _shape_differences(mine, real) == []


def test_recorded_builds_queue_items_jobs_and_plugins_parse(corpus_dir: Path) -> None:
    build = BuildInfo.from_api("fish", _recorded(corpus_dir, "jenkins-rest/build-info.json"))
    assert (build.number, build.result, build.parameters) == (
        10,
        "SUCCESS",
        {"bear": "true", "fish": "salmon"},
    )
    empty = BuildInfo.from_api(
        "fish", _recorded(corpus_dir, "jenkins-rest/build-info-empty-and-null-params.json")
    )
    assert all(isinstance(v, str) for v in empty.parameters.values()) and "" in empty.parameters.values()
    item = QueueItem.from_api(
        _recorded(corpus_dir, "jenkins-rest/queueItemPending.json"), base_url="http://x/"
    )
    assert item.blocked and item.why == "Build #9 is already in progress (ETA:15 sec)"
    job = JobStatus.from_api("fish", _recorded(corpus_dir, "jenkins-rest/job-info.json"))
    assert job.last_build == 7 and job.in_queue and job.health_score == 100
    (plugin,) = [
        PluginInfo.from_api(p) for p in _recorded(corpus_dir, "jenkins-rest/plugins.json")["plugins"]
    ]
    assert plugin.short_name == "workflow-aggregator" and len(plugin.dependencies) == 19
    nodes = [NodeInfo.from_api(c) for c in _recorded(corpus_dir, "jenkins-rest/computer.json")["computer"]]
    assert sum(n.offline for n in nodes) == 6 and nodes[0].executors == 2


def test_recorded_stage_view_runs_name_the_failed_stage(corpus_dir: Path) -> None:
    base = "pipeline-stage-view/model/runs_stage_grouped/getModelData"
    failed = _recorded(corpus_dir, f"{base}/04_rest_api_runs_failed.json")
    stage = pick_failed_stage(parse_stages(failed[0]))
    assert stage is not None and (stage.id, stage.name) == ("27", "Staging")
    assert pick_failed_stage(parse_stages(failed[1])) is None
    unstable = _recorded(corpus_dir, f"{base}/08_rest_api_unstable_run.json")
    unstable = unstable[0] if isinstance(unstable, list) else unstable
    stage = pick_failed_stage(parse_stages(unstable))
    assert stage is not None and stage.name == "Staging"
