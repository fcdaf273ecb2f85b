"""Build manager over HTTP: trigger -> queue -> build, abort, rebuild, wait, queue, job status, folders,
descriptions and failed stages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import (
    MARK_END,
    MARK_START,
    JenkinsClient,
    JenkinsError,
    JenkinsNotFound,
    JenkinsTimeout,
)

# Jenkins quotes labels in "why" with curly quotes.
ON_LINUX = "Waiting for next available executor on \u2018linux\u2019"
ON_WINDOWS = "Waiting for next available executor on \u2018windows\u2019"

FAILED_TEST_STAGES: list[dict[str, Any]] = [
    {"name": "Checkout", "status": "SUCCESS", "steps": [{"name": "Git", "status": "SUCCESS"}]},
    {
        "name": "Test",
        "status": "FAILED",
        "steps": [
            {"name": "Shell Script", "status": "SUCCESS", "parameter": "mvn -B compile"},
            {
                "name": "Shell Script",
                "status": "FAILED",
                "parameter": "mvn verify",
                "error": "script returned exit code 1",
                "log": "[ERROR] Tests run: 12, Failures: 1\n",
            },
        ],
    },
    {"name": "Deploy", "status": "NOT_EXECUTED", "steps": []},
]


def test_trigger_with_parameters_gives_a_queue_item_then_a_build_number(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("team/api", parameters={"BRANCH": "main", "DEPLOY": "false"})
    jenkins_double.add_build("team/api", 41, "SUCCESS", "ok\n")
    jenkins_double.queue_polls_before_start = 3  # the item waits for two polls, as if no executor were free
    item = client.trigger_build("team/api", {"BRANCH": "feature/x"})
    assert item.url == f"{jenkins_double.url}queue/item/{item.id}/"
    waiting = client.queue_item(item.id)
    assert waiting.build_number is None and waiting.why == "Waiting for next available executor"
    assert waiting.job == "team/api"

    number = client.wait_for_build_number(item, timeout=5, poll_interval=0.01)
    assert number == 42
    build = client.wait_for_build("team/api", number, timeout=5, poll_interval=0.01)
    assert (build.result, build.building, build.queue_id) == ("SUCCESS", False, item.id)
    assert build.parameters == {"BRANCH": "feature/x", "DEPLOY": "false"}
    assert ("POST", "/job/team/job/api/buildWithParameters") in jenkins_double.requests


def test_a_job_without_parameters_is_triggered_with_build(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("plain", kind="freestyle")
    item = client.trigger_build("plain")
    assert client.wait_for_build_number(item, timeout=5, poll_interval=0.01) == 1
    assert ("POST", "/job/plain/build") in jenkins_double.requests


def test_a_parameterized_job_without_parameters_builds_with_its_defaults(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("team/api", parameters={"BRANCH": "main"})
    item = client.trigger_build("team/api")
    number = client.wait_for_build_number(item, timeout=5, poll_interval=0.01)
    assert client.get_build("team/api", number).parameters == {"BRANCH": "main"}
    assert ("POST", "/job/team/job/api/buildWithParameters") in jenkins_double.requests


def test_misspelt_parameters_are_refused_instead_of_silently_ignored(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("team/api", parameters={"BRANCH": "main", "DEPLOY": "false"})
    with pytest.raises(ValueError, match=r"\['BRNACH'\] are not parameters of team/api \(it defines: BRANCH"):
        client.trigger_build("team/api", {"BRNACH": "x"})
    jenkins_double.add_job("plain", kind="freestyle")
    with pytest.raises(ValueError, match="defines: none"):
        client.trigger_build("plain", {"X": "1"})
    assert not any(method == "POST" for method, _ in jenkins_double.requests)


def test_waiting_for_a_stuck_item_times_out_with_jenkins_reason(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("app")
    item_id = jenkins_double.add_queue_item("app", why=ON_LINUX)
    item = client.queue_item(item_id)
    with pytest.raises(JenkinsTimeout, match=ON_LINUX):
        client.wait_for_build_number(item, timeout=0.1, poll_interval=0.02)


def test_a_cancelled_queue_item_is_an_error(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_job("app")
    item = client.queue_item(jenkins_double.add_queue_item("app"))
    jenkins_double.queue_entries[item.id].cancelled = True
    with pytest.raises(JenkinsError, match="cancelled"):
        client.wait_for_build_number(item, timeout=1, poll_interval=0.01)


def test_a_build_that_does_not_finish_in_time_raises(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_build("app", 1, None, "running\n", building=True)
    with pytest.raises(JenkinsTimeout, match="still running"):
        client.wait_for_build("app", 1, timeout=0.1, poll_interval=0.02)


def test_abort_stops_a_running_build(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("team/api", 7, None, "sleeping\n", building=True)
    client.abort_build("team/api", 7)
    build = client.get_build("team/api", 7)
    assert (build.result, build.building) == ("ABORTED", False)
    assert ("POST", "/job/team/job/api/7/stop") in jenkins_double.requests


def test_rebuild_queues_the_same_parameters(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_job("team/api", parameters={"BRANCH": "main", "ENV": "dev"})
    jenkins_double.add_build("team/api", 9, "FAILURE", "boom\n", parameters={"BRANCH": "hotfix", "ENV": "qa"})
    item = client.rebuild("team/api", 9)
    assert item.parameters == {"BRANCH": "hotfix", "ENV": "qa"}
    number = client.wait_for_build_number(item, timeout=5, poll_interval=0.01)
    assert client.get_build("team/api", number).parameters == {"BRANCH": "hotfix", "ENV": "qa"}


def test_rebuild_leaves_hidden_password_values_to_the_job_default(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("deploy", parameters={"ENV": "dev", "TOKEN": "default-secret"})
    jenkins_double.add_build("deploy", 1, "FAILURE", "x\n", parameters={"ENV": "prod", "TOKEN": None})  # type: ignore[dict-item]
    item = client.rebuild("deploy", 1)
    assert item.parameters == {"ENV": "prod"}
    number = client.wait_for_build_number(item, timeout=5, poll_interval=0.01)
    assert client.get_build("deploy", number).parameters == {"ENV": "prod", "TOKEN": "default-secret"}


def test_a_forgotten_queue_item_says_so(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_job("app")
    item = client.trigger_build("app")
    del jenkins_double.queue_entries[item.id]
    with pytest.raises(JenkinsNotFound, match="no longer knows queue item"):
        client.wait_for_build_number(item, timeout=1, poll_interval=0.01)


def test_queue_lists_items_with_why_they_wait(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_job("a")
    jenkins_double.add_job("team/b", parameters={"X": "1"})
    jenkins_double.add_queue_item("a", why=ON_WINDOWS, stuck=True)
    jenkins_double.add_queue_item(
        "team/b", why="Build #3 is already in progress", blocked=True, parameters={"X": "2"}
    )
    items = client.queue()
    assert [(i.job, i.why, i.stuck, i.blocked) for i in items] == [
        ("a", ON_WINDOWS, True, False),
        ("team/b", "Build #3 is already in progress", False, True),
    ]
    assert items[1].parameters == {"X": "2"}


def test_job_status_shows_health_and_recent_builds(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    for n, result in enumerate(["SUCCESS", "FAILURE", "SUCCESS", "UNSTABLE", "FAILURE"], start=1):
        jenkins_double.add_build("team/api", n, result, "x\n")
    jenkins_double.add_build("team/api", 6, None, "x\n", building=True)
    status = client.job_status("team/api", limit=3)
    assert [(b.number, b.result, b.building) for b in status.recent_builds] == [
        (6, None, True),
        (5, "FAILURE", False),
        (4, "UNSTABLE", False),
    ]
    assert status.recent_builds[0].duration_ms is None  # unknown while running, not 0
    assert (status.last_build, status.last_successful_build, status.last_failed_build) == (6, 4, 5)
    assert status.color == "red_anime" and status.health_score == 40
    with pytest.raises(ValueError, match="limit"):
        client.job_status("team/api", limit=0)


def test_jobs_in_nested_folders(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("org/team/api service", 3, "FAILURE", "boom\n")
    assert client.get_build("org/team/api service", 3).result == "FAILURE"
    assert ("GET", "/job/org/job/team/job/api%20service/3/api/json") in jenkins_double.requests
    with pytest.raises(JenkinsNotFound):
        client.get_build("org/api service", 3)


def test_last_successful_build_number(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "FAILURE", "x\n")
    assert client.last_successful_build_number("app") is None
    jenkins_double.add_build("app", 2, "SUCCESS", "x\n")
    jenkins_double.add_build("app", 3, "FAILURE", "x\n")
    assert client.last_successful_build_number("app") == 2


def test_descriptions_keep_what_people_wrote(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 5, "FAILURE", "boom\n", description="deployed to <b>staging</b>")
    client.set_build_description("app", 5, "AI analysis: test - 1 failure")
    jenkins_double.jobs["app"].builds[5].description += "\nnote from a person"  # type: ignore[operator]
    client.set_build_description("app", 5, "AI analysis: test - 2 failures")
    assert jenkins_double.description("app", 5) == (
        "deployed to <b>staging</b>\n"
        f"{MARK_START}AI analysis: test - 2 failures{MARK_END}\n"
        "note from a person"
    )


def test_an_unchanged_description_is_not_written_again(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_build("app", 5, "FAILURE", "boom\n")
    client.set_build_description("app", 5, "same")
    client.set_build_description("app", 5, "same")
    assert jenkins_double.requests.count(("POST", "/job/app/5/submitDescription")) == 1


def test_failed_stage_names_the_stage_and_step(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("team/api", 8, "FAILURE", "boom\n", stages=FAILED_TEST_STAGES)
    stage = client.failed_stage("team/api", 8)
    assert stage is not None
    assert (stage.name, stage.status, stage.step) == ("Test", "FAILED", "sh 'mvn verify'")
    assert stage.error == "script returned exit code 1"
    assert [s.name for s in client.stages("team/api", 8)] == ["Checkout", "Test", "Deploy"]


def test_failed_stage_is_none_for_freestyle_jobs_and_green_pipelines(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("free", kind="freestyle")
    jenkins_double.add_build("free", 1, "FAILURE", "boom\n")
    assert client.failed_stage("free", 1) is None
    jenkins_double.add_build("pipe", 1, "SUCCESS", "ok\n", stages=[{"name": "Build", "status": "SUCCESS"}])
    assert client.failed_stage("pipe", 1) is None


def test_an_unstable_stage_is_reported_when_nothing_failed(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    stages: list[dict[str, Any]] = [
        {"name": "Build", "status": "SUCCESS"},
        {
            "name": "Test",
            "status": "UNSTABLE",
            "steps": [{"name": "Record JUnit test results", "status": "UNSTABLE"}],
        },
    ]
    jenkins_double.add_build("pipe", 2, "UNSTABLE", "x\n", stages=stages)
    stage = client.failed_stage("pipe", 2)
    assert stage is not None and (stage.name, stage.step) == ("Test", "junit")


def test_nodes_explain_why_work_waits(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    nodes = {n.name: n for n in client.nodes()}  # tests/data/jenkins/computers.json
    assert len(nodes) == 5
    assert nodes["master"].executors == 2 and not nodes["master"].offline
    offline = [n for n in nodes.values() if n.offline]
    assert [(n.name, n.temporarily_offline) for n in offline] == [
        ("linux-arm64-1", False),
        ("windows-2022", True),
    ]
    assert offline[0].offline_reason == (
        "This agent is offline because Jenkins failed to launch the agent process on it."
    )
    assert offline[1].offline_reason == "Disconnected by dana : patching"
    assert nodes["linux-amd64-1"].labels == ["linux", "docker"] and nodes["linux-amd64-1"].idle
