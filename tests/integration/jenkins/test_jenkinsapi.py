"""The admin-side reads that go through jenkinsapi (jobs, queue, nodes, plugins), over HTTP against the double.

They must keep the rules of the plain-REST paths: ``tree=`` on every read, one pooled connection, our retries
and error types, and exact decoding of jenkinsapi's ``api/python`` answers.
"""

from __future__ import annotations

import pytest
from jenkinsapi.jenkins import Jenkins

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import JenkinsAuthError, JenkinsClient, JenkinsNotFound

# Words jenkinsapi's own api/python fallback rewrites textually (True -> true, None -> null): they must survive.
TRICKY_WHY = "Waiting for next available executor on \u2018TrueNAS-01\u2019 (None of 2 idle, False alarm?)"


def _since(double: JenkinsDouble, start: int) -> list[tuple[str, str]]:
    return double.requests[start:]


def test_nodes_come_from_one_tree_poll_of_the_computer_set(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    start = len(jenkins_double.requests)
    nodes = {n.name: n for n in client.nodes()}
    assert _since(jenkins_double, start) == [("GET", "/computer/api/python")]
    assert jenkins_double.request_log[-1]["query"]["tree"].startswith(
        "busyExecutors,totalExecutors,computer["
    )
    # tests/data/jenkins/computers.json: the built-in node, 2 agents online and 2 offline
    assert len(nodes) == 5
    assert (nodes["master"].offline, nodes["master"].executors) == (False, 2)
    assert sum(n.offline for n in nodes.values()) == 2
    assert nodes["linux-arm64-1"].offline_reason == (
        "This agent is offline because Jenkins failed to launch the agent process on it."
    )


def test_queue_items_say_why_they_wait_even_with_python_words_in_the_reason(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("team/api service", parameters={"BRANCH": "main", "DRY_RUN": "True"})
    first = jenkins_double.add_queue_item(
        "team/api service", why=TRICKY_WHY, stuck=True, parameters={"BRANCH": "main", "DRY_RUN": "True"}
    )
    jenkins_double.add_queue_item("team/api service", why="Build #4 is already in progress", blocked=True)
    start = len(jenkins_double.requests)
    items = client.queue()
    assert _since(jenkins_double, start) == [("GET", "/queue/api/python")]
    assert (items[0].id, items[0].job, items[0].stuck, items[0].blocked) == (
        first,
        "team/api service",
        True,
        False,
    )
    assert items[0].why == TRICKY_WHY
    assert items[1].why == "Build #4 is already in progress" and items[1].blocked
    assert items[0].parameters == {"BRANCH": "main", "DRY_RUN": "True"}


def test_a_queue_item_is_read_through_jenkinsapi_until_it_becomes_a_build(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("app")
    queued = client.trigger_build("app")
    number = client.wait_for_build_number(queued, timeout=5, poll_interval=0.01)
    assert number == 1
    assert ("GET", f"/queue/item/{queued.id}/api/python") in jenkins_double.requests
    with pytest.raises(JenkinsNotFound, match="no longer knows queue item 999"):
        client.wait_for_build_number(queued.model_copy(update={"id": 999}), timeout=1, poll_interval=0.01)


def test_plugin_inventory_has_versions_flags_and_dependencies_in_one_call(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_plugin(
        "git", "4.0.0", long_name="None Shall Pass (True story)", update_version="5.2.1",
        dependencies={"workflow-scm-step": "2.3", "credentials": "2.6"},
    )  # fmt: skip
    start = len(jenkins_double.requests)
    plugins = {p.short_name: p for p in client.plugins()}
    assert _since(jenkins_double, start) == [("GET", "/pluginManager/api/python")]
    assert "depth" not in jenkins_double.request_log[-1]["query"]  # tree=, not jenkinsapi's depth=1
    git = plugins["git"]
    assert (git.version, git.long_name, git.has_update, git.enabled, git.active) == (
        "4.0.0",
        "None Shall Pass (True story)",
        True,
        True,
        True,
    )
    assert [(d.short_name, d.version, d.optional) for d in git.dependencies] == [
        ("credentials", "2.6", False),
        ("workflow-scm-step", "2.3", False),
    ]
    assert plugins["workflow-aggregator"].version == "2.5" and len(plugins) == 8


def test_job_listing_walks_folders_and_sees_new_jobs(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("standalone", "freestyle")
    jenkins_double.add_job("org/team/api service")
    jenkins_double.add_job("org/tools")
    start = len(jenkins_double.requests)
    assert client.jobs() == ["org/team/api service", "org/tools", "standalone"]
    # jenkinsapi: the root, then one tree= read per folder (org, org/team); folders are not jobs
    assert sorted(_since(jenkins_double, start)) == [
        ("GET", "/api/python"),
        ("GET", "/job/org/api/python"),
        ("GET", "/job/org/job/team/api/python"),
    ]
    jenkins_double.add_job("org/new")
    assert "org/new" in client.jobs()  # no stale listing cached between calls


def test_existence_of_one_job_costs_one_call(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_job("org/team/app")
    jenkins_double.add_job("org/other/x")
    start = len(jenkins_double.requests)
    assert client.has_job("org/team/app")
    assert not client.has_job("org/team/missing")
    assert client.has_job("org/team")  # a folder is an item too
    assert len(_since(jenkins_double, start)) == 3
    with pytest.raises(ValueError, match="job"):
        client.has_job("../etc")


def test_jenkinsapi_reads_share_the_pooled_connection_retries_and_errors(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_build("app", 1, "FAILURE", "boom\n")
    client.get_build("app", 1)
    client.nodes()
    client.queue()
    client.plugins()
    client.jobs()
    assert len({r["client_port"] for r in jenkins_double.request_log}) == 1
    jenkins_double.fail_next(2, 503)
    assert len(client.nodes()) == 5  # retried with backoff by our transport
    assert jenkins_double.requests[-3:] == [("GET", "/computer/api/python")] * 3

    bad = JenkinsClient(jenkins_double.url, jenkins_double.user, "wrong-token", retries=0)
    with bad, pytest.raises(JenkinsAuthError, match="JENKINS_TOKEN") as caught:
        bad.plugins()
    assert "wrong-token" not in str(caught.value) and "wrong-token" not in (caught.value.url or "")


def test_stock_jenkinsapi_with_password_auth_works_against_the_double(jenkins_double: JenkinsDouble) -> None:
    """The double answers jenkinsapi's own defaults too: api/python everywhere, crumbIssuer/api/python
    (evaluated with ast.literal_eval) and a crumb bound to the session cookie for password auth."""
    jenkins_double.add_job("team/app")
    item = jenkins_double.add_queue_item("team/app", why="Waiting for next available executor")
    stock = Jenkins(jenkins_double.url, jenkins_double.user, jenkins_double.password, timeout=5)
    assert stock.get_jobs_list() == ["team/app"]
    assert [i.why for i in [stock.get_queue()[item]]] == ["Waiting for next available executor"]
    stock.get_queue().delete_item_by_id(item)  # a POST: needs a crumb with password auth
    assert jenkins_double.queue_entries[item].cancelled
    assert ("GET", "/crumbIssuer/api/python") in jenkins_double.requests
    master = stock.get_node("master")  # polls computer/master/api/python
    assert master.is_online() and master.get_num_executors() == 2
    assert not stock.get_node("linux-arm64-1").is_online()
