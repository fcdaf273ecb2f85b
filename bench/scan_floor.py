"""How close to ``grep -E`` the engine's design can get: the cost of its first stage alone.

Every analysis scans all bytes of a log once with the knowledge base's trigger patterns (Hyperscan, one
database); everything else works on the lines that scan selects. So the trigger scan alone, with no match
handler at all, is a floor under the engine's CPU time, and its ratio to ``grep -E`` (``bench.speed.GREP``, the
same grep the speed benchmark compares with) bounds the engine's ratio from above. The script prints, over one
file, CPU seconds (min of ``--repeat``) of:

* ``grep -E`` as in ``bench.speed``;
* the trigger scan alone (no handler), and with the match ends collected as the engine does;
* a cheaper superset of it: each trigger replaced by its longest required literal (one per top-level
  alternative, kept as a pattern where that literal is shorter than ``--min-literal`` bytes), with how many more
  distinct lines it would select, each of which the engine then scans with every pattern (an estimate of the
  cost only, not a rewrite the engine could use as is: where a pattern's match crosses a newline, its literal
  may stand on a line above the one the match ends on);
* one whole analysis (``bench.speed --cpu-of``: a fresh process, knowledge base loaded).

    python -m bench.scan_floor --file /tmp/lj-speed/real-256mb.log   # a file bench.speed --keep wrote
    python -m bench.scan_floor                                        # writes 64 MB of the real logs first

Needs the shared data only when no ``--file`` is given.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import hyperscan

from bench._shared import REPO_ROOT
from bench.speed import GREP
from bench.speed_logs import write_real
from worker.analysis import load_knowledge_base
from worker.analysis import trigger_scan as ts
from worker.analysis.kb import trigger_expression

BLOCK = 1 << 20  # the engine's reader hands the scan blocks of about this size


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _min_cpu(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = _cpu()
        run()
        best = min(best, _cpu() - start)
    return best


def _analysis_cpu(path: Path, repeat: int) -> float:
    """One analysis in a fresh process each time (``bench.speed --cpu-of``): in this one, later analyses would
    reuse what the first learnt about each distinct line, and look cheaper than a user's run."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, str(REPO_ROOT / "bench" / "speed.py"), "--cpu-of", str(path)],
            check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )  # fmt: skip
        runs.append(float(out.stdout.split()[0]))
    return min(runs)


def _grep_cpu(path: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([*GREP, str(path)], check=True, stdout=subprocess.PIPE)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def _database(expressions: Sequence[tuple[str, bool]]) -> hyperscan.Database:
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[regex.encode() for regex, _ in expressions],
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=[
            hyperscan.HS_FLAG_MULTILINE | (hyperscan.HS_FLAG_CASELESS if c else 0) for _, c in expressions
        ],
    )
    return db


def _longest_literal(alternative: str) -> str:
    """The longest run of literal characters every match of ``alternative`` contains (top level, unquantified)."""
    best = run = ""
    for atom, quantifier in ts.atoms(alternative):
        char = ts._literal(atom)
        if char is not None and not quantifier:
            run += char
            continue
        best = max(best, run, key=len)
        run = char if char is not None and quantifier.startswith("+") else ""
    return max(best, run, key=len)


def literal_superset(expressions: Sequence[tuple[str, bool]], min_literal: int) -> list[tuple[str, bool]]:
    """Each expression as its alternatives' longest literals, where each is at least ``min_literal`` bytes."""
    out = []
    for regex, caseless in expressions:
        if not re.search(r"\(\?[a-zA-Z]|\\Q", regex):
            literals = [_longest_literal(alternative) for alternative in ts.alternatives(regex)]
            if all(len(literal.encode()) >= min_literal for literal in literals):
                regex = "|".join(re.escape(literal) for literal in dict.fromkeys(literals))
        out.append((regex, caseless))
    return out


def _selected_lines(db: hyperscan.Database, blocks: list[bytes]) -> int:
    scratch = hyperscan.Scratch(db)
    lines: set[bytes] = set()
    for block in blocks:

        def on_match(_id: int, _from: int, end: int, _flags: int, _ctx: object, block: bytes = block) -> None:
            start = block.rfind(b"\n", 0, end) + 1
            stop = block.find(b"\n", end)
            lines.add(block[start : stop if stop >= 0 else len(block)])

        db.scan(block, match_event_handler=on_match, scratch=scratch)
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, help="the log to measure (default: 64 MB of the real logs)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure (the min is printed)")
    parser.add_argument("--min-literal", type=int, default=4, help="shortest literal the superset keeps")
    args = parser.parse_args()
    path = args.file
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="lj-floor-")) / "real-64mb.log"
        write_real(path, 64 << 20)
    data = path.read_bytes()
    blocks = [data[i : i + BLOCK] for i in range(0, len(data), BLOCK)]
    mb = len(data) / (1 << 20)

    kb = load_knowledge_base()
    triggers = [trigger_expression(kb, index) for index in kb.scanned]
    scanner = kb.trigger_scanner
    assert scanner is not None
    exact = _database(triggers)
    superset = _database(literal_superset(triggers, args.min_literal))

    def scan_alone(db: hyperscan.Database) -> Callable[[], None]:
        scratch = hyperscan.Scratch(db)
        return lambda: [db.scan(block, match_event_handler=None, scratch=scratch) for block in blocks]

    started = time.perf_counter()
    grep = _grep_cpu(path, args.repeat)
    rows = [
        ("grep -E (bench.speed's)", grep),
        (f"trigger scan alone, {len(triggers)} patterns, no handler", _min_cpu(scan_alone(exact), args.repeat)),
        ("trigger scan, ends collected (as the engine)", _min_cpu(lambda: [scanner.scan_ends(b) for b in blocks], args.repeat)),
        (f"literal superset scan alone (>= {args.min_literal} bytes)", _min_cpu(scan_alone(superset), args.repeat)),
        ("whole analysis (bench.speed --cpu-of, fresh process)", _analysis_cpu(path, args.repeat)),
    ]  # fmt: skip
    print(f"{path} ({mb:.0f} MB), CPU seconds, min of {args.repeat}:")
    for label, cpu in rows:
        print(f"  {label:<52} {cpu:6.3f} s  {mb / cpu:6.0f} MB/s  {grep / cpu:5.2f}x grep")
    exact_lines, superset_lines = _selected_lines(exact, blocks), _selected_lines(superset, blocks)
    print(
        f"distinct lines selected: triggers {exact_lines:,}, literal superset {superset_lines:,}"
        f" ({superset_lines / max(exact_lines, 1):.1f}x: each one more scan with every pattern)"
    )
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
