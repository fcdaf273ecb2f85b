"""Route a task to one of the four specialists.

Offline, a nearest-centroid classifier over TF-IDF features (word unigrams and bigrams plus character
3-5-grams inside words, so "rebuilt"/"rebuild" and "plugins"/"plugin" still match) is trained at first use
from the example utterances shipped in ``utterances.json``: no download, no numpy, a few milliseconds. It
reports a softmax confidence over the centroid similarities and a reason naming the nearest example and the
terms that weighed most. With an LLM, the model answers one word naming the specialist (works on every
OpenAI-compatible server, in well under a second on a CPU model), used when the server reports it is sure
enough of it (token probabilities); otherwise the offline router decides and the reason is recorded.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from worker.agents.models import AGENT_NAMES, AgentName, RoutingDecision

if TYPE_CHECKING:  # the offline router needs no LangChain import
    from langchain_core.language_models import BaseChatModel

# Function words say nothing about the agent and only add noise to small-sample centroids.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "how",
        "me",
        "my",
        "our",
        "we",
        "us",
        "you",
        "your",
        "i",
        "please",
        "can",
        "could",
        "would",
        "should",
        "do",
        "does",
        "did",
        "there",
        "any",
        "some",
        "all",
        "now",
        "right",
    ]
)
_WORD = re.compile(r"[a-z][a-z0-9_.+-]*[a-z0-9]|[a-z]|#?\d+")
# Temperature of the softmax over cosine similarities: similarities of a clear case differ by ~0.2-0.4,
# which this maps to a confidence of 0.8-0.97; near-ties stay near 1/number of agents.
_TEMPERATURE = 0.08


def _features(text: str) -> Counter[str]:
    """Sparse term counts of ``text``: words, word bigrams and character n-grams of words."""
    words = []
    for token in _WORD.findall(text.lower()):
        if token in _STOPWORDS:
            continue
        # Numbers and build references carry no routing signal beyond "there is a number".
        words.append("<num>" if token.lstrip("#").isdigit() else token)
    feats: Counter[str] = Counter()
    for word in words:
        feats["w:" + word] += 1
        padded = f"<{word}>"
        if word != "<num>":
            for n in (3, 4, 5):
                for i in range(len(padded) - n + 1):
                    feats["c:" + padded[i : i + n]] += 0.3  # type: ignore[assignment]
    for first, second in itertools.pairwise(words):
        feats[f"b:{first} {second}"] += 1
    return feats


def _normalise(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


@dataclass(frozen=True)
class OfflineRouter:
    """A trained nearest-centroid model; build one with :meth:`train` or use :func:`default_router`."""

    idf: dict[str, float]
    centroids: dict[str, dict[str, float]]
    examples: tuple[tuple[str, str, dict[str, float]], ...]  # (agent, utterance, vector)

    @classmethod
    def train(cls, examples: dict[str, list[str]]) -> OfflineRouter:
        """Fit IDF weights and one centroid per agent from labelled utterances."""
        docs = [(agent, text, _features(text)) for agent, texts in examples.items() for text in texts]
        if not docs:
            raise ValueError("examples: at least one utterance per agent is required")
        df: Counter[str] = Counter()
        for _, _, feats in docs:
            df.update(feats.keys())
        total = len(docs)
        idf = {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in df.items()}
        vectors = [(agent, text, cls._weigh(feats, idf)) for agent, text, feats in docs]
        centroids: dict[str, dict[str, float]] = {}
        for agent in examples:
            summed: dict[str, float] = {}
            for a, _, vec in vectors:
                if a == agent:
                    for k, v in vec.items():
                        summed[k] = summed.get(k, 0.0) + v
            centroids[agent] = _normalise(summed)
        return cls(idf=idf, centroids=centroids, examples=tuple(vectors))

    @staticmethod
    def _weigh(feats: Counter[str], idf: dict[str, float]) -> dict[str, float]:
        # Terms never seen in training get no weight: they cannot tell the agents apart.
        return _normalise({t: (1 + math.log(c)) * idf[t] for t, c in feats.items() if t in idf and c > 0})

    def vector(self, text: str) -> dict[str, float]:
        return self._weigh(_features(text), self.idf)

    def scores(self, text: str) -> dict[str, float]:
        """Softmax probabilities of each agent for ``text``."""
        vec = self.vector(text)
        sims = {agent: _dot(vec, centroid) for agent, centroid in self.centroids.items()}
        top = max(sims.values())
        exp = {agent: math.exp((s - top) / _TEMPERATURE) for agent, s in sims.items()}
        total = sum(exp.values())
        return {agent: e / total for agent, e in exp.items()}

    def route(self, text: str) -> RoutingDecision:
        """The most likely agent, its probability, and a human-readable reason."""
        vec = self.vector(text)
        probs = self.scores(text)
        agent = cast(AgentName, max(probs, key=lambda a: probs[a]))
        if not vec:
            return RoutingDecision(
                agent=agent,
                confidence=probs[agent],
                reason="no known words in the task; guessed",
                method="offline",
                scores=probs,
            )
        centroid = self.centroids[agent]
        contributions = {
            k[2:]: v * centroid.get(k, 0.0) for k, v in vec.items() if k.startswith(("w:", "b:"))
        }
        terms = [t for t, w in sorted(contributions.items(), key=lambda kv: -kv[1]) if w > 0][:4]
        nearest = max(
            ((text_, _dot(vec, v)) for a, text_, v in self.examples if a == agent), key=lambda tv: tv[1]
        )
        reason = f"closest to {agent} examples such as '{nearest[0]}' (similarity {nearest[1]:.2f})"
        if terms:
            reason += "; key terms: " + ", ".join(repr(t) for t in terms)
        return RoutingDecision(
            agent=agent, confidence=round(probs[agent], 4), reason=reason, method="offline", scores=probs
        )


@lru_cache(maxsize=1)
def default_router() -> OfflineRouter:
    """The router trained on the utterances shipped with the package (trained once per process)."""
    data = json.loads(resources.files("worker.agents").joinpath("utterances.json").read_text("utf-8"))
    unknown = set(data) - set(AGENT_NAMES)
    if unknown:
        raise ValueError(f"utterances.json: unknown agents {sorted(unknown)}")
    return OfflineRouter.train(data)


def route(
    text: str, context: dict[str, Any] | None = None, *, llm: BaseChatModel | None = None
) -> RoutingDecision:
    """Decide which specialist handles ``text``.

    An explicit ``context["agent"]`` wins; then the LLM if one is given (falling back to the offline router if
    its answer is unusable); otherwise the offline router.
    """
    context = context or {}
    forced = context.get("agent")
    if forced is not None:
        if forced not in AGENT_NAMES:
            raise ValueError(f"context.agent: must be one of {', '.join(AGENT_NAMES)}, got {forced!r}")
        return RoutingDecision(
            agent=cast(AgentName, forced),
            confidence=1.0,
            reason="agent given in the task context",
            method="context",
        )
    if llm is not None:
        decision, _, _ = route_with_llm(text, llm)
        if decision is not None:
            return decision
    return default_router().route(text)


# A tiny prompt and a one-word answer: ~70 prompt tokens and 1-3 reply tokens route in well under a second even on
# a CPU model (a forced tool call with a JSON schema took ~6 s there). The task text is cut for the same reason.
ROUTING_PROMPT = (
    "Which specialist handles this Jenkins task? build = build status, trigger, abort, rebuild, queue; "
    "log = why a build failed, console logs; pipeline = write or lint a Jenkinsfile; plugin = plugins, updates, "
    "security warnings. Answer with exactly one word: build, log, pipeline or plugin."
)
# Four worked examples as earlier turns: on the CPU model they raise agreement with the offline router from 86 %
# to 95 % and the share of confident answers (p >= 0.7) from 39 % to 76 % of tests/data/routing.jsonl, for ~70
# prompt tokens that llama.cpp's prompt cache keeps between tasks (0.3-0.4 s a routing, ~1 s uncached).
ROUTING_EXAMPLES = (
    ("rebuild web #3", "build"),
    ("why did web #3 fail", "log"),
    ("write a Jenkinsfile for a Go app", "pipeline"),
    ("which plugins are outdated", "plugin"),
)
ROUTING_TASK_CHARS = 300
# Words small models answer instead of the agent's name.
_ROUTE_WORDS: dict[str, AgentName] = {
    "builds": "build",
    "queue": "build",
    "abort": "build",
    "trigger": "build",
    "rebuild": "build",
    "logs": "log",
    "jenkinsfile": "pipeline",
    "plugins": "plugin",
}


def route_with_llm(
    text: str, llm: BaseChatModel, *, min_probability: float = 0.0
) -> tuple[RoutingDecision | None, Any, str | None]:
    """Ask the LLM for one word naming the specialist.

    Returns (decision, raw AIMessage for usage, None) or (None, raw, why the answer was not used): not an
    agent's name, or — when the server reports token probabilities (``logprobs``) — less sure than
    ``min_probability``. Without probabilities the word is used as it is.
    """
    from worker.agents.llm import redact_text  # local: keeps router import light for the API's --route-only

    messages: list[tuple[str, str]] = [("system", ROUTING_PROMPT)]
    for task, agent_name in ROUTING_EXAMPLES:
        messages += [("human", task), ("ai", agent_name)]
    raw: Any = llm.invoke([*messages, ("human", redact_text(text, ROUTING_TASK_CHARS))])
    content = raw.content if isinstance(getattr(raw, "content", None), str) else ""
    words = re.findall(r"[a-z]+", content.lower())
    word = words[0] if words else ""
    agent = word if word in AGENT_NAMES else _ROUTE_WORDS.get(word)
    if agent is None:
        return None, raw, f"the model answered {content[:40]!r}, not a specialist"
    probability = _first_token_probability(raw)
    if probability is not None and probability < min_probability:
        return None, raw, f"the model was unsure ({agent!r} at p={probability:.2f} < {min_probability:g})"
    reason = f"the model answered {word!r}" + (f" (p={probability:.2f})" if probability is not None else "")
    return (
        RoutingDecision(
            agent=cast(AgentName, agent),
            confidence=round(probability, 4) if probability is not None else 0.5,
            reason=reason,
            method="llm",
        ),
        raw,
        None,
    )


def _first_token_probability(message: Any) -> float | None:
    """The probability the server reported for the reply's first token (``logprobs``), or None."""
    logprobs = (getattr(message, "response_metadata", None) or {}).get("logprobs") or {}
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not content or not isinstance(content[0], dict) or "logprob" not in content[0]:
        return None
    return math.exp(float(content[0]["logprob"]))
