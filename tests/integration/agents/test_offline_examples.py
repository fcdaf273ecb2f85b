"""The issue's example requests answered without an LLM, with the same tools, against the Jenkins double."""

from __future__ import annotations

from typing import Any

from tests.integration.agents.conftest import agent_settings
from worker.agents import run_confirmed, run_task
from worker.analysis import analyze_stream, text_vector
from worker.confirmations import ConfirmationStore

FAILED_LOG = (
    "+ ./gradlew test\n"
    "> Task :compileJava FAILED\n"
    "/src/main/java/com/acme/Api.java:31: error: cannot find symbol\n"
    "FAILURE: Build failed with an exception.\n"
    "BUILD FAILED in 12s\n"
    "Finished: FAILURE\n"
)


def test_why_did_the_build_fail_with_similar_failures_and_their_fix(
    jenkins_double: Any, settings: Any, storage: Any, services_for: Any
) -> None:
    jenkins_double.add_build("api-service", 40, "FAILURE", FAILED_LOG)
    jenkins_double.add_build("api-service", 41, "SUCCESS", "+ ./gradlew test\nBUILD SUCCESSFUL\n")
    jenkins_double.add_build("api-service", 42, "FAILURE", FAILED_LOG)
    # Build 40 failed the same way before, was analysed by the worker, and build 41 fixed it.
    earlier = analyze_stream([FAILED_LOG.encode()])
    doc = {**earlier.model_dump(mode="json"), "vector": text_vector(earlier.signature_text())}
    storage.analyses.save(settings.jenkins_url, "api-service", 40, doc)
    storage.analyses.mark_resolved(settings.jenkins_url, "api-service", 41, "abc1234")

    services = services_for(settings, analyses=storage.analyses, builds=storage.builds)
    result = run_task("why did api-service #42 fail", {}, services=services, llm=None)

    assert (result.agent, result.mode) == ("log", "offline")
    assert result.answer.startswith("api-service #42: compilation failure.")
    assert "Api.java:31: error: cannot find symbol" in result.answer
    assert "api-service #40 (same failure)" in result.answer
    assert "-> fixed in build #41 (commit abc1234)" in result.answer
    assert result.artifacts["analysis"]["fingerprint"] == earlier.fingerprint
    assert result.artifacts["similar"][0]["fix"] == "fixed in build #41 (commit abc1234)"


def test_rebuild_with_a_changed_parameter_is_planned_then_confirmed_once(
    jenkins_double: Any, services_for: Any, confirmations: ConfirmationStore
) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false", "BRANCH": "main"})
    jenkins_double.add_build(
        "api-service", 42, "FAILURE", "boom\n", parameters={"DEBUG": "false", "BRANCH": "rel"}
    )
    settings = agent_settings(jenkins_double)
    services = services_for(settings, confirmations=confirmations)
    planned = run_task("rebuild api-service 42 with DEBUG=true", {}, services=services, llm=None)

    # Nothing ran: the answer is the plan, with a single-use token.
    assert planned.agent == "build" and planned.status == "needs_confirmation"
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42]
    assert not any(method == "POST" for method, _ in jenkins_double.requests)
    [step] = planned.plan
    assert (step.tool, step.arguments) == (
        "rebuild",
        {"job": "api-service", "build": 42, "parameters": {"DEBUG": "true"}},
    )
    assert planned.answer.startswith("I would rebuild api-service #42 with DEBUG=true, BRANCH=rel.\n")
    assert planned.confirmation is not None
    token = planned.confirmation.token
    assert f"jenkins-ai ask --confirm {token}" in planned.answer
    assert planned.actions == [
        {
            "action": "rebuild",
            "target": "api-service #42",
            "done": False,
            "detail": "needs confirmation",
            "parameters": {"DEBUG": "true", "BRANCH": "rel"},
        }
    ]

    plan = confirmations.claim(token)
    assert plan is not None and confirmations.claim(token) is None  # single use
    result = run_confirmed(plan, services=services, store=confirmations)
    assert result.answer == "Rebuilt api-service #42 with DEBUG=true, BRANCH=rel: started as build #43."
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42, 43]
    assert jenkins_double.jobs["api-service"].builds[43].parameters == {"DEBUG": "true", "BRANCH": "rel"}
    [action] = result.actions
    assert (action["action"], action["target"], action["done"], action["build"]) == (
        "rebuild",
        "api-service #42",
        True,
        43,
    )
    # The same plan again (a retried confirmation task): nothing runs twice.
    again = run_confirmed(plan, services=services, store=confirmations)
    assert again.answer.startswith("Already done by an earlier run of this confirmation")
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42, 43]


def test_generate_a_pipeline_and_validate_it_with_jenkins(jenkins_double: Any, services_for: Any) -> None:
    settings = agent_settings(jenkins_double)
    result = run_task(
        "generate a pipeline for a Gradle project with tests and docker push",
        {},
        services=services_for(settings),
        llm=None,
    )
    assert result.agent == "pipeline"
    assert (
        "withCredentials([usernamePassword(credentialsId: 'docker-registry'"
        in result.artifacts["jenkinsfile"]
    )
    assert result.artifacts["validation"] == {
        "valid": True,
        "errors": [],
        "message": "Jenkinsfile successfully validated.",
    }
    assert ("POST", "/pipeline-model-converter/validate") in jenkins_double.requests
    assert result.answer.endswith("Jenkins validated the Jenkinsfile: it is a valid declarative pipeline.")


def test_broken_jenkinsfile_is_rejected_locally_and_by_jenkins(
    jenkins_double: Any, services_for: Any
) -> None:
    settings = agent_settings(jenkins_double)
    broken = "pipeline {\n  stages {\n    stage('x') { steps { sh 'make' } }\n  }\n"
    result = run_task(
        "validate my Jenkinsfile", {"jenkinsfile": broken}, services=services_for(settings), llm=None
    )
    assert result.artifacts["lint"]["ok"] is False
    assert result.artifacts["validation"]["valid"] is False
    assert "Jenkins rejected the Jenkinsfile" in result.answer and "[syntax]" in result.answer


def test_which_plugins_have_security_warnings(jenkins_double: Any, services_for: Any) -> None:
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.0")
    jenkins_double.add_warning("git", r"4\..*", id="SECURITY-1234", message="Missing permission check")
    settings = agent_settings(jenkins_double)
    result = run_task("which plugins have security warnings", {}, services=services_for(settings), llm=None)
    assert result.agent == "plugin"
    assert result.answer.startswith("1 security warning(s) apply:\n  git 4.0.0: Missing permission check")
    assert [w["id"] for w in result.artifacts["security_warnings"]] == ["SECURITY-1234"]


def test_install_needs_confirmation(jenkins_double: Any, services_for: Any) -> None:
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.0")
    settings = agent_settings(jenkins_double)
    dry = run_task("install the git plugin", {}, services=services_for(settings), llm=None)
    assert dry.status == "needs_confirmation"
    assert dry.answer.startswith("I would upgrade the plugin git 5.2.0 (from 4.0.0).")
    assert dry.actions[0]["done"] is False and jenkins_double.installs == []
    # No confirmation store (Redis) given: no token, and the answer says how to confirm instead.
    assert dry.confirmation is None and "confirm=true" in dry.answer

    done = run_task("install the git plugin", {"confirm": True}, services=services_for(settings), llm=None)
    assert done.status == "done" and done.actions[0]["done"] is True
    assert jenkins_double.installs == ["git@5.2.0"]


def test_create_job_and_abort_need_confirmation(jenkins_double: Any, services_for: Any) -> None:
    settings = agent_settings(jenkins_double)
    text = "create a job called orders-ci with a maven pipeline"
    dry = run_task(text, {}, services=services_for(settings), llm=None)
    assert (
        "I would create the pipeline job 'orders-ci'" in dry.answer and "orders-ci" not in jenkins_double.jobs
    )
    done = run_task(text, {"confirm": "true"}, services=services_for(settings), llm=None)
    assert "orders-ci" in jenkins_double.jobs
    assert done.actions[0]["action"] == "create_job" and done.actions[0]["done"] is True

    jenkins_double.add_build("deploy", 5, None, "deploying\n", building=True)
    dry = run_task("abort deploy #5", {}, services=services_for(settings), llm=None)
    assert (
        dry.answer.startswith("I would abort deploy #5, which is running.")
        and ("POST", "/job/deploy/5/stop") not in jenkins_double.requests
    )
    run_task("abort deploy #5", {"confirm": True}, services=services_for(settings), llm=None)
    assert ("POST", "/job/deploy/5/stop") in jenkins_double.requests


def test_queue_and_status(jenkins_double: Any, services_for: Any) -> None:
    jenkins_double.add_build("payments", 3, "SUCCESS", "ok\n")
    jenkins_double.add_queue_item(
        "payments", why="Waiting for next available executor", parameters={"X": "1"}
    )
    settings = agent_settings(jenkins_double)
    queue = run_task("what is in the build queue", {}, services=services_for(settings), llm=None)
    assert queue.answer == "1 item(s) in the queue:\n  payments: Waiting for next available executor (X=1)"
    status = run_task("status of the last build of payments", {}, services=services_for(settings), llm=None)
    assert status.answer.startswith("payments #3: SUCCESS")


def test_unknown_job_is_an_answer_not_a_crash(jenkins_double: Any, services_for: Any) -> None:
    settings = agent_settings(jenkins_double)
    for text in ("status of ghost-job", "rebuild ghost-job", "why did ghost-job #3 fail"):
        result = run_task(text, {}, services=services_for(settings), llm=None)
        assert "Error: Jenkins has no such job, build or plugin" in result.answer, (text, result.answer)
