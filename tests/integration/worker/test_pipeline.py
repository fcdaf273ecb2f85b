"""The whole path on real components: HTTP → Redis → Celery worker → Jenkins double → MongoDB → HTTP.

Everything talks over real sockets: the Flask API served by Werkzeug, a real Redis, a real MongoDB-wire server
(SecantusDB), a real Celery worker and the Jenkins test double replaying recorded Jenkins responses.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from worker import task_names

FAILED_LOG = """Started by user admin
[Pipeline] Start of Pipeline
[Pipeline] node
Running on agent-7 in /var/jenkins/workspace/api-service
[Pipeline] stage
[Pipeline] { (Test)
[Pipeline] sh
+ mvn -B verify
[INFO] Scanning for projects...
[INFO] Building api-service 1.4.2-SNAPSHOT
[INFO] -------------------------------------------------------
[INFO]  T E S T S
[INFO] -------------------------------------------------------
[INFO] Running com.example.api.OrderServiceTest
[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.412 s <<< FAILURE! - in com.example.api.OrderServiceTest
[ERROR] shouldRejectNegativeQuantity(com.example.api.OrderServiceTest)  Time elapsed: 0.011 s  <<< FAILURE!
org.opentest4j.AssertionFailedError: expected: <400> but was: <200>
	at com.example.api.OrderServiceTest.shouldRejectNegativeQuantity(OrderServiceTest.java:57)
[INFO]
[INFO] Results:
[INFO]
[ERROR] Failures:
[ERROR]   OrderServiceTest.shouldRejectNegativeQuantity:57 expected: <400> but was: <200>
[INFO]
[ERROR] Tests run: 48, Failures: 1, Errors: 0, Skipped: 0
[INFO]
[INFO] BUILD FAILURE
[INFO] ------------------------------------------------------------------------
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.2.5:test (default-test) on project api-service: There are test failures.
[Pipeline] }
[Pipeline] // stage
[Pipeline] End of Pipeline
ERROR: script returned exit code 1
Finished: FAILURE
"""


def _wait_for(get: Any, predicate: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = get()
        if predicate(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


def _event(jenkins_url: str, build: int, status: str, **extra: Any) -> dict[str, Any]:
    return {"jenkins_url": jenkins_url, "job": "team/api-service", "build": build, "status": status, **extra}


def test_failure_event_travels_the_whole_path(api_server: Any, jenkins_double: Any) -> None:
    jenkins_double.add_job("team/api-service")
    jenkins_double.add_build(
        "team/api-service", 41, "SUCCESS", console="Started by user admin\nFinished: SUCCESS\n"
    )
    jenkins_double.add_build("team/api-service", 42, "FAILURE", console=FAILED_LOG)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_server.token}"

    posted = session.post(
        f"{api_server.url}/api/v1/events", json=_event(jenkins_double.url, 42, "FAILURE", commit="abc123")
    )
    assert posted.status_code == 202, posted.text
    body = posted.json()
    assert body["task_id"]
    controller = jenkins_double.url.rstrip("/")
    assert body["status_url"] == f"/api/v1/jobs/team/api-service/builds/42?jenkins_url={controller}"

    build_url = f"{api_server.url}{body['status_url']}"
    done = _wait_for(
        lambda: session.get(build_url).json(),
        lambda doc: doc.get("build", {}).get("analysis_status") in {"done", "failed"},
    )
    assert done["build"]["analysis_status"] == "done", done
    assert done["build"]["status"] == "FAILURE"
    analysis = done["analysis"]
    assert analysis["category"] == "test"
    top = analysis["excerpt"][0]

    def words(line: str) -> list[str]:  # the excerpt shows lines as displayed (tabs expanded)
        return line.split()

    lines = FAILED_LOG.splitlines()[top["start_line"] - 1 : top["end_line"]]  # 1-based, inclusive
    assert [words(line) for line in top["text"].splitlines()] == [words(line) for line in lines]
    assert "shouldRejectNegativeQuantity" in top["text"]
    assert "expected: <400> but was: <200>" in top["text"]
    assert analysis["fingerprint"]

    description = jenkins_double.description("team/api-service", 42)
    first, link = description.split("\n")  # plain text: two readable lines, no markup
    assert first.startswith("AI analysis: test - ") and "<b>" not in first and "<!--" not in description
    assert link == f"Full analysis: {analysis['page_url']}"
    assert analysis["page_url"].startswith("http://assistant.example/analyses/")

    listed = session.get(f"{api_server.url}/api/v1/jobs/team/api-service/builds", params={"limit": 5}).json()
    assert [b["build"] for b in listed["builds"]] == [42]


def test_same_event_twice_is_one_build_and_one_analysis(
    api_server: Any, jenkins_double: Any, storage: Any
) -> None:
    jenkins_double.add_job("team/api-service")
    jenkins_double.add_build("team/api-service", 7, "FAILURE", console=FAILED_LOG)
    headers = {"Authorization": f"Bearer {api_server.token}"}
    event = _event(jenkins_double.url, 7, "FAILURE")
    for _ in range(2):
        assert (
            requests.post(f"{api_server.url}/api/v1/events", json=event, headers=headers).status_code == 202
        )

    _wait_for(
        lambda: storage.builds.get("team/api-service", 7),
        lambda doc: doc is not None and doc.get("analysis_status") == "done",
    )
    time.sleep(1.0)  # let a wrongly enqueued second analysis finish, if there were one
    assert storage.db.builds.count_documents({"job": "team/api-service", "build": 7}) == 1
    assert storage.db.analyses.count_documents({"job": "team/api-service", "build": 7}) == 1
    analyses_run = storage.db.tasks.count_documents({"kind": "logs.analyze_build"})
    assert analyses_run == 1


def test_recurring_failure_is_recognised_and_green_build_records_the_fix(
    api_server: Any, jenkins_double: Any, storage: Any
) -> None:
    jenkins_double.add_job("team/api-service")
    headers = {"Authorization": f"Bearer {api_server.token}"}
    for number in (10, 11):
        jenkins_double.add_build(
            "team/api-service", number, "FAILURE", console=FAILED_LOG.replace("0.412", f"0.{number}")
        )
        requests.post(
            f"{api_server.url}/api/v1/events",
            json=_event(jenkins_double.url, number, "FAILURE"),
            headers=headers,
        )
        _wait_for(
            lambda n=number: storage.builds.get("team/api-service", n),
            lambda doc: doc is not None and doc.get("analysis_status") == "done",
        )
    second = storage.analyses.get("team/api-service", 11)
    first = storage.analyses.get("team/api-service", 10)
    assert second["fingerprint"] == first["fingerprint"]
    assert [(s["build"], s["score"]) for s in second["similar"]] == [(10, 1.0)]

    requests.post(
        f"{api_server.url}/api/v1/events",
        json=_event(jenkins_double.url, 12, "SUCCESS", commit="f1x"),
        headers=headers,
    )
    resolved = _wait_for(
        lambda: storage.analyses.get("team/api-service", 11), lambda doc: doc.get("resolution") is not None
    )
    assert resolved["resolution"]["build"] == 12
    similar = storage.analyses.find_similar(first["fingerprint"], {}, exclude=("team/api-service", 99))
    assert {s.build: s.fix for s in similar} == {
        10: "fixed in build #12 (commit f1x)",
        11: "fixed in build #12 (commit f1x)",
    }


def _multi_mb_pipeline_log(noise_lines: int) -> str:
    """A long Pipeline log: a noisy build stage, then the failing Test stage."""
    head = "Started by user admin\n[Pipeline] Start of Pipeline\n[Pipeline] stage\n[Pipeline] { (Build)\n"
    noise = "".join(
        f"[INFO] Compiling module-{i % 97}/src/main/java/com/example/Gen{i}.java ({i * 37 % 1000} ms)\n"
        for i in range(noise_lines)
    )
    return head + noise + "[Pipeline] }\n" + FAILED_LOG.split("Started by user admin\n", 1)[1]


def test_failed_pipeline_stage_is_named_in_a_multi_megabyte_log(
    api_server: Any, jenkins_double: Any, storage: Any
) -> None:
    console = _multi_mb_pipeline_log(60_000)
    assert len(console) > 4_000_000
    stages = [
        {"name": "Build", "status": "SUCCESS", "duration_ms": 90_000},
        {
            "name": "Test",
            "status": "FAILED",
            "duration_ms": 30_000,
            "steps": [{"name": "Shell Script", "status": "FAILED", "parameter": "mvn -B verify"}],
        },
    ]
    jenkins_double.add_job("team/api-service")
    jenkins_double.add_build("team/api-service", 90, "FAILURE", console=console, stages=stages)
    headers = {"Authorization": f"Bearer {api_server.token}"}
    requests.post(
        f"{api_server.url}/api/v1/events", json=_event(jenkins_double.url, 90, "FAILURE"), headers=headers
    )
    _wait_for(
        lambda: storage.builds.get("team/api-service", 90),
        lambda doc: doc is not None and doc.get("analysis_status") in {"done", "failed"},
    )
    analysis = requests.get(
        f"{api_server.url}/api/v1/jobs/team/api-service/builds/90/analysis", headers=headers
    ).json()
    assert analysis["failed_stage"]["name"] == "Test"
    assert analysis["failed_stage"]["step"] == "sh 'mvn -B verify'"
    assert analysis["stats"]["bytes"] == len(console.encode())
    assert "expected: <400> but was: <200>" in analysis["excerpt"][0]["text"]
    description = jenkins_double.description("team/api-service", 90)
    assert description.startswith("AI analysis: test - ")
    assert analysis["failed_stage"]["name"] == "Test"


def test_with_an_llm_the_analysis_carries_a_grounded_explanation(
    api_server: Any, jenkins_double: Any, storage: Any, llm_stub: Any
) -> None:
    from worker.context import get_context

    explanation = (
        "Line 23: OrderServiceTest expects HTTP 400 for a negative quantity but got 200; validate it."
    )
    llm_stub.script(explanation)
    # The worker's settings gain an OpenAI-compatible server: the real ChatOpenAI client over HTTP.
    context = get_context()
    context.settings = context.settings.model_copy(
        update={"openai_base_url": llm_stub.url, "openai_api_key": None, "llm_model": "stub-model"}
    )
    jenkins_double.add_job("team/api-service")
    secret_log = FAILED_LOG.replace(
        "[ERROR] Failures:",
        "[ERROR] Failures:\n[ERROR] report upload to https://deploy:hunter2-s3cr3t@nexus.example.com/r failed"
        "\n[ERROR] AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    jenkins_double.add_build("team/api-service", 50, "FAILURE", console=secret_log)
    headers = {"Authorization": f"Bearer {api_server.token}"}
    requests.post(
        f"{api_server.url}/api/v1/events", json=_event(jenkins_double.url, 50, "FAILURE"), headers=headers
    )
    doc = _wait_for(
        lambda: storage.analyses.get("team/api-service", 50),
        lambda d: d is not None,
    )
    assert doc["explanation"]["text"] == explanation
    assert doc["explanation"]["model"] == "stub-model"
    sent = json.dumps(llm_stub.requests)
    assert "expected: <400> but was: <200>" in sent  # grounded in the excerpt
    assert (
        "nexus.example.com" in sent and "AWS_SECRET_ACCESS_KEY" in sent
    )  # the lines were in the evidence...
    assert "hunter2-s3cr3t" not in sent and "wJalrXUtnFEMI" not in sent  # ...but never their secrets
    assert "hunter2-s3cr3t" not in json.dumps(doc) and "wJalrXUtnFEMI" not in json.dumps(doc)
    assert "[INFO] Scanning for projects" not in sent  # the evidence, not the log


def test_failure_that_passed_on_the_same_commit_is_flagged_flaky(
    api_server: Any, jenkins_double: Any, storage: Any
) -> None:
    jenkins_double.add_job("team/api-service")
    headers = {"Authorization": f"Bearer {api_server.token}"}
    for number, status in ((30, "FAILURE"), (31, "SUCCESS"), (32, "FAILURE")):
        if status == "FAILURE":
            jenkins_double.add_build("team/api-service", number, status, console=FAILED_LOG)
        requests.post(
            f"{api_server.url}/api/v1/events",
            json=_event(jenkins_double.url, number, status, commit="c0ffee"),
            headers=headers,
        )
        if status == "FAILURE":
            _wait_for(
                lambda n=number: storage.builds.get("team/api-service", n),
                lambda doc: doc is not None and doc.get("analysis_status") == "done",
            )
        else:
            _wait_for(lambda n=number: storage.builds.get("team/api-service", n), lambda doc: doc is not None)
    first, last = storage.analyses.get("team/api-service", 30), storage.analyses.get("team/api-service", 32)
    assert first["flaky"] is None  # one failure says nothing yet
    assert last["flaky"]["reason"] == "same_commit" and last["flaky"]["commits"] == ["c0ffee"]
    assert last["retry_candidate"]["reason"] == "flaky failure fingerprint"  # worth running again
    assert last["retryable"] is True and first["retryable"] is False
    assert jenkins_double.description("team/api-service", 32).startswith("AI analysis: test - ")

    # The same judgement from the API (stored history, no Jenkins call) and from a task sent by name.
    report = requests.get(
        f"{api_server.url}/api/v1/jobs/team/api-service/flaky", params={"window": 10}, headers=headers
    ).json()
    assert [f["failed_builds"] for f in report["flaky_fingerprints"]] == [[30, 32]]
    bad = requests.get(f"{api_server.url}/api/v1/jobs/team/api-service/flaky?window=1", headers=headers)
    assert bad.status_code in {400, 422} and bad.json()["error"]["fields"][0]["field"] == "window"
    from worker.celery_app import app

    result = app.send_task(task_names.FLAKY_REPORT, kwargs={"job": "team/api-service"}).get(timeout=30)
    assert result["flaky_fingerprints"] == report["flaky_fingerprints"]


def test_agent_disconnect_is_a_retry_candidate(api_server: Any, jenkins_double: Any, storage: Any) -> None:
    console = (
        "[Pipeline] sh\n+ ./gradlew test\n"
        "Cannot contact agent-3: java.io.EOFException\n"
        'hudson.remoting.ChannelClosedException: Channel "hudson.remoting.Channel@1f:agent-3": '
        "Remote call on agent-3 failed. The channel is closing down or has closed down\n"
        "Finished: FAILURE\n"
    )
    jenkins_double.add_build("infra-job", 3, "FAILURE", console=console)
    requests.post(
        f"{api_server.url}/api/v1/events",
        json={"jenkins_url": jenkins_double.url, "job": "infra-job", "build": 3, "status": "FAILURE"},
        headers={"Authorization": f"Bearer {api_server.token}"},
    )
    _wait_for(
        lambda: storage.builds.get("infra-job", 3),
        lambda doc: doc is not None and doc.get("analysis_status") == "done",
    )
    analysis = storage.analyses.get("infra-job", 3)
    assert analysis["category"] == "infrastructure"
    assert analysis["retry_candidate"]["category"] == "infrastructure"
    assert (
        analysis["retryable"] is True and analysis["retry_reason"] == "failure classified as infrastructure"
    )
    assert jenkins_double.description("infra-job", 3).startswith("AI analysis: infrastructure - ")
