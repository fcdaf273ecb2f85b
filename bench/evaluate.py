"""Accuracy of the analysis engine on real, labelled CI logs (and of the "last 100 lines" baseline).

Usage::

    python -m bench.evaluate                # all data sets
    python -m bench.evaluate --only logchunks --limit 50 --show-misses 5
    python -m bench.evaluate --only logchunks --by-repo   # weakest repositories first

Data sets (read from ``$LJ_SHARED_DIR`` or ``<repo>/../shared``):

* LogChunks dev (398 Travis logs, 40 repositories): line-level precision/recall/F1 of ``excerpt[0]`` against
  the labelled chunk, averaged per log; recall of the union of the first three blocks; mean lines returned.
* LogDx (32 GitHub Actions failures): category agreement and whether the evidence lines are in the excerpt.
* CiDiff (36 failing logs with the last passing log): share of the ground-truth ``E`` lines in the excerpt,
  with and without ``--previous``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bench._shared import read_jsonl_gz
from worker.analysis import Analysis, analyze_stream, load_knowledge_base

# LogDx failure categories -> the engine's categories that are a correct answer for them.
LOGDX_CATEGORIES: dict[str, set[str]] = {
    "compile_error": {"compilation"},
    "test_assertion": {"test"},
    "snapshot_diff": {"test"},
    "lint_error": {"lint"},
    "type_error": {"compilation", "lint"},  # mypy/tsc: a type checker is a compiler or a static analysis
    "dependency_install": {"dependency"},
    "timeout_or_oom": {"timeout", "out_of_memory"},
    "permission_or_secret": {"configuration"},
    "network_or_flaky": {"infrastructure"},
    "docker_build": {"infrastructure", "dependency", "compilation", "configuration"},
    "github_actions_config": {"configuration"},
}


def _chunks(text: str, size: int = 1 << 20) -> Iterable[bytes]:
    data = text.encode("utf-8")
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _prf(predicted: set[int], gold: set[int]) -> tuple[float, float, float]:
    if not predicted or not gold:
        return 0.0, 0.0, 0.0
    hit = len(predicted & gold)
    p, r = hit / len(predicted), hit / len(gold)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _lines(block_ranges: Sequence[tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    for start, end in block_ranges:
        out.update(range(start, end + 1))
    return out


@dataclass
class Scores:
    """Per-log metrics, averaged at the end."""

    name: str
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    recall3: list[float] = field(default_factory=list)
    lines1: list[int] = field(default_factory=list)
    lines3: list[int] = field(default_factory=list)

    def add(self, blocks: Sequence[tuple[int, int]], gold: set[int]) -> float:
        first = _lines(blocks[:1])
        top3 = _lines(blocks[:3])
        p, r, f = _prf(first, gold)
        self.precision.append(p)
        self.recall.append(r)
        self.f1.append(f)
        self.recall3.append(len(top3 & gold) / len(gold) if gold else 0.0)
        self.lines1.append(len(first))
        self.lines3.append(len(top3))
        return f

    def row(self) -> str:
        m = statistics.fmean
        return (
            f"{self.name:<34} {m(self.precision):>6.3f} {m(self.recall):>6.3f} {m(self.f1):>6.3f} "
            f"{m(self.recall3):>8.3f} {m(self.lines1):>8.1f} {m(self.lines3):>8.1f}"
        )


HEADER = f"{'':<34} {'P@1':>6} {'R@1':>6} {'F1@1':>6} {'R@top3':>8} {'lines@1':>8} {'lines@3':>8}"


def _ranges(analysis: Analysis) -> list[tuple[int, int]]:
    return [(b.start_line, b.end_line) for b in analysis.excerpt]


def _last_100(total: int) -> list[tuple[int, int]]:
    return [(max(1, total - 99), total)]


def evaluate_logchunks(
    limit: int | None, show_misses: int, by_repo: bool = False
) -> tuple[Scores, Scores, float, int]:
    engine, baseline = Scores("engine excerpt"), Scores('baseline "last 100 lines"')
    repos: dict[str, Scores] = {}
    seconds, size = 0.0, 0
    misses: list[tuple[float, str, int, int, list[tuple[int, int]]]] = []
    for n, row in enumerate(read_jsonl_gz("logchunks/dev.jsonl.gz")):
        if limit is not None and n >= limit:
            break
        gold = set(range(row["chunk_line_start"], row["chunk_line_end"] + 1))
        started = time.perf_counter()
        analysis = analyze_stream(_chunks(row["log"]))
        seconds += time.perf_counter() - started
        size += len(row["log"].encode("utf-8"))
        f = engine.add(_ranges(analysis), gold)
        repos.setdefault(row["repo"], Scores(row["repo"][:34])).add(_ranges(analysis), gold)
        baseline.add(_last_100(len(row["log"].split("\n"))), gold)
        misses.append((f, row["id"], row["chunk_line_start"], row["chunk_line_end"], _ranges(analysis)[:3]))
    if by_repo:
        # Where the engine is weakest: a per-repository view, to find failure shapes (never to tune to one log).
        print("LogChunks per repository, worst F1@1 first")
        print(HEADER)
        for scores in sorted(repos.values(), key=lambda r: statistics.fmean(r.f1)):
            print(scores.row())
    if show_misses:
        print("worst LogChunks logs (F1, id, gold, predicted top 3):")
        for f, log_id, s, e, ranges in sorted(misses)[:show_misses]:
            print(f"  {f:.2f} {log_id} gold {s}-{e} got {ranges}")
    return engine, baseline, seconds, size


def _cidiff_lines(text: str) -> str:
    """CiDiff numbers lines like ``str.splitlines`` (a lone CR ends a line too)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


_GT = re.compile(r"^([EC]) (\d+)(?:-(\d+))?$")


def _groundtruth(text: str, kind: str = "E") -> set[int]:
    out: set[int] = set()
    for line in text.splitlines()[1:]:
        m = _GT.match(line.strip())
        if m and m.group(1) == kind:
            start = int(m.group(2))
            out.update(range(start, int(m.group(3) or start) + 1))
    return out


def evaluate_cidiff(limit: int | None) -> tuple[Scores, Scores, Scores, list[float], list[float]]:
    alone, with_prev, baseline = Scores("engine"), Scores("engine --previous"), Scores('"last 100 lines"')
    any_alone: list[float] = []
    any_prev: list[float] = []
    for n, row in enumerate(read_jsonl_gz("cidiff/breakages.jsonl.gz")):
        if limit is not None and n >= limit:
            break
        fail = _cidiff_lines(row["fail_log"])
        passing = _cidiff_lines(row["pass_log"])
        gold = _groundtruth(row["groundtruth"])
        a = analyze_stream(_chunks(fail))
        b = analyze_stream(_chunks(fail), previous=_chunks(passing))
        alone.add(_ranges(a), gold)
        with_prev.add(_ranges(b), gold)
        baseline.add(_last_100(len(fail.split("\n"))), gold)
        any_alone.append(float(bool(_lines(_ranges(a)[:1]) & gold)))
        any_prev.append(float(bool(_lines(_ranges(b)[:1]) & gold)))
    return alone, with_prev, baseline, any_alone, any_prev


def evaluate_logdx(
    limit: int | None, verbose: bool
) -> tuple[list[float], list[float], list[float], list[float]]:
    category_ok: list[float] = []
    evidence1: list[float] = []
    evidence3: list[float] = []
    baseline: list[float] = []
    for n, row in enumerate(read_jsonl_gz("logdx/cases.jsonl.gz")):
        if limit is not None and n >= limit:
            break
        analysis = analyze_stream(_chunks(row["log"]))
        expected = row["meta"]["failure_category"]
        ok = analysis.category in LOGDX_CATEGORIES.get(expected, set())
        category_ok.append(float(ok))
        critical: set[int] = set()
        for signal in row["ground_truth"].get("required_signals", []):
            if signal.get("importance") == "critical":
                for start, end in signal.get("evidence_lines", []):
                    critical.update(range(start, end + 1))
        ranges = _ranges(analysis)
        evidence1.append(float(bool(_lines(ranges[:1]) & critical)))
        evidence3.append(float(bool(_lines(ranges[:3]) & critical)))
        baseline.append(float(bool(_lines(_last_100(len(row["log"].split("\n")))) & critical)))
        if verbose and not ok:
            print(
                f"  logdx {row['id']}: expected {expected}, got {analysis.category} ({analysis.summary[:100]})"
            )
    return category_ok, evidence1, evidence3, baseline


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["logchunks", "cidiff", "logdx"], action="append")
    parser.add_argument("--limit", type=int, default=None, help="first N logs of each data set")
    parser.add_argument("--show-misses", type=int, default=0, help="print the N worst LogChunks logs")
    parser.add_argument("--by-repo", action="store_true", help="print LogChunks scores per repository")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    only = set(args.only or ["logchunks", "cidiff", "logdx"])
    load_knowledge_base()  # compile once, outside the timings
    m = statistics.fmean

    if "logchunks" in only:
        engine, baseline, seconds, size = evaluate_logchunks(args.limit, args.show_misses, args.by_repo)
        print(f"\nLogChunks dev ({len(engine.f1)} logs, {size / 1e6:.1f} MB analysed in {seconds:.2f} s)")
        print(HEADER)
        print(engine.row())
        print(baseline.row())
        print("targets: F1@1 >= 0.60, R@top3 >= 0.85, lines <= 40")
    if "cidiff" in only:
        alone, with_prev, baseline, any_alone, any_prev = evaluate_cidiff(args.limit)
        print(f"\nCiDiff ({len(alone.f1)} failing logs; gold = E lines)")
        print(HEADER)
        for scores in (alone, with_prev, baseline):
            print(scores.row())
        print(f"excerpt[0] contains an E line: {m(any_alone):.3f} alone, {m(any_prev):.3f} with --previous")
    if "logdx" in only:
        cat, ev1, ev3, base = evaluate_logdx(args.limit, args.verbose)
        print(f"\nLogDx ({len(cat)} GitHub Actions logs)")
        print(f"category correct:                         {m(cat):.3f}")
        print(f"critical evidence line in excerpt[0]:     {m(ev1):.3f}")
        print(f"critical evidence line in first 3 blocks: {m(ev3):.3f}")
        print(f'critical evidence line in "last 100":    {m(base):.3f}')


if __name__ == "__main__":
    main()
