"""Deterministic parsing of job names, build numbers, parameters and plugin names."""

from __future__ import annotations

import pytest

from worker.agents.build import intent_of
from worker.agents.parsing import parse_parameters, parse_request
from worker.agents.plugin import _plugin_name


@pytest.mark.parametrize(
    ("text", "job", "build", "last"),
    [
        ("why did api-service #42 fail", "api-service", 42, False),
        ("rebuild api-service 42 with DEBUG=true", "api-service", 42, False),
        ("abort build 17 of team/api-service", "team/api-service", 17, False),
        ("analyze the failed run 1203 of monorepo", "monorepo", 1203, False),
        ("what is the status of the last build of payments", "payments", None, True),
        ("build the job 'customer-portal' now", "customer-portal", None, False),
        ("trigger deploy-prod with VERSION=2.4.1", "deploy-prod", None, False),
        ("what is in the queue", None, None, False),
    ],
)
def test_finds_job_and_build(text: str, job: str | None, build: int | None, last: bool) -> None:
    parsed = parse_request(text)
    assert (parsed.job, parsed.build, parsed.last_build) == (job, build, last)


def test_parameters_keep_case_and_unquote() -> None:
    assert parse_parameters('run x with DEBUG=true, MSG="hello world" region=eu-west-1') == {
        "DEBUG": "true",
        "MSG": "hello world",
        "region": "eu-west-1",
    }


def test_context_wins_over_text() -> None:
    parsed = parse_request(
        "rebuild api-service 42 with A=1", {"job": "other", "build": "7", "parameters": {"B": 2}}
    )
    assert (parsed.job, parsed.build, parsed.parameters) == ("other", 7, {"A": "1", "B": "2"})


def test_rejects_non_numeric_build_in_context() -> None:
    with pytest.raises(ValueError, match=r"context\.build: must be an integer"):
        parse_request("status", {"build": "latest"})


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("install the git plugin", "git"),
        ("install docker-workflow", "docker-workflow"),
        ("is the matrix-auth plugin out of date", "matrix-auth"),
        ("what version of workflow-cps is installed", "workflow-cps"),
        ("which plugins have security warnings", None),
        ("upgrade all plugins", None),
    ],
)
def test_plugin_names(text: str, name: str | None) -> None:
    assert _plugin_name(text) == name


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("rebuild api-service 42 with DEBUG=true", "rebuild"),
        ("retrigger the failed run 56 of mobile-ios", "rebuild"),
        ("abort the hanging build #7 of ops/backup", "abort"),
        ("cancel whatever is running for search-indexer", "abort"),
        ("block until release-train build 44 is done", "wait"),
        ("what's currently sitting in the jenkins queue?", "queue"),
        ("queue a build of infra/terraform with PLAN_ONLY=true", "trigger"),
        ("trigger deploy-prod with VERSION=2.4.1", "trigger"),
        ("kick a fresh build of the android app", "trigger"),
        ("was build 88 of billing successful?", "status"),
        ("what was the result of build 230 of monorepo", "status"),
        ("status of the last build of payments", "status"),
    ],
)
def test_build_intent(text: str, intent: str) -> None:
    parsed = parse_request(text)
    assert intent_of(text, bool(parsed.parameters), parsed.build is not None) == intent
