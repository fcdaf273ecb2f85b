"""Accuracy measures over labelled cases: line-level P/R/F1 of the first block, recall of the first three, lines
returned, hit rates, and the category's accuracy and macro-F1. Also the two baselines.

All line measures are averaged per log (a log is one answer a user reads), then per group.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Ranges = list[tuple[int, int]]


def lines_of(ranges: Sequence[tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    for start, end in ranges:
        out.update(range(start, end + 1))
    return out


@dataclass(frozen=True)
class Outcome:
    """What one method answered for one case, scored against its gold lines."""

    precision: float
    recall: float
    f1: float
    recall3: float
    lines1: int
    lines3: int
    hit1: float  # a gold line is in the first block
    hit3: float  # ... in the first three
    category: str | None = None
    ranges: tuple[tuple[int, int], ...] = ()  # the first three blocks

    @staticmethod
    def score(ranges: Ranges, gold: frozenset[int], category: str | None = None) -> Outcome:
        first, top3 = lines_of(ranges[:1]), lines_of(ranges[:3])
        hit = len(first & gold)
        p = hit / len(first) if first else 0.0
        r = hit / len(gold) if gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        r3 = len(top3 & gold) / len(gold) if gold else 0.0
        return Outcome(
            p,
            r,
            f,
            r3,
            len(first),
            len(top3),
            float(bool(hit)),
            float(bool(top3 & gold)),
            category,
            tuple(ranges[:3]),
        )


@dataclass
class Summary:
    """Outcomes of one method over a group of cases, averaged."""

    outcomes: list[Outcome] = field(default_factory=list)

    def mean(self, name: str) -> float:
        values = [getattr(o, name) for o in self.outcomes]
        return statistics.fmean(values) if values else float("nan")

    def __len__(self) -> int:
        return len(self.outcomes)


COLUMNS = ("precision", "recall", "f1", "recall3", "lines1", "lines3", "hit1", "hit3")
HEADINGS = ("P@1", "R@1", "F1@1", "R@top3", "lines@1", "lines@3", "hit@1", "hit@3")


def header(label: str, width: int = 36) -> str:
    return f"{label:<{width}} {'n':>4} " + " ".join(f"{h:>7}" for h in HEADINGS)


def row(label: str, summary: Summary, width: int = 36) -> str:
    cells = []
    for name in COLUMNS:
        value = summary.mean(name)
        cells.append(f"{value:>7.1f}" if name.startswith("lines") else f"{value:>7.3f}")
    return f"{label:<{width}} {len(summary):>4} " + " ".join(cells)


def category_scores(pairs: Iterable[tuple[tuple[str, ...], str]]) -> tuple[float, float, int]:
    """Accuracy and macro-F1 of predicted categories; ``pairs`` are (right answers, predicted).

    A prediction among the right answers counts as the gold label itself; otherwise the gold label is the first
    right answer. Macro-F1 averages F1 over the gold labels that occur (a label never expected but predicted
    lowers the precision of nothing: it only costs the recall of the label it took the place of).
    """
    gold: list[str] = []
    predicted: list[str] = []
    for answers, guess in pairs:
        if not answers:
            continue
        gold.append(guess if guess in answers else answers[0])
        predicted.append(guess)
    if not gold:
        return float("nan"), float("nan"), 0
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    f1s = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return accuracy, statistics.fmean(f1s), len(gold)


# --------------------------------------------------------------------------------------------------------
# Baselines: what a plugin without an engine would send.

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# The first line ``grep -i -m1 error`` would find, as a word start ("Error:", "ERROR", "errors"), or a failure
# word when no line says "error".
_ERROR_LINE = re.compile(r"(?i)\berror")
_FAIL_LINE = re.compile(r"(?i)\b(?:fail(?:ed|ure)?|fatal|exception)\b")


def last_100(total_lines: int) -> Ranges:
    """The last 100 lines, as common AI plugins send them."""
    return [(max(1, total_lines - 99), total_lines)]


def first_error_window(log: str, context: int = 5) -> Ranges:
    """The first line that says "error" (else "fail"/"fatal"/"exception"), with ``context`` lines around it;
    the last ``2 * context + 1`` lines when no line does."""
    lines = log.split("\n")
    for pattern in (_ERROR_LINE, _FAIL_LINE):
        for number, text in enumerate(lines, start=1):
            if pattern.search(_ANSI.sub("", text)):
                return [(max(1, number - context), min(len(lines), number + context))]
    return [(max(1, len(lines) - 2 * context), len(lines))]
