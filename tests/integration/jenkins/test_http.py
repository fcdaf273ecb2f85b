"""Auth, CSRF crumbs, retries and error mapping, over real HTTP against the Jenkins double."""

from __future__ import annotations

import time

import pytest
import requests

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import (
    MARK_END,
    MARK_START,
    JenkinsAuthError,
    JenkinsClient,
    JenkinsNotFound,
    JenkinsUnavailable,
)


def _client(double: JenkinsDouble, user: str | None, secret: str | None) -> JenkinsClient:
    return JenkinsClient(double.url, user, secret, timeout=5.0, retries=2, backoff=0.01)


def test_ping_is_true_with_a_valid_api_token(client: JenkinsClient) -> None:
    assert client.ping() is True
    assert client.version() == "2.462.3"


def test_requests_without_credentials_get_an_auth_error(jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "SUCCESS", "ok\n")
    anonymous = _client(jenkins_double, None, None)
    with pytest.raises(JenkinsAuthError) as err:
        anonymous.get_build("app", 1)
    assert err.value.status == 401
    assert anonymous.ping() is False


def test_a_wrong_token_gets_an_auth_error_that_names_the_settings(jenkins_double: JenkinsDouble) -> None:
    wrong = _client(jenkins_double, jenkins_double.user, "11" + "0" * 32)
    with pytest.raises(JenkinsAuthError, match="JENKINS_TOKEN") as err:
        wrong.last_successful_build_number("app")
    assert err.value.status == 401
    assert wrong.ping() is False


def test_api_token_posts_need_no_crumb(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "FAILURE", "boom\n")
    client.set_build_description("app", 1, "first")
    client.set_build_description("app", 1, "second")
    assert ("GET", "/crumbIssuer/api/json") not in jenkins_double.requests


def test_a_post_without_a_crumb_is_refused_when_jenkins_wants_one(jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "FAILURE", "boom\n")
    url = jenkins_double.url + "job/app/1/submitDescription"
    response = requests.post(
        url, data={"description": "x"}, auth=(jenkins_double.user, jenkins_double.password), timeout=5
    )
    assert response.status_code == 403
    assert "crumb" in response.text


def test_password_auth_fetches_one_crumb_per_session_and_retries(jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "FAILURE", "boom\n")
    with _client(jenkins_double, jenkins_double.user, jenkins_double.password) as c:
        c.set_build_description("app", 1, "first", current_description=None)
        c.set_build_description("app", 1, "second", current_description=jenkins_double.description("app", 1))
    assert jenkins_double.description("app", 1) == f"{MARK_START}second{MARK_END}"
    assert jenkins_double.requests.count(("GET", "/crumbIssuer/api/json")) == 1
    # refused once without a crumb, then two accepted POSTs carrying it
    assert jenkins_double.requests.count(("POST", "/job/app/1/submitDescription")) == 3


def test_tokens_get_a_crumb_too_on_controllers_that_require_it(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.crumbs_for_tokens = True
    jenkins_double.add_job("app", parameters={"X": "1"})
    item = client.trigger_build("app", {"X": "2"})
    assert item.parameters == {"X": "2"}
    assert jenkins_double.requests.count(("GET", "/crumbIssuer/api/json")) == 1


def test_retries_5xx_with_backoff_then_succeeds(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 7, "FAILURE", "boom\n")
    jenkins_double.fail_next(2, status=503)
    assert client.get_build("app", 7).result == "FAILURE"
    assert jenkins_double.requests.count(("GET", "/job/app/7/api/json")) == 3


def test_gives_up_after_the_configured_retries(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 7, "FAILURE", "boom\n")
    jenkins_double.fail_next(10, status=502)
    with pytest.raises(JenkinsUnavailable) as err:
        client.get_build("app", 7)
    assert err.value.status == 502
    assert jenkins_double.requests.count(("GET", "/job/app/7/api/json")) == 4  # 1 + retries=3


def test_a_trigger_is_never_resent_after_jenkins_answered(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("app")
    jenkins_double.fail_next(1, status=500, method="POST")
    with pytest.raises(JenkinsUnavailable):
        client.trigger_build("app")
    assert jenkins_double.requests.count(("POST", "/job/app/build")) == 1
    assert jenkins_double.queue_entries == {}


def test_an_unreachable_jenkins_is_unavailable_not_a_crash() -> None:
    double = JenkinsDouble().start()
    url = double.url
    double.stop()
    c = JenkinsClient(url, "u", "t", timeout=1.0, retries=1, backoff=0.01)
    with pytest.raises(JenkinsUnavailable, match="cannot connect"):
        c.get_build("app", 1)
    assert c.ping() is False


def test_ping_does_not_retry_so_readiness_checks_stay_fast(jenkins_double: JenkinsDouble) -> None:
    slow_to_give_up = JenkinsClient(
        jenkins_double.url, jenkins_double.user, jenkins_double.token, retries=5, backoff=10.0
    )
    jenkins_double.fail_next(1, status=503)
    started = time.monotonic()
    assert slow_to_give_up.ping() is False
    assert time.monotonic() - started < 2.0
    assert slow_to_give_up.ping() is True
    assert jenkins_double.requests.count(("GET", "/api/json")) == 2


def test_unknown_jobs_and_builds_are_not_found(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "SUCCESS", "ok\n")
    with pytest.raises(JenkinsNotFound):
        client.get_build("nope", 1)
    with pytest.raises(JenkinsNotFound):
        client.get_build("app", 99)


def test_every_json_call_names_its_fields_with_tree(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("team/app", parameters={"BRANCH": "main"})
    jenkins_double.add_build("team/app", 1, "FAILURE", "boom\n", parameters={"BRANCH": "dev"})
    client.ping()
    client.get_build("team/app", 1)
    client.last_successful_build_number("team/app")
    client.job_status("team/app")
    client.queue()
    client.plugins()
    client.plugin_updates()
    client.set_build_description("team/app", 1, "x")
    client.rebuild("team/app", 1)
    client.nodes()
    client.jobs()
    client.has_job("team/app")
    client.queue_item(client.trigger_build("team/app").id)
    api_calls = [r for r in jenkins_double.request_log if r["path"].endswith(("/api/json", "/api/python"))]
    assert {r["path"] for r in api_calls if r["path"].endswith("/api/python")} >= {
        "/api/python",
        "/job/team/api/python",
        "/queue/api/python",
        "/computer/api/python",
        "/pluginManager/api/python",
    }  # the jenkinsapi reads
    assert len(api_calls) >= 15
    assert [r["path"] for r in api_calls if "tree" not in r["query"]] == []


def test_a_jenkins_under_a_context_path_works() -> None:
    double = JenkinsDouble(context_path="jenkins").start()
    try:
        double.add_build(
            "team/app",
            3,
            "FAILURE",
            "boom\n",
            stages=[
                {"name": "Test", "status": "FAILED", "steps": [{"status": "FAILED", "parameter": "make"}]}
            ],
        )
        with JenkinsClient(double.url, double.user, double.token, retries=0) as c:
            assert double.url.endswith("/jenkins/")
            assert c.get_build("team/app", 3).result == "FAILURE"
            stage = c.failed_stage("team/app", 3)
            assert stage is not None and stage.step == "sh 'make'"
    finally:
        double.stop()


def test_calls_reuse_one_connection(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "FAILURE", "boom\n")
    for _ in range(10):
        client.get_build("app", 1)
        client.set_build_description("app", 1, "x")
    assert len(jenkins_double.request_log) == 21  # 10 GET build, 10 GET description, 1 POST
    assert len({r["client_port"] for r in jenkins_double.request_log}) == 1
