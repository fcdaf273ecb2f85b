"""The agent loop with the real ChatOpenAI client against the scripted LLM stub, tools against the Jenkins
double, everything over real HTTP on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.agents.conftest import agent_settings
from tests.llm_stub import Reply, StubLLM, tool_call
from worker.agents import build_chat_model, run_task

SECRET = "hunter2-sup3r-s3cret"
FAILED_LOG = (
    "Started by user admin\n"
    "[Pipeline] stage (Build)\n"
    "+ mvn -B verify\n"
    "[INFO] Compiling 12 source files\n"
    "[ERROR] COMPILATION ERROR :\n"
    "[ERROR] /src/main/java/com/acme/Api.java:[31,17] cannot find symbol\n"
    f"export DB_PASSWORD={SECRET}\n"
    "[INFO] BUILD FAILURE\n"
    "Finished: FAILURE\n"
)
STAGES = [
    {"name": "Checkout", "status": "SUCCESS"},
    {
        "name": "Build",
        "status": "FAILED",
        "steps": [
            {"name": "Shell Script", "status": "FAILED", "parameter": "mvn -B verify", "error": "exit 1"}
        ],
    },
]


def route_to(agent: str, reason: str = "scripted") -> Reply:
    return tool_call("RouteChoice", {"agent": agent, "confidence": 0.9, "reason": reason})


def last_tool_result(body: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "tool")


def test_log_agent_loop_calls_the_tool_and_answers_from_its_result(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any, outbound_connections: list[Any]
) -> None:
    jenkins_double.add_build("api-service", 41, "SUCCESS", "+ mvn -B verify\n[INFO] BUILD SUCCESS\n")
    jenkins_double.add_build("api-service", 42, "FAILURE", FAILED_LOG, stages=STAGES)
    llm_stub.script(
        route_to("log", "the user asks why a build failed"),
        tool_call("analyze_build", {"job": "api-service", "build": 42}),
        lambda body: "From the analysis: " + last_tool_result(body).splitlines()[0],
    )
    settings = agent_settings(jenkins_double, llm_stub)
    events: list[tuple[str, dict[str, Any]]] = []
    result = run_task(
        f"why did api-service #42 fail? (my password={SECRET})",
        {},
        services=services_for(settings, progress=lambda stage, data: events.append((stage, data))),
        llm=build_chat_model(settings),
    )

    assert result.mode == "llm" and result.agent == "log"
    assert result.routing.method == "llm" and result.routing.reason == "the user asks why a build failed"
    # The tool really ran against Jenkins: the console log was streamed and the stages read.
    assert ("GET", "/job/api-service/42/logText/progressiveText") in jenkins_double.requests
    assert ("GET", "/job/api-service/42/wfapi/describe") in jenkins_double.requests
    # The tool result went back to the model, and the answer was built from it.
    tool_message = last_tool_result(llm_stub.requests[2])
    assert "api-service #42: compilation failure" in tool_message
    assert "Failed stage: Build at sh 'mvn -B verify'" in tool_message
    assert result.answer == "From the analysis: " + tool_message.splitlines()[0]
    assert result.artifacts["analysis"]["category"] == "compilation"
    # Nothing secret reached the model: neither from the task text nor from the log.
    assert SECRET not in json.dumps(llm_stub.requests)
    # The model saw typed tools with descriptions written for it.
    tools = {t["function"]["name"]: t["function"] for t in llm_stub.requests[1]["tools"]}
    assert {"analyze_build", "find_similar_failures", "transfer_to_specialist"} <= set(tools)
    assert "'#42'" in tools["analyze_build"]["parameters"]["properties"]["build"]["description"]
    # Tokens as the server reported them, priced for gpt-4o-mini.
    assert result.usage.llm_calls == 3
    assert result.usage.input_tokens == sum(
        max(1, len(json.dumps(r["messages"])) // 4) for r in llm_stub.requests
    )
    assert 0 < result.usage.cost_usd < 0.01
    assert [stage for stage, _ in events] == [
        "routing",
        "routed",
        "thinking",
        "tool",
        "analyzing",
        "answered",
    ]
    assert events[3] == ("tool", {"tool": "analyze_build"})
    # Only loopback connections: no tiktoken download, no real OpenAI.
    assert outbound_connections and {host for host, _ in outbound_connections} == {"127.0.0.1"}


def test_tool_errors_go_back_to_the_model_as_text(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(
        route_to("build"),
        tool_call("build_status", {"job": "no-such-job"}),
        lambda body: "Sorry: " + last_tool_result(body),
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "status of no-such-job", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    assert result.answer.startswith("Sorry: Error: Jenkins has no such job, build or plugin")
    tool_messages = [m for m in llm_stub.requests[2]["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 1 and tool_messages[0]["content"].startswith(
        "Error: Jenkins has no such job"
    )


def test_invalid_tool_arguments_are_reported_to_the_model(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(
        route_to("build"),
        tool_call("rebuild", {"job": "api-service", "build": -3}),
        lambda body: "Model saw: " + last_tool_result(body),
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "rebuild api-service", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    assert "build" in result.answer and "greater than or equal to 1" in result.answer
    assert not any(method == "POST" for method, _ in jenkins_double.requests)


def test_specialist_hands_off_to_another(jenkins_double: Any, llm_stub: StubLLM, services_for: Any) -> None:
    jenkins_double.add_build(
        "web", 7, "FAILURE", "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve\n"
    )
    llm_stub.script(
        route_to("build"),
        tool_call("transfer_to_specialist", {"agent": "log", "reason": "this is about a failure's cause"}),
        tool_call("analyze_build", {"job": "web", "build": 7}),
        lambda body: "Handed-off answer: " + last_tool_result(body).splitlines()[0],
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task("look into web 7", {}, services=services_for(settings), llm=build_chat_model(settings))
    assert result.agent == "log"
    assert result.handoffs == ["build->log: this is about a failure's cause"]
    assert result.answer.startswith("Handed-off answer: web #7:")
    assert result.routing.agent == "build"  # the stored routing decision is the supervisor's own
    assert result.usage.llm_calls == 4


def test_destructive_tool_without_confirmation_only_describes(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    jenkins_double.add_build("deploy", 9, None, "deploying...\n", building=True)
    llm_stub.script(
        route_to("build"),
        tool_call("abort_build", {"job": "deploy", "build": 9}),
        lambda body: last_tool_result(body),
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task("abort deploy #9", {}, services=services_for(settings), llm=build_chat_model(settings))
    assert result.status == "needs_confirmation"
    assert result.answer.startswith("I would abort deploy #9, which is running.")
    assert result.actions == [
        {"action": "abort", "target": "deploy #9", "done": False, "detail": "needs confirmation"}
    ]
    assert ("POST", "/job/deploy/9/stop") not in jenkins_double.requests
    assert "has NOT confirmed" in llm_stub.requests[1]["messages"][1]["content"]
    # The model was told the action was only planned.
    assert last_tool_result(llm_stub.requests[2]).startswith("NOT DONE: this changes Jenkins")


def test_token_budget_stops_the_loop(jenkins_double: Any, llm_stub: StubLLM, services_for: Any) -> None:
    llm_stub.script(route_to("plugin"), tool_call("list_plugins", {}))
    settings = agent_settings(jenkins_double, llm_stub, LLM_TOKEN_BUDGET=100)
    result = run_task("list plugins", {}, services=services_for(settings), llm=build_chat_model(settings))
    # Routing alone used more than 100 tokens: the specialist never called the model.
    assert len(llm_stub.requests) == 1 and llm_stub.remaining == 1
    assert result.answer.startswith("Stopped: this task used")
    assert result.usage.input_tokens + result.usage.output_tokens > 100


def test_unreachable_llm_falls_back_to_the_offline_core(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    # Nothing scripted: the stub answers 500, as a broken LLM server would.
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "generate a pipeline for a Go project with lint",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert len(llm_stub.requests) == 1
    assert (result.mode, result.routing.method, result.agent) == ("offline", "offline", "pipeline")
    assert "golangci-lint run" in result.artifacts["jenkinsfile"]
    assert result.answer.startswith(
        "(The LLM server failed (OpenAIAPIError); this answer was made without it.)"
    )


def test_llm_failing_after_a_trigger_does_not_trigger_again(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    jenkins_double.add_job("nightly")
    # Routing and one tool call are scripted; the model's next call gets a 500.
    llm_stub.script(route_to("build"), tool_call("trigger_build", {"job": "nightly"}))
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "run nightly", {"confirm": True}, services=services_for(settings), llm=build_chat_model(settings)
    )
    assert sorted(jenkins_double.jobs["nightly"].builds) == [1]
    assert [a["action"] for a in result.actions] == ["trigger"]
    assert "Done before the failure: trigger nightly" in result.answer


@pytest.mark.parametrize("streaming", [False, True])
def test_chat_model_reads_text_and_tool_calls_from_the_stub(
    jenkins_double: Any, llm_stub: StubLLM, streaming: bool
) -> None:
    llm_stub.script(tool_call("list_queue", {}))
    model = build_chat_model(agent_settings(jenkins_double, llm_stub))
    assert model is not None
    if streaming:
        message: Any = None
        for chunk in model.stream("what is queued?"):
            message = chunk if message is None else message + chunk
    else:
        message = model.invoke("what is queued?")
    assert [c["name"] for c in message.tool_calls] == ["list_queue"]
    assert llm_stub.requests[0]["stream"] is streaming


def test_unusable_llm_route_falls_back_to_the_offline_router(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(
        tool_call("RouteChoice", {"agent": "deploy", "confidence": 2, "reason": "?"}),  # not a specialist
        lambda body: "plugins answer",
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "which plugins have security warnings",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert (result.routing.method, result.agent, result.mode) == ("offline", "plugin", "llm")
    assert result.answer == "plugins answer"
