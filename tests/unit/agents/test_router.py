"""The offline router: accuracy on the labelled phrasings in tests/data/routing.jsonl, confidence, reasons."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from worker.agents import AGENT_NAMES, OfflineRouter, default_router, route

ROUTING_SET = Path(__file__).resolve().parents[2] / "data" / "routing.jsonl"


def labelled() -> list[dict[str, str]]:
    return [json.loads(line) for line in ROUTING_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labelled_set_is_large_balanced_and_unseen_in_training() -> None:
    rows = labelled()
    assert len(rows) >= 80
    counts = Counter(row["agent"] for row in rows)
    assert set(counts) == set(AGENT_NAMES) and min(counts.values()) >= 15
    training = json.loads(resources.files("worker.agents").joinpath("utterances.json").read_text("utf-8"))
    seen = {text.lower().strip() for texts in training.values() for text in texts}
    assert [row["text"] for row in rows if row["text"].lower().strip() in seen] == []


def test_offline_accuracy_is_at_least_90_percent() -> None:
    router = default_router()
    rows = labelled()
    misses = [(r["text"], r["agent"], router.route(r["text"]).agent) for r in rows]
    misses = [m for m in misses if m[1] != m[2]]
    accuracy = 1 - len(misses) / len(rows)
    assert accuracy >= 0.90, misses


@pytest.mark.parametrize(
    ("text", "agent"),
    [
        ("why did api-service #42 fail", "log"),
        ("rebuild api-service 42 with DEBUG=true", "build"),
        ("generate a pipeline for a Gradle project with tests and docker push", "pipeline"),
        ("which plugins have security warnings", "plugin"),
    ],
)
def test_routes_the_issue_examples_confidently_with_a_reason(text: str, agent: str) -> None:
    decision = route(text, {})
    assert decision.agent == agent
    assert decision.method == "offline"
    assert decision.confidence >= 0.6
    assert agent in decision.reason and "similarity" in decision.reason
    assert sum(decision.scores.values()) == pytest.approx(1.0)


def test_unknown_words_give_low_confidence() -> None:
    decision = route("zzz qqq", {})
    assert decision.confidence < 0.5
    assert "no known words" in decision.reason


def test_context_agent_overrides_the_model() -> None:
    decision = route("why did api-service #42 fail", {"agent": "plugin"})
    assert (decision.agent, decision.confidence, decision.method) == ("plugin", 1.0, "context")


def test_rejects_unknown_agent_in_context_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"context\.agent: must be one of build, log, pipeline, plugin"):
        route("anything", {"agent": "deploy"})


def test_training_needs_examples() -> None:
    with pytest.raises(ValueError, match="examples"):
        OfflineRouter.train({})
