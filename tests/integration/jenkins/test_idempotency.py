"""Jenkins writes inside an idempotency scope (a task's id): the same write a second time replays the first
result and sends nothing to Jenkins; a first run that died after its write is found in Jenkins, not repeated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import JenkinsClient
from worker.jenkins._idempotency import IdempotencyScope


@pytest.fixture
def scoped(client: JenkinsClient, storage: Any) -> Iterator[JenkinsClient]:
    yield client.idempotent(IdempotencyScope(storage.actions, "task-1"))


def posts(double: JenkinsDouble, part: str) -> int:
    return sum(1 for method, path in double.requests if method == "POST" and part in path)


def test_a_trigger_runs_once_per_task(scoped: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_job("api", parameters={"ENV": "dev"})
    first = scoped.trigger_build("api", {"ENV": "prod"})
    again = scoped.trigger_build("api", {"ENV": "prod"})
    assert again == first
    assert posts(jenkins_double, "/job/api/build") == 1


def test_another_task_triggers_again(
    client: JenkinsClient, storage: Any, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("api")
    client.idempotent(IdempotencyScope(storage.actions, "task-1")).trigger_build("api")
    client.idempotent(IdempotencyScope(storage.actions, "task-2")).trigger_build("api")
    client.trigger_build("api")  # no scope: the CLI, a test
    assert posts(jenkins_double, "/job/api/build") == 3


def test_a_trigger_whose_first_run_died_after_the_post_is_found_in_the_queue(
    scoped: JenkinsClient, storage: Any, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("api", parameters={"ENV": "dev"})
    storage.actions.begin("task-1:trigger:api", task_id="task-1")  # the first run's record ...
    jenkins_double.queue_polls_before_start = 100
    item = JenkinsClient(jenkins_double.url, jenkins_double.user, jenkins_double.token).trigger_build(
        "api", {"ENV": "prod"}
    )  # ... and its POST, whose answer it never read
    found = scoped.trigger_build("api", {"ENV": "prod"})
    assert found.id == item.id
    assert posts(jenkins_double, "/job/api/build") == 1
    assert storage.actions.get("task-1:trigger:api")["state"] == "done"


def test_a_trigger_whose_first_run_died_before_the_post_triggers(
    scoped: JenkinsClient, storage: Any, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("api", parameters={"ENV": "dev"})
    jenkins_double.add_build("api", 1, "SUCCESS", parameters={"ENV": "prod"})  # older than the record
    jenkins_double.jobs["api"].builds[1].timestamp_ms = int(datetime.now(UTC).timestamp() * 1000) - 60_000
    storage.actions.begin("task-1:trigger:api", task_id="task-1")
    scoped.trigger_build("api", {"ENV": "prod"})
    assert posts(jenkins_double, "/job/api/build") == 1


def test_a_rebuild_abort_cancel_install_and_description_each_run_once(
    scoped: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("api", parameters={"ENV": "dev"})
    jenkins_double.add_build("api", 1, "FAILURE", parameters={"ENV": "prod"})
    jenkins_double.add_build("api", 2, None, building=True)
    jenkins_double.add_plugin("slack", "700.v1", installed=False)
    queued = jenkins_double.add_queue_item("api")
    for _ in range(2):
        scoped.rebuild("api", 1)
        scoped.abort_build("api", 2)
        scoped.cancel_queue_item(queued)
        scoped.install_plugin("slack", confirm=True)
        scoped.set_build_description("api", 1, "analysis: dependency", fmt="text")
    assert posts(jenkins_double, "/job/api/build") == 1
    assert posts(jenkins_double, "/job/api/2/stop") == 1
    assert posts(jenkins_double, "queue/cancelItem") == 1
    assert posts(jenkins_double, "installNecessaryPlugins") == 1
    assert posts(jenkins_double, "/job/api/1/submitDescription") == 1
