"""A model adapting a generated Jenkinsfile: its draft is returned only when it passes the linter and Groovy.

The real ChatOpenAI client talks to the scripted LLM stub over loopback; the checks run the real linter and
the real Groovy compiler.
"""

from __future__ import annotations

from typing import Any

from tests.integration.agents.conftest import agent_settings
from tests.llm_stub import StubLLM, tool_call
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
        tool_call("RouteChoice", {"agent": "pipeline", "confidence": 0.9, "reason": "a new pipeline"}),
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
