"""Honest operations: every write reads what Jenkins did, and says so."""

from __future__ import annotations

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import JenkinsClient


def _posts(double: JenkinsDouble) -> list[str]:
    return [path for method, path in double.requests if method == "POST"]


def test_aborting_a_finished_build_does_nothing_and_says_it_had_finished(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_build("app", 3, "FAILURE", console="boom\n")

    outcome = client.abort_build("app", 3)

    assert (outcome.action, outcome.done, outcome.building, outcome.result) == (
        "none",
        False,
        False,
        "FAILURE",
    )
    assert outcome.message == "app #3 had already finished (FAILURE); nothing was done"
    assert _posts(jenkins_double) == []  # no stop request was sent at all


def test_aborting_a_running_build_reports_that_jenkins_aborted_it(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_build("app", 4, None, console="running\n", building=True)

    dry = client.abort_build("app", 4, confirm=False)
    assert (dry.action, dry.done, dry.dry_run) == ("abort", False, True) and _posts(jenkins_double) == []
    outcome = client.abort_build("app", 4)

    assert (outcome.action, outcome.done, outcome.building, outcome.result) == (
        "abort",
        True,
        False,
        "ABORTED",
    )
    assert _posts(jenkins_double) == ["/job/app/4/stop"]


def test_a_queued_build_is_cancelled_through_the_queue(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("app")
    item = jenkins_double.add_queue_item("app", why="Waiting for next available executor on 'linux'")

    dry = client.cancel_queue_item(item, confirm=False)
    assert dry.dry_run and not dry.done and "Waiting for next available executor" in dry.message
    outcome = client.cancel_queue_item(item)

    assert (outcome.action, outcome.done, outcome.cancelled) == ("cancel", True, True)
    assert outcome.message == f"Jenkins cancelled queue item {item} (app)"
    assert _posts(jenkins_double) == ["/queue/cancelItem"]
    again = client.cancel_queue_item(item)
    assert (again.action, again.done) == ("none", False) and "was already cancelled" in again.message


def test_an_item_that_already_started_is_not_cancelled(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("app")
    item = jenkins_double.add_queue_item("app", hold=False)
    client.queue_item(item)  # the double starts the build on this poll

    outcome = client.cancel_queue_item(item)

    assert (outcome.action, outcome.done, outcome.build) == ("none", False, 1)
    assert "already started as build #1" in outcome.message and _posts(jenkins_double) == []


def test_a_description_write_says_whether_jenkins_was_written_to(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_build("app", 5, "FAILURE", console="x\n", description="deployed")

    assert client.set_build_description("app", 5, "AI analysis: test - x", fmt="text") is True
    assert client.set_build_description("app", 5, "AI analysis: test - x", fmt="text") is False
    assert jenkins_double.description("app", 5) == "deployed\nAI analysis: test - x"
