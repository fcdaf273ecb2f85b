"""Tool calls written as text, template tokens, and the grounding check: pure functions, exact behaviour."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from worker.agents.grounding import ground, unsupported_facts
from worker.agents.textcalls import (
    has_template_tokens,
    looks_like_tool_call,
    parse_text_calls,
    strip_template_tokens,
)


class RebuildArgs(BaseModel):
    job: str
    build: int = Field(ge=1)


SCHEMAS: dict[str, type[BaseModel] | None] = {"rebuild": RebuildArgs, "list_queue": None}


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}',
        '```json\n{"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}\n```',
        'Sure.\n```\n{"name": "rebuild", "parameters": {"job": "api-service", "build": 42}}\n```',
        '<tool_call>\n{"name": "rebuild", "arguments": "{\\"job\\": \\"api-service\\", \\"build\\": 42}"}\n</tool_call>',
        '<|im_start|>assistant\n<tool_call>\n{"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}',
        '{"function": {"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}}',
        'I will call {"name": "rebuild", "arguments": {"job": "api-service", "build": 42}} now.',
    ],
)
def test_calls_written_as_json_become_calls(text: str) -> None:
    found = parse_text_calls(strip_template_tokens(text), SCHEMAS)
    assert found.calls == [{"name": "rebuild", "args": {"job": "api-service", "build": 42}}]
    assert found.looks_like_call and found.problems == []
    assert looks_like_tool_call(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"name": "delete_jenkins", "arguments": {}}', "there is no tool named 'delete_jenkins'"),
        (
            '```json\n{"name": "rebuild", "arguments": {"job": "x", "build": 0}}\n```',
            "invalid arguments for rebuild",
        ),
        ("<tool_call>\n{not json}\n</tool_call>", "the <tool_call> block is not valid JSON"),
        ('{"name": "rebuild", "arguments": [1, 2]}', "the arguments of rebuild must be a JSON object"),
    ],
)
def test_call_shaped_text_that_is_no_usable_call_is_reported(text: str, problem: str) -> None:
    found = parse_text_calls(text, SCHEMAS)
    assert found.calls == [] and found.looks_like_call
    assert any(p.startswith(problem) for p in found.problems), found.problems


@pytest.mark.parametrize(
    "text",
    [
        "api-service #42 failed at line 31: cannot find symbol.",
        'The build parameters were {"DEBUG": "true", "BRANCH": "main"}.',
        '```json\n{"name": "api-service", "color": "red"}\n```',  # job data, not a call
        "",
    ],
)
def test_answers_are_not_calls(text: str) -> None:
    found = parse_text_calls(text, SCHEMAS)
    assert found.calls == [] and not found.looks_like_call
    assert not looks_like_tool_call(text)


# The markup forms small models write (see the textcalls module docstring), each as a model would emit it.
MARKUP_CALLS = {
    "tool_call block": '<tool_call>\n{"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}\n</tool_call>',
    "tool_call block, unclosed": '<tool_call>{"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}',
    "function=name with JSON": '<function=rebuild>{"job": "api-service", "build": 42}</function>',
    "function=name with parameters": (
        "<tool_call>\n<function=rebuild>\n<parameter=job>\napi-service\n</parameter>\n"
        "<parameter=build>\n42\n</parameter>\n</function>\n</tool_call>"
    ),
    "function with name and arguments": (
        '<function>\n  <name>rebuild</name>\n  <arguments>{"job": "api-service", "build": 42}</arguments>\n'
        "</function>"
    ),
    "function with name and argument elements": (
        "<function><name>rebuild</name><arguments><job>api-service</job><build>42</build></arguments></function>"
    ),
    "tool_use": '<tool_use><name>rebuild</name><input>{"job": "api-service", "build": 42}</input></tool_use>',
    "invoke with parameters": (
        '<function_calls>\n<invoke name="rebuild">\n<parameter name="job">api-service</parameter>\n'
        '<parameter name="build">42</parameter>\n</invoke>\n</function_calls>'
    ),
    "mistral list": '[TOOL_CALLS] [{"name": "rebuild", "arguments": {"job": "api-service", "build": 42}}]',
    "mistral name[ARGS]": '[TOOL_CALLS]rebuild[ARGS]{"job": "api-service", "build": 42}',
    "tag named after the tool": 'I will rebuild it.\n<rebuild>{"job": "api-service", "build": 42}</rebuild>',
    "python_tag": '<|python_tag|>{"name": "rebuild", "parameters": {"job": "api-service", "build": 42}}',
}


@pytest.mark.parametrize("form", sorted(MARKUP_CALLS))
def test_calls_written_as_markup_become_calls(form: str) -> None:
    text = MARKUP_CALLS[form]
    found = parse_text_calls(strip_template_tokens(text), SCHEMAS)
    assert found.calls == [{"name": "rebuild", "args": {"job": "api-service", "build": 42}}], found.problems
    assert found.looks_like_call and found.problems == []
    assert looks_like_tool_call(text, SCHEMAS)


def test_two_markup_calls_in_one_reply_are_both_read() -> None:
    text = '<function=list_queue></function>\n<function=rebuild>{"job": "a", "build": 1}</function>'
    assert parse_text_calls(text, SCHEMAS).calls == [
        {"name": "list_queue", "args": {}},
        {"name": "rebuild", "args": {"job": "a", "build": 1}},
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "<function=rebuild>job: api-service</function>",
            "the arguments of <function=rebuild> cannot be read",
        ),
        ('<function=wipe_jenkins>{"all": true}</function>', "there is no tool named 'wipe_jenkins'"),
        ("<function><arguments>{}</arguments></function>", "the <function> block names no tool"),
        (
            '<invoke name="rebuild"><parameter name="job">x</parameter><parameter name="build">zero</parameter>'
            "</invoke>",
            "invalid arguments for rebuild: build:",
        ),
        ("[TOOL_CALLS]rebuild[ARGS]{job: x}", "the [ARGS] are not valid JSON"),
        ("<tool_call>\nrebuild api-service 42\n</tool_call>", "the <tool_call> block is not valid JSON"),
    ],
)
def test_markup_that_is_no_usable_call_is_reported(text: str, problem: str) -> None:
    found = parse_text_calls(text, SCHEMAS)
    assert found.calls == [] and found.looks_like_call
    assert any(p.startswith(problem) for p in found.problems), found.problems
    assert looks_like_tool_call(text)


def test_an_answer_check_catches_markup_whatever_tool_it_names() -> None:
    # The final answer of the last real-model run for "generate a Jenkinsfile for a Rust project".
    rust = (
        "<tools>\n  <function>\n    <name>generate_jenkinsfile</name>\n    <arguments>\n      <properties>\n"
        "        <project_type>rust</project_type>\n        <components>\n"
    )
    assert looks_like_tool_call(rust)
    assert parse_text_calls(rust, {"generate_jenkinsfile": None}).calls == [
        {"name": "generate_jenkinsfile", "args": {"project_type": "rust"}}
    ]
    assert looks_like_tool_call('<function=generate_jenkinsfile>{"project_type": "rust"}</function>')
    assert looks_like_tool_call("<generate_jenkinsfile>rust</generate_jenkinsfile>", ["generate_jenkinsfile"])
    assert not looks_like_tool_call("pipeline {\n  agent any\n  parameters { string(name: 'X') }\n}")
    assert not looks_like_tool_call("Use <b>bold</b> text and a List<String> in Java.")


def test_template_tokens_are_stripped() -> None:
    assert strip_template_tokens("<|im_start|>assistant\nThe build failed.<|im_end|>") == "The build failed."
    assert strip_template_tokens("Done.<|eot_id|>") == "Done."
    assert strip_template_tokens("[INST] hi [/INST] Hello</s>") == "hi  Hello"
    assert strip_template_tokens("No tokens | here <b>") == "No tokens | here <b>"
    assert (
        strip_template_tokens("<|start|>assistant<|channel|>final<|message|>Done.<|return|>")
        == "assistantfinalDone."
    )
    assert has_template_tokens("Done.<|im_end|>") and not has_template_tokens("a <| b |> c")


def test_grounding_drops_sentences_with_facts_no_tool_returned() -> None:
    sources = [
        "api-service #42: compilation failure. Excerpt:\n--- lines 28-35\nApi.java:31: error",
        "git 4.0.0",
    ]
    answer = (
        "Build #42 failed to compile at line 31. It was fixed in build #57. "
        "Upgrade git from 4.0.0 to 9.9.9.\n```groovy\nsh 'mvn -v 3.9.6'\n```"
    )
    assert unsupported_facts(answer, sources) == ["57", "9.9.9"]
    cleaned, dropped = ground(answer, sources)
    assert dropped == 2
    assert cleaned.startswith("Build #42 failed to compile at line 31.")
    assert "#57" not in cleaned and "9.9.9" not in cleaned
    assert "sh 'mvn -v 3.9.6'" in cleaned  # code blocks are left alone
    assert "removed" not in cleaned  # the answer holds only what holds; the task's notes say what was dropped
    assert ground("Build #42 failed at line 30.", sources) == ("Build #42 failed at line 30.", 0)


def test_an_explanation_is_held_to_its_rules() -> None:
    from worker.agents.explain import grounded_explanation, known_fixes

    analysis = {
        "excerpt": [
            {"start_line": 3, "end_line": 6, "text": "+ mvn\n[ERROR] x\n[ERROR] Api.java:[31,17]\nFAILURE"}
        ],
        "causes": [{"id": "maven-compilation", "line": 5, "fix": "Fix the compile error in Api.java."}],
    }
    text = (
        "The build failed compiling Api.java (line 5). Line 42 shows a network timeout. "
        "You should upgrade the compiler plugin. The failed stage was Build. Maven stopped at line 6. "
        "Nothing else ran.<|im_end|>"
    )
    kept, dropped = grounded_explanation(text, analysis, max_sentences=3)
    assert (
        kept
        == "The build failed compiling Api.java (line 5). The failed stage was Build. Maven stopped at line 6."
    )
    assert dropped == 3  # a line outside the excerpt, a fix of its own, one sentence over the limit
    assert known_fixes(analysis) == [
        {"cause": "maven-compilation", "fix": "Fix the compile error in Api.java."}
    ]
