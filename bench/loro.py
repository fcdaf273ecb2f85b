"""Leave-one-repository-out for hand-written rules: provenance of every pattern, and knowledge bases without the
patterns only one repository's logs can have motivated.

Rules are not fitted by a program, so "train without repository R" cannot be rerun. What can be measured is
which repositories' logs could have motivated each pattern (its *provenance*), from the labelled dev data itself:

* a pattern that makes lines evidence (a cause, a positive signal) or hints at a category is motivated by the
  repositories in whose *labelled failure lines* it matches;
* a pattern that lowers or caps lines (negative weights, echo caps) is motivated by the repositories in whose
  *other* lines it matches (that is where it helps);
* a structure marker by the repositories whose logs it matches at all.

Scoring repository R, every pattern whose provenance is exactly {R} is switched off: only R's logs show it
doing anything, so it may have been written from them (a pattern that also does its work on another
repository's logs could have been written from that one). A pattern that matches no dev log at all stays on:
it was written from documentation or for data that is not here. Provenance is counted over every data set
together (LogChunks, CiDiff, LogDx and the Jenkins dev set), by repository (case-insensitive).

This is conservative for rules (it switches off everything that one repository alone supports, including
documented rules that only one repository happens to exercise) and it is computed, not declared, so a new rule
cannot forget to record it. The ranking constants are refitted per fold separately (:mod:`bench.refit`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from bench.cases import Case
from worker.analysis.kb import TRIGGER_WEIGHT, KnowledgeBase, Scanner
from worker.analysis.reader import strip_ansi


def _role(kb: KnowledgeBase, index: int) -> str:
    info = kb.patterns[index]
    if info.kind in ("cause", "seq_then") or info.category:  # a category hint does its work on failure lines
        return "evidence"
    if info.kind == "signal":
        return "evidence" if info.weight > 0 and info.cap >= TRIGGER_WEIGHT else "damping"
    return "structure"


def provenance(kb: KnowledgeBase, cases: Iterable[Case]) -> list[set[str]]:
    """For each pattern of ``kb``: the repositories whose logs show it doing its work (see the module)."""
    roles = [_role(kb, i) for i in range(len(kb.patterns))]
    out: list[set[str]] = [set() for _ in kb.patterns]
    for case in cases:
        data = strip_ansi(case.log.encode("utf-8"))  # what the engine scans: ANSI codes never hold a newline
        line, pos = 1, 0
        for pattern, end in kb.scan(data):
            last = max(end - 1, 0)
            if last > pos:
                line += data.count(b"\n", pos, last)
                pos = last
            role = roles[pattern]
            if (
                role == "structure"
                or (role == "evidence" and line in case.gold)
                or (role == "damping" and line not in case.gold)
            ):
                out[pattern].add(case.repo)
    return out


def single_repo(prov: list[set[str]]) -> dict[str, set[int]]:
    """Repository -> the patterns only its logs motivate."""
    out: dict[str, set[int]] = {}
    for index, repos in enumerate(prov):
        if len(repos) == 1:
            out.setdefault(next(iter(repos)), set()).add(index)
    return out


class _Without(Scanner):
    """A scanner whose matches of some patterns are dropped: the same answers as a database compiled without
    them, with no compilation (a few hundred patterns take ~1 s to compile, per repository)."""

    name = "filtered"

    def __init__(self, inner: Scanner, disabled: set[int]) -> None:
        self._inner = inner
        self._disabled = frozenset(disabled)

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        off = self._disabled
        return [m for m in self._inner.scan(data) if m[0] not in off]


def without(kb: KnowledgeBase, disabled: set[int]) -> KnowledgeBase:
    """A copy of ``kb`` whose ``disabled`` patterns never match.

    The bulk trigger scan is left as it is: it only selects lines, and a selected line is evidence only when
    the full scan (filtered here) finds an enabled trigger on it (``KnowledgeBase.scan_triggers``).
    """
    assert kb.scanner is not None
    return dataclasses.replace(kb, scanner=_Without(kb.scanner, disabled))


@dataclass
class Folds:
    """The knowledge base to score each repository with, built on first use."""

    kb: KnowledgeBase
    disabled: dict[str, set[int]]

    def __post_init__(self) -> None:
        self._built: dict[str, KnowledgeBase] = {}

    def for_repo(self, repo: str) -> KnowledgeBase:
        off = self.disabled.get(repo)
        if not off:
            return self.kb
        if repo not in self._built:
            self._built[repo] = without(self.kb, off)
        return self._built[repo]


def describe(kb: KnowledgeBase, index: int) -> str:
    """A pattern as a reader finds it in the rule files: its cause id (or kind) and regex."""
    info = kb.patterns[index]
    owner = kb.causes[info.cause].id if info.cause >= 0 else info.kind
    return f"{owner}: {info.regex}"
