"""Models that write tool calls as text, repeat calls, or leak template tokens: the real ChatOpenAI client against
the scripted stub (real HTTP), tools against the Jenkins double. Exact behaviour; the real-model tier
(tests/realllm) checks the same properties with a real model."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.agents.conftest import agent_settings
from tests.llm_stub import Reply, StubLLM, tool_call
from worker.agents import build_chat_model, run_task

CALL_AS_FENCED_JSON = '```json\n{"name": "build_status", "arguments": {"job": "api-service"}}\n```'


def route_to(agent: str) -> Reply:
    return tool_call("RouteChoice", {"agent": agent, "confidence": 0.9, "reason": "scripted"})


def tool_results(body: dict[str, Any]) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


def test_a_call_written_as_fenced_json_runs_the_tool(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    jenkins_double.add_build("api-service", 7, "SUCCESS", "ok\n")
    llm_stub.script(
        route_to("build"),
        CALL_AS_FENCED_JSON,
        lambda body: "<|im_start|>assistant\nThe last build of api-service is #7.<|im_end|>",
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "status of api-service", {}, services=services_for(settings), llm=build_chat_model(settings)
    )

    assert ("GET", "/job/api-service/api/json") in [(m, p.split("?")[0]) for m, p in jenkins_double.requests]
    # The tool result went back to the model as a real tool message answering the call.
    [result_text] = tool_results(llm_stub.requests[2])
    assert result_text.startswith("api-service: last build #7")
    assistant = [m for m in llm_stub.requests[2]["messages"] if m["role"] == "assistant"]
    assert assistant[-1]["tool_calls"][0]["function"]["name"] == "build_status"
    # Template tokens never reach the answer; the fact in it came from the tool.
    assert result.answer == "The last build of api-service is #7."
    assert result.mode == "llm" and result.usage.llm_calls == 3


def test_an_unusable_call_gets_one_corrective_reprompt(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(
        route_to("plugin"),
        '<tool_call>\n{"name": "upgrade_everything", "arguments": {}}\n</tool_call>',
        "Nothing to do without a tool: the plugins were not checked.",
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task("tidy up plugins", {}, services=services_for(settings), llm=build_chat_model(settings))

    correction = llm_stub.requests[2]["messages"][-1]
    assert correction["role"] == "user"
    assert "there is no tool named 'upgrade_everything'" in correction["content"]
    assert "list_plugins" in correction["content"]
    assert result.answer == "Nothing to do without a tool: the plugins were not checked."
    assert result.usage.llm_calls == 3  # the discarded reply is counted too


def test_a_second_unusable_call_is_a_clear_failure_never_the_answer(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    bad = '{"name": "build_status", "arguments": {"jobname": 3}}'
    llm_stub.script(route_to("build"), bad, bad)
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task("what is queued", {}, services=services_for(settings), llm=build_chat_model(settings))

    assert len(llm_stub.requests) == 3
    assert result.mode == "offline"  # the offline core answered
    assert result.answer.startswith(
        "(The model's reply was unusable (the model wrote an unusable tool call twice: invalid arguments for "
        "build_status: job: Field required"
    )
    assert "The build queue is empty." in result.answer
    assert '"arguments"' not in result.answer


def test_a_repeated_call_runs_once_and_a_confirmed_rebuild_happens_once(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    jenkins_double.add_build("api-service", 42, "FAILURE", "boom\n")
    rebuild = tool_call("rebuild", {"job": "api-service", "build": 42})
    # The model of the issue: it asks for the same rebuild again and again.
    llm_stub.script(route_to("build"), *[rebuild] * 4, "Rebuilt api-service #42 as build #43.")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "rebuild api-service #42",
        {"confirm": True},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42, 43]
    assert [a["action"] for a in result.actions if a["done"]] == ["rebuild"]
    repeated = tool_results(llm_stub.requests[-1])
    assert len(repeated) == 4 and all("already made in this task" in r for r in repeated[1:])
    assert result.answer == "Rebuilt api-service #42 as build #43."


def test_a_confirmed_rebuild_spelled_differently_the_second_time_still_happens_once(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    """What the real model did in CI: the rebuild with its parameter, then again without it (builds #44, #45)."""
    jenkins_double.add_job("api-service", parameters={"DEBUG": "true"})
    jenkins_double.add_build("api-service", 42, "FAILURE", "boom\n", parameters={"DEBUG": "true"})
    llm_stub.script(
        route_to("build"),
        tool_call("rebuild", {"job": "api-service", "build": 42, "parameters": {"DEBUG": "false"}}),
        tool_call("rebuild", {"job": "api-service", "build": 42}),
        tool_call("rebuild", {"job": "api-service", "build": 42, "parameters": {"DEBUG": "False"}}),
        "Rebuilt api-service #42.",
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "rebuild api-service #42 with DEBUG=false",
        {"confirm": True},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42, 43]
    assert [a["action"] for a in result.actions if a["done"]] == ["rebuild"]
    first, *again = tool_results(llm_stub.requests[-1])
    assert first.startswith("Rebuilt api-service #42 with DEBUG=false: started as build #43")
    assert len(again) == 2 and all(
        r.startswith("Already done in this task, not repeated: Rebuilt") for r in again
    )


def test_without_confirmation_two_spellings_of_one_rebuild_plan_it_once(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any, confirmations: Any
) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "true"})
    jenkins_double.add_build("api-service", 42, "FAILURE", "boom\n", parameters={"DEBUG": "true"})
    llm_stub.script(
        route_to("build"),
        tool_call("rebuild", {"job": "api-service", "build": 42, "parameters": {"DEBUG": "false"}}),
        tool_call("rebuild", {"job": "api-service", "build": 42}),
        "I would rebuild it.",
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "rebuild api-service #42 with DEBUG=false",
        {},
        services=services_for(settings, confirmations=confirmations),
        llm=build_chat_model(settings),
    )
    assert result.status == "needs_confirmation"
    assert [(p.tool, p.arguments) for p in result.plan] == [
        ("rebuild", {"job": "api-service", "build": 42, "parameters": {"DEBUG": "false"}})
    ]
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42]


def test_without_confirmation_a_text_call_to_rebuild_only_plans_it(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any, confirmations: Any
) -> None:
    jenkins_double.add_build("api-service", 42, "FAILURE", "boom\n", parameters={"A": "1"})
    call = {"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}
    llm_stub.script(route_to("build"), json.dumps(call), json.dumps(call), "I rebuilt it as #43!")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "rebuild api-service #42",
        {},
        services=services_for(settings, confirmations=confirmations),
        llm=build_chat_model(settings),
    )
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42]
    assert not any(method == "POST" for method, _ in jenkins_double.requests)
    assert result.status == "needs_confirmation"
    # The model's false claim is not the answer: the plan is.
    assert result.answer.startswith("I would rebuild api-service #42 with A=1.\nNothing was changed yet.")
    assert "#43" not in result.answer
    assert [(p.tool, p.arguments) for p in result.plan] == [
        ("rebuild", {"job": "api-service", "build": 42, "parameters": {}})
    ]
    assert result.confirmation is not None and confirmations.peek(result.confirmation.token) is not None


def test_tool_calls_per_task_are_bounded(jenkins_double: Any, llm_stub: StubLLM, services_for: Any) -> None:
    jenkins_double.add_build("a", 1, "SUCCESS", "ok\n")
    llm_stub.script(
        route_to("build"),
        tool_call("build_status", {"job": "a"}),
        tool_call("list_queue", {}),
        tool_call("build_status", {"job": "a", "build": 1}),
        "Job a is fine.",
    )
    settings = agent_settings(jenkins_double, llm_stub, LLM_MAX_TOOL_CALLS=2)
    result = run_task("status of a", {}, services=services_for(settings), llm=build_chat_model(settings))
    last = tool_results(llm_stub.requests[-1])
    assert last[-1].startswith("Error: this task reached its limit of 2 tool calls")
    # After the limit the model is asked to answer without tools.
    assert llm_stub.requests[-1]["tool_choice"] == "none"
    assert result.answer == "Job a is fine."


def test_invented_facts_are_dropped_from_the_answer(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    jenkins_double.add_build("api-service", 7, "SUCCESS", "ok\n")
    llm_stub.script(
        route_to("build"),
        tool_call("build_status", {"job": "api-service"}),
        "The last build is #7. Build #12 failed at line 88 last week.",
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "status of api-service", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    assert result.answer.startswith("The last build is #7.\n\n(1 statement(s) removed")
    assert "#12" not in result.answer and "88" not in result.answer


def test_an_answer_without_tool_evidence_says_so(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(route_to("log"), "api-service #42 failed because of a flaky test.")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "why did api-service #42 fail", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    assert result.answer.startswith("(No tool gave evidence for this answer in this task")
