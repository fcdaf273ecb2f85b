"""End to end: the shared library's Groovy steps -> API -> Redis -> a real Celery worker -> MongoDB -> back.

The step code is the library's own (`jenkins-shared-lib/vars`, `src`), run by the pipeline harness through
`jenkins-shared-lib/test/run-step.groovy` in live mode: its `httpRequest` stub makes real HTTP requests and
its `sh` stub runs the library's real curl script with `sh -xe`, as Jenkins does. Only Jenkins itself is
replaced: by the harness for the build that runs the step, and by the Jenkins test double for the REST API
the worker reads the console log from and writes the description to.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.logs import MAVEN_TEST_FAILURE, pipeline_log
from tests.services import free_port

pytestmark = pytest.mark.e2e

LIBRARY = Path(__file__).resolve().parents[2] / "jenkins-shared-lib"
JOB = "team/api-service"
BUILD = 7
CREDENTIALS_ID = "langchain-jenkins-api-token"
MARK_START = "<!-- langchain-jenkins -->"
TRANSPORTS = ["httpRequest", "curl"]


def run_step(tmp_path: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Runs one library step in the Groovy harness and returns what it recorded (console, calls, build)."""
    groovy = shutil.which("groovy")
    if groovy is None:
        pytest.fail("groovy is not installed: apt-get install -y groovy junit4 default-jre-headless")
    spec_file = tmp_path / "spec.json"
    result_file = tmp_path / "result.json"
    spec_file.write_text(json.dumps({"live": True, **spec}), encoding="utf-8")
    proc = subprocess.run(
        [groovy, "-cp", "src:test/support", "test/run-step.groovy", str(spec_file), str(result_file)],
        cwd=LIBRARY,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if not result_file.exists():
        pytest.fail(
            f"run-step.groovy wrote no result (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    return result


def build_env(jenkins_url: str, api_url: str) -> dict[str, str]:
    """The environment Jenkins gives a Pipeline build, plus the library's configuration."""
    return {
        "JOB_NAME": JOB,
        "BUILD_NUMBER": str(BUILD),
        "JENKINS_URL": jenkins_url,
        "BUILD_URL": f"{jenkins_url}job/team/job/api-service/{BUILD}/",
        "LANGCHAIN_JENKINS_URL": api_url,
    }


def step_spec(transport: str, env: dict[str, str], token: str, **args: Any) -> dict[str, Any]:
    return {
        "step": "analyzeFailure",
        "args": args,
        "env": env,
        "credentials": {CREDENTIALS_ID: token},
        "currentBuild": {"result": "FAILURE", "description": "deployed to staging", "duration": 93_000},
        "httpRequestInstalled": transport == "httpRequest",
    }


def assert_token_not_leaked(result: dict[str, Any], token: str) -> None:
    """The token may only travel in the masked Authorization header of httpRequest, never in the log."""
    assert token not in "\n".join(result["console"])
    for call in result["calls"]:
        if call["step"] != "httpRequest":
            assert token not in call["args"], f"token leaked into {call['step']}"


@pytest.fixture
def maven_like_failure(jenkins_double: Any) -> str:
    """A failed build in the Jenkins double whose console is a Maven build with a failed test (~60 KB)."""
    log = pipeline_log(MAVEN_TEST_FAILURE, noise_lines=600)
    jenkins_double.add_job(JOB)
    jenkins_double.add_build(JOB, BUILD, "FAILURE", console=log)
    return str(log)


def get_build(api_url: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{api_url}/api/v1/jobs/{JOB}/builds/{BUILD}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        document: dict[str, Any] = json.load(response)
    return document


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_failed_build_analysis_is_printed_and_set_as_description(
    api_server: Any, jenkins_double: Any, maven_like_failure: str, transport: str, tmp_path: Path
) -> None:
    env = build_env(jenkins_double.url, api_server.url)

    result = run_step(tmp_path, step_spec(transport, env, api_server.token, timeout=90, interval=1))

    assert result["ok"], result["error"]
    assert result["transport"] == transport
    stored = get_build(api_server.url, api_server.token)
    assert stored["build"]["analysis_status"] == "done"
    analysis = stored["analysis"]
    assert result["returned"]["fingerprint"] == analysis["fingerprint"]

    console = "\n".join(result["console"])
    assert f"analyzeFailure: submitted {JOB} #{BUILD} (FAILURE)" in console
    assert f"Category: {analysis['category']}" in console
    assert f"Summary:  {analysis['summary']}" in console
    block = analysis["excerpt"][0]
    lines = block["text"].splitlines()
    width = max(len(str(block["start_line"] + len(lines) - 1)), 4)
    assert f"Excerpt (lines {block['start_line']}-{block['start_line'] + len(lines) - 1}):" in console
    assert f"  {str(block['start_line']).rjust(width)} | {lines[0]}" in console
    for cause in analysis["causes"]:
        if cause.get("fix"):
            assert f"Fix:      {cause['fix']}" in console

    # The step set the description in the running build, keeping the text that was there (plain text, the
    # default formatter: our two lines, no markup)...
    description = result["currentBuild"]["description"]
    ours = analysis["description"]["block"]
    assert description == f"deployed to staging\n{ours}"
    assert ours.startswith(f"AI analysis: {analysis['category']} - ")
    assert ours.endswith(f"\nFull analysis: {analysis['page_url']}") and MARK_START not in description
    assert result["returned"]["page_url"] == analysis["page_url"]
    assert result["returned"]["retryable"] is analysis["retryable"]
    # ...and the worker published the same lines to Jenkins through its REST API.
    assert jenkins_double.description(JOB, BUILD) == ours
    assert result["currentBuild"]["result"] == "FAILURE"
    assert_token_not_leaked(result, api_server.token)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unreachable_api_only_warns(transport: str, tmp_path: Path) -> None:
    closed_port = free_port()  # nothing listens there
    env = build_env("http://jenkins.example:8080/", f"http://127.0.0.1:{closed_port}")

    result = run_step(tmp_path, step_spec(transport, env, "tok-never-shown", timeout=5, interval=1))

    assert result["ok"], result["error"]
    assert result["returned"] is None
    console = "\n".join(result["console"])
    assert f"WARNING: analyzeFailure: could not submit {JOB} #{BUILD} for analysis: no response" in console
    assert result["currentBuild"] == {"result": "FAILURE", "description": "deployed to staging"}
    assert_token_not_leaked(result, "tok-never-shown")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unreachable_api_fails_the_build_with_fail_on_error(transport: str, tmp_path: Path) -> None:
    env = build_env("http://jenkins.example:8080/", f"http://127.0.0.1:{free_port()}")

    result = run_step(tmp_path, step_spec(transport, env, "tok-never-shown", failOnError=True))

    assert not result["ok"]
    assert result["error"].startswith(
        "org.langchainjenkins.testing.AbortException: analyzeFailure: could not submit"
    )


def test_rejected_token_is_reported_without_leaking_it(api_server: Any, tmp_path: Path) -> None:
    env = build_env("http://jenkins.example:8080/", api_server.url)

    result = run_step(tmp_path, step_spec("curl", env, "not-the-token-4711"))

    assert result["ok"], result["error"]
    assert "HTTP 401 unauthorized" in "\n".join(result["console"])
    assert_token_not_leaked(result, "not-the-token-4711")


def test_ask_jenkins_agent_returns_the_finished_task(
    api_server: Any, jenkins_double: Any, maven_like_failure: str, tmp_path: Path
) -> None:
    env = build_env(jenkins_double.url, api_server.url)
    spec = {
        "step": "askJenkinsAgent",
        "args": {"task": f"Why did build #{BUILD} of {JOB} fail?", "timeout": 90, "interval": 1},
        "env": env,
        "credentials": {CREDENTIALS_ID: api_server.token},
        "httpRequestInstalled": False,
    }

    result = run_step(tmp_path, spec)

    assert result["ok"], result["error"]
    task = result["returned"]
    assert task["status"] == "succeeded", task
    assert task["result"]["answer"].strip()
    request = urllib.request.Request(
        f"{api_server.url}/api/v1/tasks/{task['task_id']}",
        headers={"Authorization": f"Bearer {api_server.token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        stored = json.load(response)
    assert task == stored
    assert f"askJenkinsAgent: task {task['task_id']} {task['status']}" in "\n".join(result["console"])
    assert_token_not_leaked(result, api_server.token)
