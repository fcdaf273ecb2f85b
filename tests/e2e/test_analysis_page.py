"""End to end, for a Jenkins user: the failed build's description links to a page that opens without a token.

Groovy step -> API -> Redis -> a real Celery worker -> the Jenkins double (log in, description out) -> MongoDB,
then the URL written into the description is fetched with no credentials at all: the HTML page shows the first
excerpt block's lines, each linked to the line in Jenkins' console, and a changed link answers 403. A second
test runs two controllers (two doubles) with the same job and build number: each analysis and page shows its
own controller's log.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from tests.e2e.test_shared_lib import BUILD, JOB, build_env, run_step, step_spec
from tests.jenkins_double import JenkinsDouble
from tests.logs import DISK_FULL, MAVEN_TEST_FAILURE, line_of, pipeline_log
from tests.services import RunningAPI

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings_overrides(public_port: int, second_double: JenkinsDouble) -> dict[str, Any]:
    controllers = {second_double.url: {"user": second_double.user, "token": second_double.token}}
    return {
        "PUBLIC_API_URL": f"http://127.0.0.1:{public_port}",
        "PAGE_LINK_SECRET": "page-links-of-this-test-0123456789abcdef",
        "JENKINS_CONTROLLERS": json.dumps(controllers),
    }


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    """GET with nothing but the given headers (no token unless one is passed): status, body, headers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def wait_for_analysis(api: RunningAPI, job: str, build: int, controller: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {api.token}"}
    url = f"{api.url}/api/v1/jobs/{job}/builds/{build}?jenkins_url={controller}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body, _ = fetch(url, auth)
        if status == 200 and json.loads(body)["build"].get("analysis_status") in {"done", "failed"}:
            document: dict[str, Any] = json.loads(body)
            assert document["build"]["analysis_status"] == "done", document
            return document
        time.sleep(0.2)
    raise AssertionError(f"no analysis of {job} #{build} on {controller} within 60 s")


def page_url_in(description: str) -> str:
    match = re.search(r"^Full analysis: (\S+)$", description, re.MULTILINE)
    assert match, f"no page link in the description: {description!r}"
    return match.group(1)


def assert_shows_block(page: str, analysis: dict[str, Any]) -> None:
    """The page holds the first block's lines, each numbered as in the log and linked to the console."""
    block = analysis["excerpt"][0]
    for offset, text in enumerate(block["text"].split("\n")):
        number = block["start_line"] + offset
        assert f'href="{analysis["console_url"]}#L{number}"' in page
        assert f'<span class="text">{escape(text)}</span>' in page  # Jinja's autoescape, as rendered


def test_the_description_link_opens_the_page_without_a_token(
    page_api: RunningAPI, jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    log = pipeline_log(MAVEN_TEST_FAILURE, noise_lines=400)
    jenkins_double.add_job(JOB)
    jenkins_double.add_build(JOB, BUILD, "FAILURE", console=log)
    env = build_env(jenkins_double.url, page_api.url)

    result = run_step(tmp_path, step_spec("curl", env, page_api.token, timeout=90, interval=1))

    assert result["ok"], result["error"]
    description = jenkins_double.description(JOB, BUILD) or ""
    link = page_url_in(description)
    assert link == result["returned"]["page_url"] and "<" not in description.split("\n")[-1]
    status, page, headers = fetch(link)  # no Authorization header, no cookie: a person's browser
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    analysis = wait_for_analysis(page_api, JOB, BUILD, jenkins_double.url.rstrip("/"))["analysis"]
    assert_shows_block(page, analysis)
    first = analysis["excerpt"][0]
    assert first["start_line"] <= line_of(log, "AssertionFailedError") <= first["end_line"]
    assert "expected: &lt;10.02&gt; but was: &lt;10.03&gt;" in page

    token = link.rsplit("/", 1)[1]
    cut = 4  # a digit of the signed payload (the last digit of a token may carry only padding bits)
    tampered = link[: -len(token)] + token[:cut] + ("A" if token[cut] != "A" else "B") + token[cut + 1 :]
    refused, body, _ = fetch(tampered)
    assert refused == 403 and "This link is not valid" in body
    assert fetch(f"{page_api.url}/api/v1/jobs/{JOB}/builds/{BUILD}/analysis")[0] == 401  # the JSON keeps auth


def test_two_controllers_with_the_same_job_and_number_each_show_their_own_log(
    page_api: RunningAPI, jenkins_double: JenkinsDouble, second_double: JenkinsDouble
) -> None:
    logs = {
        jenkins_double: pipeline_log(MAVEN_TEST_FAILURE, noise_lines=300, seed=1),
        second_double: pipeline_log(DISK_FULL, noise_lines=500, seed=2),
    }
    auth = {"Authorization": f"Bearer {page_api.token}", "Content-Type": "application/json"}
    for double, log in logs.items():
        double.add_job(JOB)
        double.add_build(JOB, BUILD, "FAILURE", console=log)
        event = {"jenkins_url": double.url, "job": JOB, "build": BUILD, "status": "FAILURE"}
        request = urllib.request.Request(
            f"{page_api.url}/api/v1/events", data=json.dumps(event).encode(), headers=auth, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202

    found = {}
    for double, log in logs.items():
        controller = double.url.rstrip("/")
        document = wait_for_analysis(page_api, JOB, BUILD, controller)
        analysis = document["analysis"]
        found[double] = analysis
        assert document["build"]["jenkins_url"] == analysis["jenkins_url"] == controller
        first = analysis["excerpt"][0]
        lines = log.split("\n")[first["start_line"] - 1 : first["end_line"]]
        assert [line.split() for line in first["text"].split("\n")] == [line.split() for line in lines]
        assert analysis["console_url"].startswith(controller + "/job/team/job/api-service/7/")
        status, page, _ = fetch(page_url_in(double.description(JOB, BUILD) or ""))
        assert status == 200
        assert_shows_block(page, analysis)
        # Each controller was asked for its own build's log only (never the other controller's URL).
        assert ("GET", "/job/team/job/api-service/7/logText/progressiveText") in double.requests
    assert (
        found[jenkins_double]["category"] == "test" and found[second_double]["category"] == "infrastructure"
    )
    assert "No space left on device" not in json.dumps(found[jenkins_double]["excerpt"])
    assert "AssertionFailedError" not in json.dumps(found[second_double]["excerpt"])
    assert found[jenkins_double]["similar"] == [] or all(
        (s["jenkins_url"], s["build"]) != (second_double.url.rstrip("/"), BUILD) or s["score"] < 1.0
        for s in found[jenkins_double]["similar"]
    )
