"""The supervisor without an LLM and without Jenkins: what works locally, and clear answers for the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from langchain_core.messages import AIMessage

from tests.services import make_settings
from worker.agents import AgentServices, build_chat_model, run_task
from worker.agents.cli import ask
from worker.agents.llm import price, redact_text, usage_of
from worker.agents.tools import is_confirmed


@pytest.fixture
def services() -> AgentServices:
    events: list[tuple[str, dict[str, object]]] = []
    svc = AgentServices(settings=make_settings(), progress=lambda stage, data: events.append((stage, data)))
    svc.events = events  # type: ignore[attr-defined]
    return svc


def test_generates_the_issue_example_pipeline_offline(services: AgentServices) -> None:
    result = run_task(
        "generate a pipeline for a Gradle project with tests and docker push", {}, services=services, llm=None
    )
    assert result.agent == "pipeline" and result.mode == "offline"
    jenkinsfile = result.artifacts["jenkinsfile"]
    assert "./gradlew --no-daemon test" in jenkinsfile and "stage('Docker push')" in jenkinsfile
    assert result.artifacts["lint"] == {"ok": True, "issues": []}
    assert result.artifacts["project"]["requirements"] == ["docker", "tests"]
    assert jenkinsfile in result.answer
    assert "validation" not in result.artifacts  # no Jenkins configured: nothing claims it validated
    stages = [stage for stage, _ in services.events]  # type: ignore[attr-defined]
    assert stages[:2] == ["routing", "routed"] and stages[-1] == "answered"


def test_lints_a_supplied_jenkinsfile(services: AgentServices) -> None:
    bad = "pipeline {\n  agent any\n  stages {\n    stage('x') { steps { shh 'make' } }\n  }\n}\n"
    result = run_task("lint this Jenkinsfile", {"jenkinsfile": bad}, services=services, llm=None)
    assert result.agent == "pipeline"
    assert "line 4: [unknown-step] 'shh' is not a known pipeline step" in result.answer
    assert result.artifacts["lint"]["ok"] is False


def test_build_request_without_jenkins_says_so(services: AgentServices) -> None:
    result = run_task("rebuild api-service 42 with DEBUG=true", {}, services=services, llm=None)
    assert result.agent == "build"
    assert result.answer == "Error: Jenkins is not configured for this worker (set JENKINS_URL)."
    assert result.actions == []


def test_request_it_cannot_handle_offline_gets_a_clear_answer(services: AgentServices) -> None:
    result = run_task("write a pipeline that does the usual things", {}, services=services, llm=None)
    assert result.agent == "pipeline"
    assert "could not find a project type" in result.answer and "Gradle" in result.answer


def test_blank_task_is_rejected(services: AgentServices) -> None:
    with pytest.raises(ValueError, match="task: must not be blank"):
        run_task("   ", {}, services=services, llm=None)


@pytest.mark.parametrize(
    ("value", "confirmed"),
    [(True, True), ("true", True), ("yes", True), (1, False), ("no", False), (None, False), (False, False)],
)
def test_only_an_explicit_confirm_counts(value: object, confirmed: bool) -> None:
    assert is_confirmed({"confirm": value} if value is not None else {}) is confirmed


def test_no_llm_configured_means_no_model() -> None:
    assert build_chat_model(make_settings()) is None
    model = build_chat_model(make_settings(OPENAI_BASE_URL="http://127.0.0.1:9/v1", LLM_MODEL="llama3"))
    assert model is not None and model.model_name == "llama3"  # type: ignore[attr-defined]


def test_usage_and_cost_come_from_reported_tokens() -> None:
    reply = AIMessage(
        content="x",
        usage_metadata={"input_tokens": 1_000_000, "output_tokens": 100_000, "total_tokens": 1_100_000},
    )
    usage = usage_of([reply, None], "gpt-4o-mini-2024-07-18")
    assert (usage.input_tokens, usage.output_tokens, usage.llm_calls) == (1_000_000, 100_000, 1)
    assert usage.cost_usd == pytest.approx(0.15 + 0.06)
    assert price("llama3:8b", 10_000, 10_000) == 0.0


def test_text_for_the_model_is_redacted_and_bounded() -> None:
    text = redact_text("token=ghp_" + "a" * 36 + " " + "x" * 10_000, limit=200)
    assert "ghp_aaaa" not in text
    assert len(text) < 260 and text.endswith("more characters cut]")


@pytest.fixture
def no_services_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads the process settings: make sure no Jenkins or LLM from this machine is configured."""
    from worker.settings import get_settings

    for name in ("JENKINS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("no_services_env")
def test_cli_json_output_has_exactly_the_documented_keys() -> None:
    result = CliRunner().invoke(
        ask, ["--offline", "--format", "json", "generate a pipeline for a python project with lint"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "agent",
        "confidence",
        "answer",
        "actions",
        "artifacts",
        "routing",
        "status",
        "plan",
        "confirmation",
        "notes",
    }
    assert (data["status"], data["plan"], data["confirmation"]) == ("done", [], None)
    assert data["agent"] == "pipeline" and 0 <= data["confidence"] <= 1
    assert "ruff check ." in data["artifacts"]["jenkinsfile"]


@pytest.mark.usefixtures("no_services_env")
def test_cli_route_only_and_context_parsing() -> None:
    result = CliRunner().invoke(
        ask, ["--offline", "--route-only", "--format", "json", "--context", "agent=log", "anything at all"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "agent": "log",
        "confidence": 1.0,
        "reason": "agent given in the task context",
        "method": "context",
    }
    bad = CliRunner().invoke(ask, ["--route-only", "--context", "novalue", "x"])
    assert bad.exit_code == 2 and "'novalue' is not KEY=VALUE" in bad.output


def test_an_unsure_offline_route_says_so(services: AgentServices) -> None:
    result = run_task("summarise what the team did this week", {}, services=services, llm=None)
    assert result.confidence < 0.45
    assert result.answer.startswith(f"(I was unsure who should handle this: the {result.agent} specialist")


def test_the_answer_check_knows_every_tool_a_model_may_be_offered(services: AgentServices) -> None:
    from worker.agents.supervisor import ALL_TOOL_NAMES, SPECIALISTS
    from worker.agents.tools import ToolContext

    ctx = ToolContext(services=services, context={})
    names = {t.name for s in SPECIALISTS.values() for t in s.make_tools(ctx)} | {"transfer_to_specialist"}
    assert set(ALL_TOOL_NAMES) == names
