"""Is the engine's output unchanged? Every labelled log analysed, written as JSON lines, compared with a reference.

A speed change must not change what the engine says. This writes the analysis of every log the project measures
on (``bench.cases``: LogChunks, CiDiff -- alone and with its last passing log as ``previous`` --, LogDx, the
Jenkins dev and real sets; also CiDiff's passing logs, and any ``--file``) as one JSON object per line, without
the timing, so two engines can be compared byte for byte::

    # the reference, from the engine before the change (another checkout, its _fast built in place):
    PYTHONPATH=/path/to/before python bench/equivalence.py --write before.jsonl
    python -m bench.equivalence --compare before.jsonl            # the engine of this checkout
    python -m bench.equivalence --compare before.jsonl --pure     # its pure-Python hot loop
    python -m bench.equivalence --compare before.jsonl --block-size 4096  # many block boundaries

(Run as a file, ``PYTHONPATH`` decides which engine is imported; ``-m`` imports this checkout's. The engine used
is printed.) ``--block-size`` cuts the log into blocks of that size instead of a few megabytes: the output must
not depend on where blocks end, so a reference written with the default size compares equal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def _chunks(data: bytes, size: int = 1 << 20) -> Iterable[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _inputs(files: list[Path]) -> Iterator[tuple[str, bytes, bytes | None]]:
    """(name, log, previous log or None) for every log analysed."""
    from bench.cases import DATASETS, load

    for case in load(list(DATASETS)):
        log = case.log.encode("utf-8")
        yield f"{case.dataset}/{case.id}", log, None
        if case.previous is not None:
            previous = case.previous.encode("utf-8")
            yield f"{case.dataset}/{case.id}+previous", log, previous
            yield f"{case.dataset}/{case.id}:passing", previous, None
    for path in files:
        yield str(path), path.read_bytes(), None


def _analysis(log: bytes, previous: bytes | None) -> dict[str, Any]:
    from worker.analysis import analyze_stream

    analysis = analyze_stream(_chunks(log), previous=_chunks(previous) if previous is not None else None)
    document = analysis.model_dump(mode="json")
    document["stats"].pop("seconds", None)  # the only field that may differ between two identical runs
    return document


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="write every analysis to this JSON-lines file")
    action.add_argument("--compare", type=Path, help="compare every analysis with this JSON-lines file")
    parser.add_argument("--file", type=Path, action="append", default=[], help="another log to analyse")
    parser.add_argument("--pure", action="store_true", help="the pure-Python hot loop, not the compiled one")
    parser.add_argument("--block-size", type=int, default=None, help="engine block size in bytes")
    args = parser.parse_args()

    import worker.analysis
    from worker.analysis import engine, fastpath

    if args.pure:
        fastpath.compiled = None
    if args.block_size:
        engine.BLOCK_SIZE = args.block_size
    hot_loop = "compiled" if fastpath.compiled is not None else "pure Python"
    print(f"engine: {Path(worker.analysis.__file__).parent} ({hot_loop})", file=sys.stderr)

    reference: dict[str, str] = {}
    if args.compare:
        with args.compare.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                reference[row["name"]] = json.dumps(row["analysis"], ensure_ascii=False, sort_keys=True)
    out = args.write.open("w", encoding="utf-8") if args.write else None
    compared = differ = 0
    for name, log, previous in _inputs(args.file):
        document = _analysis(log, previous)
        if out is not None:
            out.write(json.dumps({"name": name, "analysis": document}, ensure_ascii=False) + "\n")
            compared += 1
            continue
        expected = reference.get(name)
        if expected is None:
            print(f"not in the reference: {name}", file=sys.stderr)
            differ += 1
            continue
        compared += 1
        if json.dumps(document, ensure_ascii=False, sort_keys=True) != expected:
            differ += 1
            print(f"DIFFERS: {name}", file=sys.stderr)
    if out is not None:
        out.close()
        print(f"wrote {compared} analyses to {args.write}")
        return
    print(f"{compared} analyses compared, {differ} differ")
    if differ:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
