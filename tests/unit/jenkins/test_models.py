"""Parsing Jenkins answers (``tests/data/jenkins``, in the shape a controller sends) into typed results."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from tests.jenkins_double.templates import DATA_DIR as DATA
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

Response = Callable[[str], Any]


def test_build_info_from_a_build(jenkins_response: Response) -> None:
    info = BuildInfo.from_api("payments-api", jenkins_response("build.json"))
    assert (info.number, info.result, info.building, info.duration_ms) == (27, "FAILURE", False, 312480)
    # Jenkins sends boolean parameters as JSON booleans; we keep the string Jenkins shows.
    assert info.parameters == {"BRANCH": "release/2.4", "DEPLOY": "false"}
    assert info.timestamp is not None and info.timestamp.isoformat() == "2024-03-05T10:00:00+00:00"
    assert info.queue_id == 311 and info.description is None


def test_build_info_reads_the_commit_from_the_changeset_or_the_git_action(jenkins_response: Response) -> None:
    data = jenkins_response("build.json")
    assert BuildInfo.from_api("x", data).commit == "3f1c2b9e8d7a6c5b4a3928171615141312111009"
    data["actions"].append({"lastBuiltRevision": {"SHA1": "0123abcd" * 5}})  # the git plugin's BuildData
    assert BuildInfo.from_api("x", data).commit == "0123abcd" * 5
    data["actions"].pop()
    data["changeSets"] = []
    assert BuildInfo.from_api("x", data).commit is None


def test_null_and_empty_parameters_become_empty_strings(jenkins_response: Response) -> None:
    data = jenkins_response("build.json")
    data["actions"][0]["parameters"] = [{"name": "TAG", "value": None}, {"name": "NOTE", "value": ""}]
    assert BuildInfo.from_api("x", data).parameters == {"TAG": "", "NOTE": ""}


def test_a_running_build_has_no_duration_yet(jenkins_response: Response) -> None:
    data = jenkins_response("build.json")
    data.update(building=True, result=None, duration=0)
    info = BuildInfo.from_api("x", data)
    assert (info.building, info.result, info.duration_ms) == (True, None, None)


def test_queue_items_waiting_started_and_cancelled(jenkins_response: Response) -> None:
    base = "http://jenkins.example:8080/"
    waiting = QueueItem.from_api(jenkins_response("queue-item-waiting.json"), base_url=base)
    assert waiting.build_number is None and waiting.blocked
    assert waiting.why == "Build #3 is already in progress (ETA: 4 min 10 sec)"
    assert waiting.job == "team/payments-api" and waiting.parameters == {"BRANCH": "main"}
    assert waiting.url == "http://jenkins.example:8080/queue/item/312/"
    started = QueueItem.from_api(jenkins_response("queue-item-started.json"), base_url=base)
    assert started.build_number == 4 and not started.cancelled
    cancelled = QueueItem.from_api(jenkins_response("queue-item-cancelled.json"), base_url=base)
    assert cancelled.cancelled and cancelled.build_number is None


def test_queue_listing_keeps_why_each_item_waits(jenkins_response: Response) -> None:
    items = [QueueItem.from_api(i, base_url="http://x/") for i in jenkins_response("queue.json")["items"]]
    assert [(i.id, i.job, i.why) for i in items] == [
        (318, "nightly-cleanup", "Waiting for next available executor on \u2018linux\u2019"),
        (312, "team/payments-api", "Build #3 is already in progress (ETA: 4 min 10 sec)"),
    ]
    assert items[0].parameters == {"FULL": "true"} and items[0].buildable and not items[0].blocked


def test_job_status_from_a_job(jenkins_response: Response) -> None:
    status = JobStatus.from_api("payments-api", jenkins_response("job.json"))
    assert (status.last_build, status.last_completed_build) == (3, 2)
    assert (status.last_successful_build, status.last_failed_build) == (1, 2)
    assert status.in_queue and status.queue_why == "Build #3 is already in progress (ETA: 4 min 10 sec)"
    assert status.health_score == 50 and status.color == "red_anime"
    assert [b.number for b in status.recent_builds] == [3, 2, 1]


def test_plugins_with_dependencies_from_the_plugin_manager(jenkins_response: Response) -> None:
    (plugin,) = [PluginInfo.from_api(p) for p in jenkins_response("plugins.json")["plugins"]]
    assert (plugin.short_name, plugin.version, plugin.has_update) == ("workflow-aggregator", "2.5", False)
    assert len(plugin.dependencies) == 6
    assert plugin.dependencies[0].short_name == "workflow-api" and not plugin.dependencies[0].optional


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


def test_pipeline_config_xml_escapes_the_script_and_has_the_shape_jenkins_writes() -> None:
    script = "pipeline { agent any\n stages { stage('x') { steps { sh 'a && b < c' } } } }"
    root = ET.fromstring(pipeline_config_xml(script).split("\n", 1)[1])
    reference = ET.parse(DATA / "pipeline-config.xml").getroot()  # a Pipeline job's config.xml
    assert root.tag == reference.tag == "flow-definition"
    assert root.find("definition").get("class") == reference.find("definition").get("class")  # type: ignore[union-attr]
    assert root.findtext("definition/script") == script
    assert root.findtext("definition/sandbox") == "true"
    with pytest.raises(ValueError, match="jenkinsfile"):
        pipeline_config_xml("  ")


def test_the_failed_stage_of_a_failed_run(jenkins_response: Response) -> None:
    *_, green, failed = jenkins_response("wfapi-runs.json")  # wfapi/runs: newest first
    stages = parse_stages(failed)
    assert [(s.name, s.status) for s in stages] == [
        ("Checkout", "SUCCESS"),
        ("Build", "SUCCESS"),
        ("Test", "FAILED"),
        ("Deploy", "NOT_EXECUTED"),
    ]
    stage = pick_failed_stage(stages)
    assert stage is not None and (stage.id, stage.name) == ("23", "Test")
    assert stage.error == "script returned exit code 1" and stage.duration_ms == 180000
    assert pick_failed_stage(parse_stages(green)) is None


def test_unstable_and_running_runs(jenkins_response: Response) -> None:
    running, unstable, _, _ = jenkins_response("wfapi-runs.json")
    stage = pick_failed_stage(parse_stages(unstable))
    assert stage is not None and stage.name == "Test"
    assert pick_failed_stage(parse_stages(running)) is None


def test_a_failed_stage_beats_an_unstable_one(jenkins_response: Response) -> None:
    run = jenkins_response("wfapi-describe.json")
    run["stages"][1]["status"] = "UNSTABLE"
    stage = pick_failed_stage(parse_stages(run))
    assert stage is not None and stage.name == "Test"


def test_the_failed_step_is_the_one_with_an_error(jenkins_response: Response) -> None:
    node = jenkins_response("wfapi-stage.json")  # a green stage: nothing to blame
    assert pick_failed_step(node) is None
    node["stageFlowNodes"][0]["status"] = "FAILED"
    node["stageFlowNodes"][1]["status"] = "FAILED"
    node["stageFlowNodes"][1]["error"] = {"message": "script returned exit code 2"}
    step = pick_failed_step(node)
    assert step is not None and step["name"] == "Shell Script"
