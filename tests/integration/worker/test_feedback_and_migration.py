"""``jenkins-ai kb suggest`` on stored verdicts, and the controller-key migration of older records."""

from __future__ import annotations

import re
from typing import Any

import yaml
from click.testing import CliRunner

from worker.cli import cli
from worker.settings import Settings
from worker.storage.migrations import canonicalize_controller_keys

ANALYSIS = {
    "category": "test",
    "summary": "Surefire tests failed",
    "excerpt": [{"start_line": 10, "end_line": 11, "score": 1.0,
                 "text": "[ERROR] Tests run: 12, Failures: 3\n[ERROR] InvoiceTest.totals:41 expected: <1> but was: <2>"}],
    "causes": [{"id": "maven.surefire", "category": "test", "line": 10, "description": "Surefire tests failed",
                "fix": "Fix the tests"}],
    "fingerprint": "f1",
    "stats": {"lines": 20, "bytes": 400, "seconds": 0.0},
}  # fmt: skip


def test_kb_suggest_lists_confirmed_analyses_as_rules_a_person_can_paste(
    settings: Settings, storage: Any, monkeypatch: Any
) -> None:
    ci = "https://ci.example.com"
    for build in (1, 2, 3):
        storage.analyses.save(
            ci, "team/billing", build, {**ANALYSIS, "jenkins_url": ci, "job": "team/billing"}
        )
    storage.feedback.save(ci, "team/billing", 1, author="static:x", verdict="right", lines=[])
    storage.feedback.save(ci, "team/billing", 2, author="link:y", verdict="wrong", lines=[(11, 11)],
                          comment="Round half-even in InvoiceTotals")  # fmt: skip
    storage.feedback.save(
        ci, "team/billing", 3, author="link:z", verdict="wrong", lines=[]
    )  # no better lines
    monkeypatch.setattr("worker.settings.get_settings", lambda: settings)

    result = CliRunner().invoke(cli, ["kb", "suggest"])

    assert result.exit_code == 0, result.output
    rules = yaml.safe_load(result.output)["causes"]
    assert [r["id"] for r in rules] == [
        "local.team-billing-2",
        "local.team-billing-1",
    ]  # newest verdict first
    assert rules[0]["fix"] == "Round half-even in InvoiceTotals"
    assert re.search(rules[0]["patterns"][0], "[ERROR] LedgerTest.sum:7 expected: <3> but was: <4>") is None
    assert re.search(rules[0]["patterns"][0], "InvoiceTest.totals:99 expected: <5> but was: <6>")
    assert re.search(rules[1]["patterns"][0], "Tests run: 1, Failures: 1") and rules[1]["category"] == "test"


def test_older_records_move_to_the_canonical_controller_key(storage: Any) -> None:
    db = storage.db
    db.builds.insert_one({"jenkins_url": "HTTPS://CI.Example.com:443", "job": "a", "build": 1})
    db.analyses.insert_one({"job": "a", "build": 2, "category": "test"})  # written before the key existed
    db.analyses.insert_one({"jenkins_url": "https://ci.example.com", "job": "a", "build": 3})

    changed = canonicalize_controller_keys(db, "https://ci.example.com")

    assert changed == 2
    assert storage.builds.get("a", 1, jenkins_url="https://ci.example.com") is not None
    assert storage.analyses.get("a", 2, jenkins_url="https://ci.example.com") is not None
    assert canonicalize_controller_keys(db, "https://ci.example.com") == 0  # idempotent
