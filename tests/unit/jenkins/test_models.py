"""Parsing recorded Jenkins responses (../shared/fixtures/jenkins) into typed results."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from worker.jenkins import (
    BuildInfo,
    JenkinsError,
    JobStatus,
    PluginInfo,
    QueueItem,
    describe_step,
    parse_update_center,
    pipeline_config_xml,
)
from worker.jenkins._plugins import _version_matches
from worker.jenkins.models import parse_stages, pick_failed_stage, pick_failed_step

Recorded = Callable[[str], Any]


def test_build_info_from_a_recorded_build(recorded: Recorded) -> None:
    info = BuildInfo.from_api("fish", recorded("jenkins-rest/build-info.json"))
    assert (info.number, info.result, info.building, info.duration_ms) == (10, "SUCCESS", False, 60750)
    # Jenkins sends boolean parameters as JSON booleans; we keep the string Jenkins shows.
    assert info.parameters == {"bear": "true", "fish": "salmon"}
    assert info.timestamp is not None and info.timestamp.year == 2016
    assert info.queue_id == 73 and info.description is None and info.commit is None


def test_build_info_reads_the_commit_from_the_changeset(recorded: Recorded) -> None:
    info = BuildInfo.from_api("fish", recorded("jenkins-rest/build-info-git-commit.json"))
    assert info.commit == "d27afa0805201322d846d7defc29b82c88d9b5ce"


def test_null_and_empty_parameters_become_empty_strings(recorded: Recorded) -> None:
    info = BuildInfo.from_api("fish", recorded("jenkins-rest/build-info-empty-and-null-params.json"))
    assert all(isinstance(v, str) for v in info.parameters.values())
    assert "" in info.parameters.values()


def test_queue_items_waiting_running_and_cancelled(recorded: Recorded) -> None:
    base = "http://localhost:8082/"
    waiting = QueueItem.from_api(recorded("jenkins-rest/queueItemPending.json"), base_url=base)
    assert waiting.build_number is None and waiting.blocked
    assert waiting.why == "Build #9 is already in progress (ETA:15 sec)"
    assert waiting.job == "test" and waiting.parameters == {"a": "4"}
    assert waiting.url == "http://localhost:8082/queue/item/143/"
    running = QueueItem.from_api(recorded("jenkins-rest/queueItemRunning.json"), base_url=base)
    assert running.build_number == 14 and not running.cancelled
    cancelled = QueueItem.from_api(recorded("jenkins-rest/queueItemCancelled.json"), base_url=base)
    assert cancelled.cancelled and cancelled.build_number is None


def test_queue_listing_keeps_why_each_item_waits(recorded: Recorded) -> None:
    items = [
        QueueItem.from_api(i, base_url="http://x/") for i in recorded("jenkins-rest/queue.json")["items"]
    ]
    assert [(i.id, i.job, i.why) for i in items] == [
        (7, "chicken", "Waiting for next available executor"),
        (6, "Freestyle", "Waiting for next available executor"),
    ]
    assert items[0].parameters == {"feet": "false"}


def test_job_status_from_a_recorded_job(recorded: Recorded) -> None:
    status = JobStatus.from_api("fish", recorded("jenkins-rest/job-info.json"))
    assert status.last_build == 7 and status.last_successful_build == 6 and status.last_failed_build is None
    assert status.in_queue and status.queue_why == "Build #7 is already in progress (ETA:52 sec)"
    assert status.health_score == 100 and status.color == "blue_anime"
    assert [b.number for b in status.recent_builds] == [7, 6, 5, 4, 3, 2, 1]


def test_plugins_with_dependencies_from_the_recorded_plugin_manager(recorded: Recorded) -> None:
    (plugin,) = [PluginInfo.from_api(p) for p in recorded("jenkins-rest/plugins.json")["plugins"]]
    assert (plugin.short_name, plugin.version, plugin.has_update) == ("workflow-aggregator", "2.5", False)
    assert len(plugin.dependencies) == 19
    assert plugin.dependencies[0].short_name == "pipeline-input-step" and not plugin.dependencies[0].optional


@pytest.mark.parametrize(
    ("name", "param", "step"),
    [
        ("Shell Script", "mvn verify", "sh 'mvn verify'"),
        ("Windows Batch Script", "build.cmd", "bat 'build.cmd'"),
        ("Error signal", None, "error"),
        ("Some Plugin Step", "arg", "Some Plugin Step: arg"),
    ],
)
def test_failed_steps_read_like_a_jenkinsfile(name: str, param: str | None, step: str) -> None:
    assert describe_step(name, param) == step


def test_update_center_jsonp_and_plain_json_both_parse() -> None:
    assert parse_update_center('updateCenter.post(\n{"warnings": []}\n);') == {"warnings": []}
    assert parse_update_center('{"id": "default"}') == {"id": "default"}
    with pytest.raises(JenkinsError):
        parse_update_center("<html>proxy error</html>")


def test_warning_version_patterns_match_the_whole_version() -> None:
    assert _version_matches(r"1[.][0-2](|[.-].*)", "1.2")
    assert _version_matches(r"1[.][0-2](|[.-].*)", "1.1-beta")
    assert not _version_matches(r"1[.][0-2](|[.-].*)", "1.3")
    assert not _version_matches(r"1[.]0", "11.0")
    assert not _version_matches("(", "1.0")


def test_pipeline_config_xml_escapes_the_script_and_matches_the_recorded_shape(shared_dir: Any) -> None:
    script = "pipeline { agent any\n stages { stage('x') { steps { sh 'a && b < c' } } } }"
    root = ET.fromstring(pipeline_config_xml(script).split("\n", 1)[1])
    recorded = ET.parse(shared_dir / "fixtures/jenkins/jenkins-rest/pipeline.xml").getroot()
    assert root.tag == recorded.tag == "flow-definition"
    assert root.find("definition").get("class") == recorded.find("definition").get("class")  # type: ignore[union-attr]
    assert root.findtext("definition/script") == script
    assert root.findtext("definition/sandbox") == "true"
    with pytest.raises(ValueError, match="jenkinsfile"):
        pipeline_config_xml("  ")


def test_the_failed_stage_of_a_recorded_failed_run(shared_dir: Any) -> None:
    base = shared_dir / "fixtures/jenkins/pipeline-stage-view/model/runs_stage_grouped/getModelData"
    runs = json.loads((base / "04_rest_api_runs_failed.json").read_text())
    stages = parse_stages(runs[0])
    assert [(s.name, s.status) for s in stages] == [
        ("Dev", "SUCCESS"),
        ("QA", "SUCCESS"),
        ("Staging", "FAILED"),
    ]
    failed = pick_failed_stage(stages)
    assert failed is not None and (failed.id, failed.name) == ("27", "Staging")
    assert pick_failed_stage(parse_stages(runs[1])) is None  # the green run


def test_unstable_and_running_recorded_runs(shared_dir: Any) -> None:
    base = shared_dir / "fixtures/jenkins/pipeline-stage-view/model/runs_stage_grouped/getModelData"
    unstable = json.loads((base / "08_rest_api_unstable_run.json").read_text())
    running = json.loads((base / "07_rest_api_runs_in_progress.json").read_text())
    unstable = unstable[0] if isinstance(unstable, list) else unstable
    running = running[0] if isinstance(running, list) else running
    stage = pick_failed_stage(parse_stages(unstable))
    assert stage is not None and stage.name == "Staging"
    assert pick_failed_stage(parse_stages(running)) is None


def test_the_failed_step_is_the_one_with_an_error(recorded: Recorded) -> None:
    node = recorded("jenkins-rest/pipeline-node.json")  # a green stage: nothing to blame
    assert pick_failed_step(node) is None
    node["stageFlowNodes"][0]["status"] = "FAILED"
    node["stageFlowNodes"][1]["status"] = "FAILED"
    node["stageFlowNodes"][1]["error"] = {"message": "script returned exit code 2"}
    step = pick_failed_step(node)
    assert step is not None and step["name"] == "Shell Script"
