"""The agent loop with the real ChatOpenAI client against the scripted LLM stub, tools against the Jenkins
double, everything over real HTTP on loopback."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.integration.agents.conftest import agent_settings
from tests.llm_stub import Reply, StubLLM, route_reply, tool_call
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


def route_to(agent: str, probability: float = 0.9) -> Reply:
    return route_reply(agent, probability)


def last_tool_result(body: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "tool")


def test_log_agent_answers_from_the_analysis_of_the_build_the_task_names(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any, outbound_connections: list[Any]
) -> None:
    """The analysis runs before the model's first turn (a small model tends to describe the call instead of
    making it); the model sees it as its own call and answers from it."""
    jenkins_double.add_build("api-service", 41, "SUCCESS", "+ mvn -B verify\n[INFO] BUILD SUCCESS\n")
    jenkins_double.add_build("api-service", 42, "FAILURE", FAILED_LOG, stages=STAGES)
    llm_stub.script(
        route_to("log", 0.93),
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
    assert (result.routing.method, result.routing.confidence) == ("llm", 0.93)
    assert result.routing.reason == "the model answered 'log' (p=0.93)"
    # Routing asked for one word, with the token probabilities, in a few reply tokens.
    assert llm_stub.requests[0]["logprobs"] is True and llm_stub.requests[0]["max_completion_tokens"] == 3
    assert "tools" not in llm_stub.requests[0]
    routing = llm_stub.requests[0]["messages"]
    assert [m["role"] for m in routing] == ["system", *["user", "assistant"] * 4, "user"]
    assert routing[2]["content"] == "build" and SECRET not in routing[-1]["content"]
    # The tool really ran against Jenkins: the console log was streamed and the stages read.
    assert ("GET", "/job/api-service/42/logText/progressiveText") in jenkins_double.requests
    assert ("GET", "/job/api-service/42/wfapi/describe") in jenkins_double.requests
    # The model got the call and its result in its first turn, and the answer was built from it.
    [called] = [m for m in llm_stub.requests[1]["messages"] if m["role"] == "assistant"]
    assert called["tool_calls"][0]["function"]["name"] == "analyze_build"
    assert json.loads(called["tool_calls"][0]["function"]["arguments"]) == {"job": "api-service", "build": 42}
    tool_message = last_tool_result(llm_stub.requests[1])
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
    assert result.usage.llm_calls == 2
    assert result.usage.input_tokens == sum(
        max(1, len(json.dumps(r["messages"])) // 4) for r in llm_stub.requests
    )
    assert 0 < result.usage.cost_usd < 0.01
    assert [stage for stage, _ in events] == [
        "routing",
        "routed",
        "tool",
        "analyzing",
        "thinking",
        "answered",
    ]
    assert events[2] == ("tool", {"tool": "analyze_build"})
    # Only loopback connections: no tiktoken download, no real OpenAI.
    assert outbound_connections and {host for host, _ in outbound_connections} == {"127.0.0.1"}


def test_tool_errors_go_back_to_the_model_as_text(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(route_to("build"), lambda body: "Sorry: " + last_tool_result(body))
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "status of no-such-job", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    # The status the task asks for was read before the model's turn; its error reached the model as text.
    assert "Sorry: Error: Jenkins has no such job, build or plugin" in result.answer
    assert result.answer.startswith("(No tool gave evidence")  # an error is no evidence
    tool_messages = [m for m in llm_stub.requests[1]["messages"] if m["role"] == "tool"]
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
        # The log specialist starts from the analysis of web #7, made before its first turn.
        lambda body: "Handed-off answer: " + last_tool_result(body).splitlines()[0],
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task("look into web 7", {}, services=services_for(settings), llm=build_chat_model(settings))
    assert result.agent == "log"
    assert result.handoffs == ["build->log: this is about a failure's cause"]
    assert result.answer.startswith("Handed-off answer: web #7:")
    assert result.routing.agent == "build"  # the stored routing decision is the supervisor's own
    assert result.usage.llm_calls == 3


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
    jenkins_double.add_plugin("git", "5.2.0")
    llm_stub.script(route_to("plugin"), tool_call("list_plugins", {}))
    settings = agent_settings(jenkins_double, llm_stub, LLM_TOKEN_BUDGET=100)
    result = run_task("list plugins", {}, services=services_for(settings), llm=build_chat_model(settings))
    # Routing alone used more than 100 tokens: the specialist never called the model.
    assert len(llm_stub.requests) == 1 and llm_stub.remaining == 1
    assert result.usage.input_tokens + result.usage.output_tokens > 100
    # The answer is what the tools found (the inventory read before the model's turn); why it stopped is a note.
    assert "git 5.2.0" in result.answer and "Stopped" not in result.answer
    assert [n.split(":")[0] for n in result.notes] == ["stopped before the model's answer"]


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
    assert result.answer.startswith("(The LLM server could not be reached; this answer was made without it.)")
    assert result.notes == ["routing: the LLM server failed (OpenAIAPIError)"]


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
        route_reply("deploy"),  # not a specialist
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


def test_an_unsure_model_route_falls_back_to_the_offline_router_with_the_reason(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(route_reply("build", 0.41), lambda body: "plugins answer")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "which plugins have security warnings",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert (result.routing.method, result.agent) == ("offline", "plugin")
    assert result.routing.fallback == "the model was unsure ('build' at p=0.41 < 0.7)"


def test_a_slow_model_route_falls_back_within_the_routing_timeout(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    def slow(body: dict[str, Any]) -> Reply:
        time.sleep(2.5)
        return route_reply("build")

    llm_stub.script(slow, lambda body: "plugins answer")
    settings = agent_settings(jenkins_double, llm_stub, LLM_ROUTING_TIMEOUT_SECONDS=1)
    result = run_task(
        "which plugins have security warnings",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert (result.routing.method, result.agent, result.mode) == ("offline", "plugin", "llm")
    assert result.routing.fallback == "the model did not route within 1 s"
    assert result.routing.seconds is not None and 1 <= result.routing.seconds < 2
