"""A model adapting a generated Jenkinsfile: its draft is returned only when it passes the linter and Groovy.

The real ChatOpenAI client talks to the scripted LLM stub over loopback; the checks run the real linter and
the real Groovy compiler.
"""

from __future__ import annotations

from typing import Any

from tests.integration.agents.conftest import agent_settings
from tests.llm_stub import StubLLM, route_reply, tool_call
from worker.agents import build_chat_model, run_task
from worker.pipelines import ProjectSpec, generate_jenkinsfile
from worker.pipelines.adapt import adapt_jenkinsfile, check_jenkinsfile

TEMPLATE = generate_jenkinsfile(ProjectSpec(project_type="rust", requirements=frozenset({"tests", "lint"})))
# Passes the linter (a well-formed declarative shape) but not Groovy: an unterminated ${ in a GString.
GROOVY_BROKEN = TEMPLATE.jenkinsfile.replace(
    "sh 'cargo test --locked'", 'sh "cargo test --locked --jobs ${env.EXECUTOR_NUMBER"'
)
# Fails the linter: a stage without steps.
LINT_BROKEN = TEMPLATE.jenkinsfile.replace("steps {", "stepz {", 1)
ADAPTED = TEMPLATE.jenkinsfile.replace("agent any", "agent { docker { image 'rust:1.79' } }")
#: A Jenkinsfile a model writes itself, unchecked: it must never reach the answer.
MODEL_OWN = "pipeline {\n  agent any\n  stages { stage('Build') { steps { sh 'cargo build' } } }\n}"


def fenced(text: str) -> str:
    return f"Here is the adapted pipeline:\n```groovy\n{text}```\n"


def model(llm_stub: StubLLM) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model="gpt-4o-mini", base_url=llm_stub.url, api_key="sk-stub", max_retries=0)


def test_the_drafts_really_are_broken_and_the_adaptation_is_not() -> None:
    # Guard: the test data fails the checks it is meant to fail, and the good draft passes them.
    assert check_jenkinsfile(LINT_BROKEN)[0].startswith("line ")
    assert check_jenkinsfile(GROOVY_BROKEN)[0].startswith("groovy: ")
    assert check_jenkinsfile(ADAPTED) == []


def test_a_draft_that_fails_twice_is_replaced_by_the_template(llm_stub: StubLLM) -> None:
    llm_stub.script(fenced(LINT_BROKEN), fenced(GROOVY_BROKEN))
    adapted = adapt_jenkinsfile(TEMPLATE, "run the build in the rust:1.79 docker image", model(llm_stub))
    assert adapted.source == "template" and adapted.jenkinsfile == TEMPLATE.jenkinsfile
    assert "failed the checks twice" in adapted.notes[0] and "groovy:" in adapted.notes[0]
    # The repair request told the model what was wrong with its first draft.
    assert len(llm_stub.requests) == 2
    repair = llm_stub.requests[1]["messages"][-1]["content"]
    assert "'stepz' is not a stage directive" in repair


def test_a_repaired_draft_that_passes_is_returned(llm_stub: StubLLM) -> None:
    llm_stub.script(fenced(GROOVY_BROKEN), fenced(ADAPTED))
    adapted = adapt_jenkinsfile(TEMPLATE, "run the build in the rust:1.79 docker image", model(llm_stub))
    assert (adapted.source, adapted.jenkinsfile, adapted.notes) == ("model-repaired", ADAPTED, [])
    assert "groovy: " in llm_stub.requests[1]["messages"][-1]["content"]


def test_a_reply_without_a_jenkinsfile_and_a_failing_model_give_the_template(llm_stub: StubLLM) -> None:
    llm_stub.script("Sure! I would use a Docker agent.")  # no Jenkinsfile; then the script runs out: 500
    adapted = adapt_jenkinsfile(TEMPLATE, "use a docker agent", model(llm_stub))
    assert adapted.source == "template" and adapted.jenkinsfile == TEMPLATE.jenkinsfile
    assert "the model failed" in adapted.notes[0]


def test_the_pipeline_agent_never_returns_a_broken_draft(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    llm_stub.script(
        route_reply("pipeline"),
        tool_call(
            "generate_jenkinsfile",
            {"project_type": "rust", "requirements": ["tests", "lint"], "changes": "use the rust:1.79 image"},
        ),
        fenced(LINT_BROKEN),  # the adaptation's draft
        fenced(GROOVY_BROKEN),  # and its repair
        lambda body: "Done: " + next(m["content"] for m in reversed(body["messages"]) if m["role"] == "tool"),
    )
    settings = agent_settings(jenkins_double, llm_stub)
    result = run_task(
        "generate a Jenkinsfile for a Rust project with lint, built in the rust:1.79 image",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )
    assert result.agent == "pipeline" and result.mode == "llm"
    assert result.artifacts["jenkinsfile"] == TEMPLATE.jenkinsfile
    assert result.artifacts["jenkinsfile_source"] == "template"
    assert "stepz" not in result.answer and "EXECUTOR_NUMBER" not in result.answer
    assert "returned the generated template" in result.answer
    assert llm_stub.remaining == 0


RUST = generate_jenkinsfile(ProjectSpec(project_type="rust", requirements=frozenset({"tests"})))


def run_rust_request(jenkins_double: Any, llm_stub: StubLLM, services_for: Any, *replies: Any) -> Any:
    llm_stub.script(route_reply("pipeline"), *replies)
    settings = agent_settings(jenkins_double, llm_stub)
    return run_task(
        "generate a Jenkinsfile for a Rust project",
        {},
        services=services_for(settings),
        llm=build_chat_model(settings),
    )


def test_a_pipeline_request_gets_the_template_before_the_model_speaks(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    """What the real model did: advice prose instead of a Jenkinsfile. The artifact no longer depends on it."""
    result = run_rust_request(
        jenkins_double,
        llm_stub,
        services_for,
        "To fix the error, make sure the project type and components are correctly specified.",
    )
    # The model's first turn already held the generated Jenkinsfile as the result of its own call.
    [called] = [m for m in llm_stub.requests[1]["messages"] if m["role"] == "assistant"]
    assert called["tool_calls"][0]["function"]["name"] == "generate_jenkinsfile"
    assert RUST.jenkinsfile in llm_stub.requests[1]["messages"][-1]["content"]
    assert result.artifacts["jenkinsfile"] == RUST.jenkinsfile
    assert result.artifacts["lint"]["ok"] is True
    assert result.answer.endswith(f"```groovy\n{RUST.jenkinsfile.rstrip()}\n```")
    assert result.usage.llm_calls == 2


def test_a_jenkinsfile_the_model_writes_itself_is_never_returned(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    result = run_rust_request(
        jenkins_double,
        llm_stub,
        services_for,
        f"Here is your pipeline:\n```groovy\n{MODEL_OWN}\n```\nIt builds and tests the crate with cargo.",
    )
    # The checked file takes the place of the model's own.
    assert result.answer == (
        f"Here is your pipeline:\n\n```groovy\n{RUST.jenkinsfile.rstrip()}\n```\n\n"
        "It builds and tests the crate with cargo."
    )
    assert "sh 'cargo build'" not in result.answer.replace(RUST.jenkinsfile.rstrip(), "")


def test_a_pipeline_answer_written_as_markup_still_returns_the_jenkinsfile(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    """The Rust case of the last real-model run: the model's last words were its call, as XML."""
    markup = (
        "<tools>\n  <function>\n    <name>generate_jenkinsfile</name>\n    <arguments>\n      <properties>\n"
        "        <project_type>rust</project_type>\n        <components></components>\n      </properties>\n"
        "    </arguments>\n  </function>\n</tools>"
    )
    result = run_rust_request(
        jenkins_double, llm_stub, services_for, markup, "It builds and tests with cargo."
    )
    # The markup became a real call (the same one as before the model's turn: answered from its result).
    assistant = [m for m in llm_stub.requests[2]["messages"] if m["role"] == "assistant"]
    assert assistant[-1]["tool_calls"][0]["function"]["name"] == "generate_jenkinsfile"
    assert "<function>" not in result.answer and "<tools>" not in result.answer
    assert result.answer == f"It builds and tests with cargo.\n\n```groovy\n{RUST.jenkinsfile.rstrip()}\n```"


def test_a_pipeline_answer_telling_the_user_to_call_our_tool_is_not_returned_as_such(
    jenkins_double: Any, llm_stub: StubLLM, services_for: Any
) -> None:
    """The .NET case of a real-model run: prose about calling generate_jenkinsfile, then the model's own file."""
    result = run_rust_request(
        jenkins_double,
        llm_stub,
        services_for,
        "To generate a Jenkinsfile for a Rust project, you can use the `generate_jenkinsfile` function with the "
        f"following parameters:\n```groovy\n{MODEL_OWN}\n```\nIt builds and tests the crate with cargo.",
    )
    assert "generate_jenkinsfile" not in result.answer
    assert result.answer == (
        f"```groovy\n{RUST.jenkinsfile.rstrip()}\n```\n\nIt builds and tests the crate with cargo."
    )
    assert any("told the user to call" in note for note in result.notes)
