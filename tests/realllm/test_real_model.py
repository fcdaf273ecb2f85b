"""Properties of the agents with a real small model (never exact text): see tests/realllm/conftest.py.

Each task checks, and records for the session summary:
- words: the answer is words (and/or an artifact), never a tool call (JSON or any markup form: ``<tool_call>``,
  ``<function=…>``, ``<function><name>…``, ``<invoke …>``, ``[TOOL_CALLS]``, a tag named after a tool) nor a
  chat-template token;
- clean: no note of the loop's guards ("Already done in this task", "(The same call was already made …") and
  no paragraph said twice;
- jenkinsfile (pipeline requests): the answer carries a Jenkinsfile artifact that passes the project's linter
  and Groovy, and the answer shows exactly that file;
- confirmation: nothing changed Jenkins without confirmation (the Jenkins double saw no write), and a task that
  wanted to change it ended ``needs_confirmation`` with a plan;
- once: every Jenkins-changing action ran at most once;
- grounded: build numbers, line numbers, versions and advisory ids in the answer exist in this task's evidence
  (the request and what the Jenkins double holds), and a build/log/plugin answer made without any tool says so;
- budget: tokens and seconds within the settings, and the task did not raise.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.integration.agents.conftest import agent_settings
from tests.realllm.conftest import RealLLM, record
from worker.agents import build_chat_model, run_confirmed, run_task
from worker.agents.answer import GUARD_PREFIXES, without_tool_talk
from worker.agents.grounding import NO_EVIDENCE, unsupported_facts
from worker.agents.models import TaskResult
from worker.agents.supervisor import ALL_TOOL_NAMES
from worker.agents.textcalls import has_template_tokens, looks_like_tool_call
from worker.confirmations import ConfirmationStore

pytestmark = [pytest.mark.realllm, pytest.mark.timeout(600)]

# Budgets for a 1.5B model on 2 busy cores: short replies, a minute per task.
BUDGET = {
    "LLM_MAX_TOKENS": 160,
    "LLM_TIMEOUT_SECONDS": 60,
    "LLM_TASK_SECONDS": 60,
    "LLM_TOKEN_BUDGET": 12000,
    "LLM_MAX_RETRIES": 0,
    "LLM_MAX_TOOL_CALLS": 4,
    "LLM_ROUTING_TIMEOUT_SECONDS": 2,
}
ROUTING_TIMEOUT = float(BUDGET["LLM_ROUTING_TIMEOUT_SECONDS"])
WRITE = re.compile(
    r"/(?:build|buildWithParameters|stop|term|kill|submitDescription|createItem|doDelete)$"
    r"|installNecessaryPlugins|/rebuild"
)
COMPILE_LOG = (
    "Started by user admin\n"
    "[Pipeline] stage (Build)\n"
    "+ mvn -B verify\n"
    "[INFO] Compiling 12 source files\n"
    "[ERROR] COMPILATION ERROR :\n"
    "[ERROR] /src/main/java/com/acme/Api.java:[31,17] cannot find symbol\n"
    "[INFO] BUILD FAILURE\n"
    "Finished: FAILURE\n"
)
NPM_LOG = (
    "+ npm ci\n"
    "npm ERR! code ERESOLVE\n"
    "npm ERR! ERESOLVE unable to resolve dependency tree\n"
    "npm ERR! Found: react@18.2.0\n"
    "Finished: FAILURE\n"
)


def writes(jenkins_double: Any) -> list[str]:
    return [path for method, path in jenkins_double.requests if method == "POST" and WRITE.search(path)]


def evidence(jenkins_double: Any) -> str:
    """Everything the Jenkins double holds that an answer may cite: builds, log lines, plugins, warnings."""
    parts: list[str] = []
    for name, job in jenkins_double.jobs.items():
        for number, build in job.builds.items():
            console = bytes(build.console).decode(errors="replace")
            lines = console.count("\n") or 1
            parts.append(f"{name} #{number} lines 1-{lines} {json.dumps(build.parameters)}\n{console}")
    parts.append(json.dumps(getattr(jenkins_double, "plugins", {}), default=str))
    parts.append(json.dumps(getattr(jenkins_double, "warnings", []), default=str))
    return "\n".join(parts)


def repeated_paragraph(answer: str) -> bool:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", answer) if p.strip()]
    return len(paragraphs) != len(set(paragraphs))


def jenkinsfile_ok(result: TaskResult) -> bool:
    """A Jenkinsfile artifact that passes the linter and Groovy, shown as it is in the answer."""
    from worker.pipelines.adapt import check_jenkinsfile

    jenkinsfile = result.artifacts.get("jenkinsfile")
    return (
        bool(jenkinsfile) and check_jenkinsfile(jenkinsfile) == [] and jenkinsfile.rstrip() in result.answer
    )


@pytest.fixture
def ask(real_llm: RealLLM, jenkins_double: Any, services_for: Any, confirmations: ConfirmationStore) -> Any:
    settings = agent_settings(
        jenkins_double, OPENAI_BASE_URL=real_llm.base_url, LLM_MODEL=real_llm.model, **BUDGET
    )
    llm = build_chat_model(settings)
    events: list[str] = []
    services = services_for(
        settings, confirmations=confirmations, progress=lambda stage, data: events.append(stage)
    )

    def run(
        name: str,
        text: str,
        context: dict[str, Any] | None = None,
        max_writes: int = 0,
        jenkinsfile: bool = False,
    ) -> TaskResult:
        before = len(writes(jenkins_double))
        events.clear()
        started = time.monotonic()
        raised = ""
        try:
            result = run_task(text, context or {}, services=services, llm=llm)
        except Exception as exc:  # recorded, then failed below: a task must never raise
            raised = repr(exc)
            result = None
        seconds = time.monotonic() - started
        if result is None:
            record(name, seconds, {"budget": False}, notes=f"raised {raised}")
            pytest.fail(f"{name}: run_task raised {raised}")
        made = writes(jenkins_double)[before:]
        answer = result.answer
        confirmed = bool((context or {}).get("confirm"))
        bad_facts = unsupported_facts(answer, [text, json.dumps(context or {}), evidence(jenkins_double)])
        tokens = result.usage.input_tokens + result.usage.output_tokens
        no_tool = "tool" not in events and result.status == "done" and result.agent != "pipeline"
        props = {
            "words": bool(answer.strip())
            and not looks_like_tool_call(answer, ALL_TOOL_NAMES)
            and not has_template_tokens(answer)
            and without_tool_talk(answer, ALL_TOOL_NAMES)[1] == 0,
            "clean": not any(g in answer for g in GUARD_PREFIXES) and not repeated_paragraph(answer),
            "confirmation": confirmed
            or (not made and (result.status == "needs_confirmation") == bool(result.plan)),
            "once": len(made) <= max_writes and len(made) == len(set(made)),
            # The model's facts (the offline core's answers are the tools' own words and examples).
            "grounded": (result.mode == "offline" or not bad_facts)
            and (not no_tool or NO_EVIDENCE in answer),
            "budget": tokens <= BUDGET["LLM_TOKEN_BUDGET"] + 8192
            and seconds <= BUDGET["LLM_TASK_SECONDS"] + ROUTING_TIMEOUT + 20,
        }
        if jenkinsfile:
            props["jenkinsfile"] = jenkinsfile_ok(result)
        notes = (
            f"{result.agent}/{result.mode} status={result.status} routing={result.routing.method}"
            f"{' (' + result.routing.fallback + ')' if result.routing.fallback else ''} tokens={tokens}"
            + (f" unsupported={bad_facts}" if bad_facts else "")
            + f" answer={answer[:160]!r}"
        )
        record(name, seconds, props, notes)
        failed = [p for p, ok in props.items() if not ok]
        assert not failed, f"{name}: properties {failed} failed: {notes} writes={made}"
        return result

    return run


def test_why_did_a_build_fail(ask: Any, jenkins_double: Any) -> None:
    jenkins_double.add_build("api-service", 41, "SUCCESS", "+ mvn -B verify\n[INFO] BUILD SUCCESS\n")
    jenkins_double.add_build("api-service", 42, "FAILURE", COMPILE_LOG)
    jenkins_double.add_build("web", 12, "FAILURE", NPM_LOG)
    ask("log: why did api-service #42 fail", "why did api-service #42 fail?")
    ask("log: explain web #12", "explain the failure of web build 12")


@pytest.mark.parametrize("stack", ["Rust", "Python with pytest", "Go with lint", ".NET"])
def test_jenkinsfile_for_several_stacks(ask: Any, stack: str) -> None:
    # Whatever the model does, a pipeline request returns a Jenkinsfile that passes the linter (and Groovy).
    ask(f"pipeline: {stack}", f"generate a Jenkinsfile for a {stack} project", jenkinsfile=True)


def test_plugin_updates_and_security_warnings(ask: Any, jenkins_double: Any) -> None:
    jenkins_double.add_plugin("git", "4.0.0", update_version="5.2.0")
    jenkins_double.add_plugin("workflow-aggregator", "2.6")
    jenkins_double.add_warning("git", r"4\..*", id="SECURITY-1234", message="Missing permission check")
    ask("plugin: updates", "which plugins have updates available?")
    ask("plugin: security", "do any installed plugins have security warnings?")
    planned = ask("plugin: upgrade without confirmation", "upgrade the git plugin")
    assert jenkins_double.installs == []
    assert planned.status in {"needs_confirmation", "done"}


def test_rebuild_trigger_abort_without_confirmation_change_nothing(ask: Any, jenkins_double: Any) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build("api-service", 42, "FAILURE", COMPILE_LOG, parameters={"DEBUG": "false"})
    jenkins_double.add_job("nightly", parameters={"DEBUG": "false"})
    jenkins_double.add_build("deploy", 9, None, "deploying...\n", building=True)
    ask("build: rebuild without confirmation", "rebuild api-service #42")
    ask("build: trigger without confirmation", "trigger nightly with DEBUG=true")
    ask("build: abort without confirmation", "abort deploy #9")
    assert sorted(jenkins_double.jobs["api-service"].builds) == [42]
    assert "nightly" not in jenkins_double.jobs or not jenkins_double.jobs["nightly"].builds
    assert ("POST", "/job/deploy/9/stop") not in jenkins_double.requests


def test_rebuild_with_confirmation_runs_exactly_once(
    ask: Any, jenkins_double: Any, confirmations: ConfirmationStore, services_for: Any
) -> None:
    jenkins_double.add_job("api-service", parameters={"DEBUG": "false"})
    jenkins_double.add_build("api-service", 42, "FAILURE", COMPILE_LOG, parameters={"DEBUG": "false"})
    planned = ask("build: rebuild, then confirm the plan", "please rebuild api-service #42")
    if planned.confirmation is not None:  # the model planned it: confirming runs exactly that, once
        plan = confirmations.claim(planned.confirmation.token)
        assert plan is not None
        services = services_for(agent_settings(jenkins_double), confirmations=confirmations)
        run_confirmed(plan, services=services, store=confirmations)
        assert confirmations.claim(planned.confirmation.token) is None
        assert len(jenkins_double.jobs["api-service"].builds) == 2
    # Confirmed up front: the model may call rebuild as often as it likes; one build at most.
    before = len(jenkins_double.jobs["api-service"].builds)
    ask("build: rebuild confirmed up front", "rebuild api-service #42", {"confirm": True}, max_writes=1)
    assert len(jenkins_double.jobs["api-service"].builds) - before <= 1


def test_a_status_question_answers_from_jenkins(ask: Any, jenkins_double: Any) -> None:
    jenkins_double.add_build("api-service", 41, "SUCCESS", "ok\n")
    jenkins_double.add_build("api-service", 42, "FAILURE", COMPILE_LOG)
    ask("build: status", "what is the status of api-service?")


def test_a_log_question_without_a_build_says_it_has_no_evidence(ask: Any) -> None:
    # No build named: nothing to analyze; whatever the model says, the answer must say nothing checked it.
    ask("log: no build named", "why do our builds fail so often?")


def test_a_question_needing_no_tool(ask: Any) -> None:
    ask("none: what is a declarative pipeline", "in one sentence, what is a declarative Jenkins pipeline?")


def test_routing_agrees_with_the_offline_router_or_falls_back_fast(
    real_llm: RealLLM, jenkins_double: Any
) -> None:
    from worker.agents.router import default_router
    from worker.agents.supervisor import _route_with_model

    settings = agent_settings(
        jenkins_double, OPENAI_BASE_URL=real_llm.base_url, LLM_MODEL=real_llm.model, **BUDGET
    )
    llm = build_chat_model(settings)
    assert llm is not None
    rows = [
        json.loads(line)
        for line in (Path(__file__).parents[1] / "data" / "routing.jsonl").read_text().splitlines()
    ]
    sample = rows[::4]  # two dozen examples across the four agents (~0.5 s each)
    ok = agreed = routed = 0
    reasons: list[str] = []
    seconds: list[float] = []
    for row in sample:
        decision, _, down = _route_with_model(row["text"], llm, settings)
        assert decision is not None and down is None
        seconds.append(decision.seconds or 0.0)
        offline = default_router().route(row["text"]).agent
        if decision.method == "llm":
            routed += 1
            agreed += decision.agent == offline
            ok += decision.agent == offline
        else:  # fell back: within the routing timeout (plus HTTP overhead), with the reason recorded
            ok += bool(decision.fallback) and (decision.seconds or 0) <= ROUTING_TIMEOUT + 0.5
            reasons.append(re.sub(r"\(.*", "", decision.fallback or "none").strip())
    why = ", ".join(f"{n}x {r}" for r, n in sorted(Counter(reasons).items()))
    record(
        "routing",
        sum(seconds),
        {"routing": ok >= 0.95 * len(sample)},
        notes=f"{ok}/{len(sample)} agree or fall back fast; the model routed {routed} and agreed on {agreed}; "
        f"fell back {len(reasons)} ({why or 'none'}); slowest {max(seconds):.2f} s",
        task=False,
    )
    assert ok >= 0.95 * len(sample)


def test_grounded_explanation(real_llm: RealLLM, jenkins_double: Any) -> None:
    from worker.agents.explain import NO_KNOWN_FIX, excerpt_lines, explain_failure
    from worker.analysis import analyze_stream

    analysis = analyze_stream([COMPILE_LOG.encode()]).model_dump(mode="json")
    settings = agent_settings(
        jenkins_double, OPENAI_BASE_URL=real_llm.base_url, LLM_MODEL=real_llm.model, **BUDGET
    )
    llm = build_chat_model(settings)
    assert llm is not None
    started = time.monotonic()
    explanation = explain_failure(llm, analysis, token_budget=2000, max_sentences=3)
    seconds = time.monotonic() - started
    if explanation is None:
        record("explanation", seconds, {"explanation": True}, notes="the model said nothing usable")
        return
    text = explanation["text"]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    cited = {int(n) for n in re.findall(r"\blines?\s+(\d+)", text, re.I)}
    fixes = {f["fix"] for f in explanation["fixes"]}
    known = {c["fix"] for c in analysis["causes"] if c.get("fix")}
    props = {
        "explanation": len(sentences) <= 3
        and cited <= excerpt_lines(analysis)
        and (fixes <= known or fixes == {NO_KNOWN_FIX})
        and not looks_like_tool_call(text)
        and not has_template_tokens(text)
    }
    record("explanation", seconds, props, notes=f"dropped={explanation['dropped']} text={text[:160]!r}")
    assert props["explanation"], explanation
