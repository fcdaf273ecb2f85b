"""Models that write tool calls as text, repeat calls, or leak template tokens: the real ChatOpenAI client against
the scripted stub (real HTTP), tools against the Jenkins double. Exact behaviour; the real-model tier
(tests/realllm) checks the same properties with a real model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.agents.conftest import agent_settings
from tests.llm_stub import Reply, StubLLM, route_reply, tool_call
from worker.agents import build_chat_model, run_task

CALL_AS_FENCED_JSON = '```json\n{"name": "build_status", "arguments": {"job": "api-service"}}\n```'


def route_to(agent: str) -> Reply:
    return route_reply(agent)


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
        "how is our service doing?", {}, services=services_for(settings), llm=build_chat_model(settings)
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


# Every markup form small models write a call in (worker.agents.textcalls), calling build_status(job=api-service).
MARKUP_CALLS = {
    "tool_call": '<tool_call>\n{"name": "build_status", "arguments": {"job": "api-service"}}\n</tool_call>',
    "function=": '<function=build_status>{"job": "api-service"}</function>',
    "function= parameters": "<function=build_status>\n<parameter=job>\napi-service\n</parameter>\n</function>",
    "function name/arguments": (
        '<function><name>build_status</name><arguments>{"job": "api-service"}</arguments></function>'
    ),
    "invoke": '<invoke name="build_status"><parameter name="job">api-service</parameter></invoke>',
    "mistral": '[TOOL_CALLS] [{"name": "build_status", "arguments": {"job": "api-service"}}]',
    "fenced json": '```json\n{"name": "build_status", "arguments": {"job": "api-service"}}\n```',
    "bare json": '{"name": "build_status", "arguments": {"job": "api-service"}}',
}


@pytest.mark.parametrize("form", sorted(MARKUP_CALLS))
def test_a_call_written_as_markup_runs_the_tool_and_is_never_the_answer(
    form: str, jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    jenkins_double.add_build("api-service", 7, "SUCCESS", "ok\n")
    llm_stub.script(route_to("build"), MARKUP_CALLS[form], "The last build of api-service is #7.")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "how is our service doing?", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    [result_text] = tool_results(llm_stub.requests[2])
    assert result_text.startswith("api-service: last build #7")
    assistant = [m for m in llm_stub.requests[2]["messages"] if m["role"] == "assistant"]
    assert assistant[-1]["tool_calls"][0]["function"]["name"] == "build_status"
    assert assistant[-1]["content"] in (None, "")  # the markup is not kept as words
    assert result.answer == "The last build of api-service is #7."
    assert result.mode == "llm" and result.usage.llm_calls == 3


def test_markup_naming_a_tool_the_specialist_lacks_gets_a_reprompt_then_fails_clearly(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    """The Rust case of the last real-model run: a call written as markup, to a tool this specialist lacks."""
    bad = '<function=generate_jenkinsfile>{"project_type": "rust"}</function>'
    llm_stub.script(route_to("build"), bad, bad)
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task("what is queued", {}, services=services_for(settings), llm=build_chat_model(settings))
    correction = llm_stub.requests[2]["messages"][-1]
    assert correction["role"] == "user"
    assert "there is no tool named 'generate_jenkinsfile'" in correction["content"]
    assert len(llm_stub.requests) == 3
    assert result.mode == "offline" and "The build queue is empty." in result.answer
    assert "<function" not in result.answer and "generate_jenkinsfile" not in result.answer


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
    # A short, clean note for the user; the details for the operator.
    assert result.answer.startswith(
        "(The model's replies could not be used; this answer was made without it.)\n\n"
    )
    assert "The build queue is empty." in result.answer
    assert '"arguments"' not in result.answer and "invalid arguments" not in result.answer
    assert result.notes[0].startswith(
        "build: ModelOutputError: the model wrote an unusable tool call twice: invalid arguments for "
        "build_status: job: Field required"
    )


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
    llm_stub.script(route_to("build"), "The last build is #7. Build #12 failed at line 88 last week.")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "status of api-service", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    # The status was read before the model's turn (#7 is evidence); #12 and line 88 are not.
    assert result.answer == "The last build is #7."
    assert result.notes == [
        "1 statement(s) removed from the model's answer: they named build numbers, line numbers, versions or "
        "advisories that no tool returned in this task"
    ]


def test_an_answer_without_tool_evidence_says_so(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(route_to("log"), "api-service #42 failed because of a flaky test.")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "why did api-service #42 fail", {}, services=services_for(settings), llm=build_chat_model(settings)
    )
    # The analysis was tried first (the double has no such build): an error is no evidence.
    assert any(path.startswith("/job/api-service/") for _, path in jenkins_double.requests)
    assert result.answer.startswith("(No tool gave evidence for this answer in this task")


def test_an_answer_in_words_without_facts_and_without_evidence_says_so_too(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(route_to("log"), "Usually because of flaky tests.")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "why do our builds fail so often?",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert not jenkins_double.requests  # no build named: nothing to look up
    assert result.answer.startswith("(No tool gave evidence for this answer in this task")


def test_a_model_that_stops_without_words_gets_each_result_once_and_no_guard_notes(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    """What the real model did for "which plugins have updates": the same call again, then no words; the
    answer held the result twice and the guard's "(The same call was already made ...)"."""
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.0")
    llm_stub.script(route_to("plugin"), tool_call("plugin_updates", {}), tool_call("plugin_updates", {}), "")
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "which plugins have updates available?",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert result.answer == "1 plugin(s) have updates:\n  git: 4.0.0 -> 5.2.0"
    assert result.notes == ["plugin: the model wrote no answer; answered with the tool results"]


def test_guard_notes_and_repeats_the_model_echoes_are_not_in_the_answer(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build("api-service", 42, "FAILURE", "boom\n", parameters={"DEBUG": "false"})
    rebuild = tool_call("rebuild", {"job": "api-service", "build": 42})

    def echo(body: dict[str, Any]) -> str:
        first, *again = tool_results(body)
        return f"{first}\n\n{again[0]}\n\n{first}\n\nThe rebuild is running. The rebuild is running."

    llm_stub.script(route_to("build"), rebuild, rebuild, echo)
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "rebuild api-service #42",
        {"confirm": True},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42, 43]
    assert result.answer == (
        "Rebuilt api-service #42 with DEBUG=false: started as build #43.\n\nThe rebuild is running."
    )


def test_a_model_guessing_job_names_must_answer_after_two_failed_calls(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    """What the real model did for "why do our builds fail so often?": analyses of invented jobs until the
    budget ran out (12k tokens, 52 s)."""
    llm_stub.script(
        route_to("log"),
        tool_call("analyze_build", {"job": "my-app"}),
        tool_call("analyze_build", {"job": "main"}),
        "I could not find those jobs.",
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "why do our builds fail so often?",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert len(tool_results(llm_stub.requests[-1])) == 2
    assert llm_stub.requests[-1]["tool_choice"] == "none"
    assert llm_stub.requests[2].get("tool_choice") != "none"
    assert result.answer.startswith("(No tool gave evidence") and result.answer.endswith("find those jobs.")
    assert result.notes == ["2 tool calls failed; the model had to answer without tools"]
