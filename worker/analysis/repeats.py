"""The same failure shown once: ranked blocks whose evidence is identical once masked become one, with a count.

While streaming, a line of evidence that repeats an earlier one (its bytes with digits masked, see
:mod:`worker.analysis.selection`) is counted on its first occurrence and builds no block. What is left for the
end are blocks that differ in more than digits: a temporary path, a hash, a timestamp in another format. Here
blocks whose evidence lines are the same after :func:`similarity.normalize_line` (numbers, paths, hashes and
times masked) are merged into the best-ranked one, which then counts them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.analysis.blocks import Candidate
from worker.analysis.kb import TRIGGER_WEIGHT
from worker.analysis.reader import strip_prefix
from worker.analysis.similarity import normalize_line


@dataclass(slots=True)
class Shown:
    """A ranked block as shown: how many times its failure occurs and the line where it first does."""

    cand: Candidate
    count: int
    first_line: int


def merge_repeats(ranked: list[Candidate]) -> list[Shown]:
    """``ranked`` without the blocks that repeat a better-ranked one, each kept block counting its repeats."""
    shown: list[Shown] = []
    by_signature: dict[frozenset[str], Shown] = {}
    normalised: dict[str, str] = {}  # the same lines recur in many blocks: each is normalised once
    for cand in ranked:
        occurrence = Shown(cand, cand.occurrences(), first_evidence_line(cand))
        signature = _signature(cand, normalised)
        kept = by_signature.get(signature) if signature else None
        if kept is None:
            shown.append(occurrence)
            if signature:
                by_signature[signature] = occurrence
            continue
        if cand.start <= kept.cand.end and kept.cand.start <= cand.end:
            # The same occurrence seen by two rules (a hit's block, and its failed step's last lines with the
            # context above it): the ranking decided to show both.
            shown.append(occurrence)
            continue
        kept.count += occurrence.count
        kept.first_line = min(kept.first_line, occurrence.first_line)
    return shown


def first_evidence_line(cand: Candidate) -> int:
    """The first line of the block with evidence of its own (the block's start when it has none)."""
    lines = [h.line for h in cand.hits if cand.start <= h.line <= cand.end]
    return min(lines, default=cand.start)


def _signature(cand: Candidate, normalised: dict[str, str]) -> frozenset[str]:
    """The block's evidence lines, normalised (empty when it has none: such blocks are never merged);
    ``normalised`` remembers :func:`similarity.normalize_line` of the lines seen so far (a few hundred blocks,
    each up to 60 lines, where most lines recur: tens of microseconds each, ~3% of a large log's analysis)."""
    out = set()
    for hit in cand.hits:
        index = hit.line - cand.start
        if hit.weight >= TRIGGER_WEIGHT and 0 <= index < len(cand.lines):
            line = strip_prefix(cand.lines[index])
            text = normalised.get(line)
            if text is None:
                text = normalised[line] = normalize_line(line)
            if text:
                out.add(text)
    return frozenset(out)
