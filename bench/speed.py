"""Speed, memory and start-up of the analysis engine, on real failed CI logs first.

Usage::

    python -m bench.speed                      # everything (real, dense, generated, 1 GB RSS, start-up)
    python -m bench.speed --rss-gb 0           # without the 1 GB memory run
    python -m bench.speed --pure               # the pure-Python hot loop instead of the compiled one
    python -m bench.speed --keep /tmp/lj-speed # keep (and reuse) the logs it writes
    python -m bench.speed --startup-only       # only the start-up of `jenkins-ai analyze` (wall and CPU)
    python -m bench.speed --startup-tree /before --startup-tree .  # two checkouts' start-up, interleaved
    PYTHONPATH=/other/checkout python bench/speed.py --cpu-of FILE  # CPU seconds of one analysis of FILE by
                                               # that checkout's engine (one process per run: interleave two
                                               # checkouts' runs and take the min of each; a small log is
                                               # analysed first, untimed, as in a worker)

What it prints, each measured in the same run over the same file (median of ``--repeat`` runs, interleaved,
so a busy machine slows every contender alike):

* **real CI logs** -- the shared data's failing logs concatenated to >= 256 MB (``bench/speed_logs.py``), and
  the same logs once each: the engine's MB/s (``analyze_path`` in this process, knowledge base loaded), the
  ratio to ``grep -E`` over the same file (``GREP`` below: a reader's grep for failures, counting matching
  lines) and to a bare Python loop over the file's lines;
* **error-dense** -- the same logs with each labelled failure printed 300 times;
* **generated** -- a synthetic, match-sparse Jenkins log (earlier issues' benchmark; never the headline);
* **memory** -- peak RSS growth of a child process streaming >= 1 GB of the real logs, measured from after
  start-up (Linux ``clear_refs``), and its peak RSS minus that of a child analysing an empty log;
* **start-up** -- wall and CPU time of ``jenkins-ai analyze`` on an empty file in fresh processes (hyperfine
  when installed), byte-compiled modules and the rule caches warm as after any first run
  (``--startup-only``; ``--startup-tree A --startup-tree B`` interleaves two checkouts' runs).

Needs the shared data (``$LJ_SHARED_DIR`` or ``../shared``) for the real logs. Not a test: a machine's load
changes the figures; the ratios, measured together, change much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench._shared import REPO_ROOT
from bench.speed_logs import write_dense, write_generated, write_real

#: The grep every engine figure is compared with: what a person would run to find the failures.
GREP = ["grep", "-E", "-c", "-i", "error|fail|exception|fatal"]
MB = 1 << 20


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``run`` in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _timed_child(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    # Its output read through a pipe: GNU grep stops at the first match when stdout is /dev/null.
    subprocess.run(command, check=True, stdout=subprocess.PIPE)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _line_loop(path: Path) -> int:
    lines = 0
    with path.open("rb") as log:
        for _ in log:
            lines += 1
    return lines


def measure(label: str, path: Path, repeat: int) -> None:
    """The engine, grep and a Python line loop over ``path``, interleaved; medians."""
    from worker.analysis import analyze_path, load_knowledge_base

    kb = load_knowledge_base()
    size = path.stat().st_size / MB
    runs: dict[str, list[tuple[float, float]]] = {"engine": [], "grep": [], "loop": []}
    contenders: dict[str, Callable[[], tuple[float, float]]] = {
        "engine": lambda: _timed(lambda: analyze_path(path, knowledge_base=kb)),
        "grep": lambda: _timed_child([*GREP, str(path)]),
        "loop": lambda: _timed(lambda: _line_loop(path)),
    }
    names = list(contenders)
    for n in range(repeat):
        for name in names[n % 3 :] + names[: n % 3]:  # rotate the order: no contender always goes first
            runs[name].append(contenders[name]())
    wall = {name: statistics.median(w for w, _ in result) for name, result in runs.items()}
    cpu = {name: statistics.median(c for _, c in result) for name, result in runs.items()}
    rate = {name: size / seconds for name, seconds in wall.items()}
    print(
        f"{label} ({size:.0f} MB): engine {wall['engine']:.2f} s = {rate['engine']:.0f} MB/s "
        f"(CPU {cpu['engine']:.2f} s = {size / cpu['engine']:.0f} MB/s)\n"
        f"    grep -E {wall['grep']:.2f} s = {rate['grep']:.0f} MB/s -> engine {rate['engine'] / rate['grep']:.2f}x grep"
        f" (CPU: {cpu['grep'] and cpu['grep'] / cpu['engine']:.2f}x)\n"
        f"    python line loop {wall['loop']:.2f} s = {rate['loop']:.0f} MB/s -> engine "
        f"{rate['engine'] / rate['loop']:.2f}x the loop"
    )


def _child(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    )
    return done.stdout.split()


_GROWTH = """
import re
from worker.analysis import analyze_path, load_knowledge_base
load_knowledge_base()
def status(key):
    return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))
open("/proc/self/clear_refs", "w").write("5")  # reset the peak: what follows is the analysis alone
before = status("VmRSS")
analyze_path({path!r})
print(status("VmHWM") - before, status("VmHWM"))
"""


def memory(path: Path, empty: Path) -> None:
    """Peak RSS growth while streaming ``path`` (a child process, measured from after start-up: Linux resets
    the peak on request), and the same for an empty log. ``ru_maxrss`` is not used: a child started by this
    process, which holds the logs it wrote, inherits its peak."""
    growth, peak = (int(x) for x in _child(_GROWTH.format(path=str(path)))[-2:])
    empty_growth, empty_peak = (int(x) for x in _child(_GROWTH.format(path=str(empty)))[-2:])
    size = path.stat().st_size / MB
    print(
        f"memory, streaming {size:.0f} MB of real logs: peak RSS grows by {growth / 1024:.1f} MB during the "
        f"analysis ({empty_growth / 1024:.1f} MB for an empty log); peak RSS {peak / 1024:.1f} MB vs "
        f"{empty_peak / 1024:.1f} MB (extra {(peak - empty_peak) / 1024:.1f} MB)"
    )


def startup(empty: Path, runs: int, trees: list[Path] | None = None) -> None:
    """Wall and CPU time of ``jenkins-ai analyze`` on an empty file, fresh processes, bytecode cached.

    ``trees``: checkouts to compare (each run with its own ``PYTHONPATH``, their runs interleaved so a busy
    machine slows each alike); by default this one, with hyperfine when installed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "worker.cli", "analyze", str(empty)]
    script = shutil.which("jenkins-ai")
    if trees is None and shutil.which("hyperfine") and script:
        subprocess.run(command, cwd=REPO_ROOT, env=env, check=True, capture_output=True)  # writes the .pyc
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            subprocess.run(
                ["hyperfine", "-N", "-w", "3", "-r", str(runs), "--export-json", report.name,
                 f"{script} analyze {empty}"],
                env=env, check=True, capture_output=True,
            )  # fmt: skip
            result = json.loads(Path(report.name).read_text())["results"][0]
        print(
            f"start-up, `jenkins-ai analyze` on an empty file (hyperfine, {runs} runs): mean "
            f"{result['mean']:.3f} s ± {result['stddev']:.3f}, median {result['median']:.3f} s, "
            f"min {result['min']:.3f} s; CPU mean {result['user'] + result['system']:.3f} s"
        )
        return
    checkouts = trees or [REPO_ROOT]
    envs = {tree: {**env, "PYTHONPATH": str(tree)} for tree in checkouts}
    for tree in checkouts:  # writes the .pyc files (and the caches under ~/.cache)
        subprocess.run(command, cwd=tree, env=envs[tree], check=True, capture_output=True)
    walls: dict[Path, list[float]] = {tree: [] for tree in checkouts}
    cpus: dict[Path, list[float]] = {tree: [] for tree in checkouts}
    load = os.getloadavg()[0]
    for _ in range(runs):
        for tree in checkouts:
            started = time.perf_counter()
            child = subprocess.Popen(
                command, cwd=tree, env=envs[tree], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(child.pid, 0)
            walls[tree].append(time.perf_counter() - started)
            cpus[tree].append(usage.ru_utime + usage.ru_stime)
            if status != 0:
                raise RuntimeError(f"{command} in {tree} failed (wait status {status})")
    load = (load + os.getloadavg()[0]) / 2
    for tree in checkouts:
        print(
            f"start-up, `python -m worker.cli analyze` on an empty file ({runs} runs"
            f"{', ' + str(tree) if trees else ''}): wall median {statistics.median(walls[tree]):.3f} s, "
            f"min {min(walls[tree]):.3f} s; CPU median {statistics.median(cpus[tree]):.3f} s, "
            f"min {min(cpus[tree]):.3f} s (load average ~{load:.1f})"
        )


def cpu_of(path: Path, pure: bool) -> None:
    """CPU seconds of one analysis of ``path`` (knowledge base loaded first), and the engine that ran it: run as
    a file, ``PYTHONPATH`` decides which checkout's engine that is (an A/B of two engines on the same file)."""
    import worker.analysis
    from worker.analysis import analyze_path, fastpath, load_knowledge_base

    if pure:
        fastpath.compiled = None
    kb = load_knowledge_base()
    # A small log first, untimed: what the first analysis of a process builds once (the redaction's detectors,
    # ~0.1 s) is start-up, not throughput; measure()'s median leaves it out the same way.
    analyze_path(REPO_ROOT / "samples" / "logs" / "maven-test-failure.log", knowledge_base=kb)
    _, cpu = _timed(lambda: analyze_path(path, knowledge_base=kb))
    print(f"{cpu:.3f} {Path(worker.analysis.__file__).parent.parent.parent}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--real-mb", type=int, default=256, help="real logs concatenated to this size")
    parser.add_argument("--dense-mb", type=int, default=256, help="size of the error-dense variant")
    parser.add_argument("--generated-mb", type=int, default=100, help="size of the generated log (0: skip)")
    parser.add_argument("--rss-gb", type=float, default=1.0, help="real logs streamed for memory (0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each contender (median)")
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--startup-only", action="store_true", help="only the start-up figures")
    parser.add_argument(
        "--startup-tree",
        type=Path,
        action="append",
        default=None,
        help="a checkout whose start-up to measure, interleaved with the others given (repeatable; "
        "implies --startup-only)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="directory for the logs (kept and reused)")
    parser.add_argument("--pure", action="store_true", help="the pure-Python hot loop, not the compiled one")
    parser.add_argument(
        "--cpu-of", type=Path, default=None, help="only print the CPU seconds of analysing this"
    )
    args = parser.parse_args()
    if args.cpu_of is not None:
        cpu_of(args.cpu_of, args.pure)
        return
    if args.startup_only or args.startup_tree:
        with tempfile.TemporaryDirectory(prefix="lj-startup-") as folder:
            empty = Path(folder) / "empty.log"
            empty.write_bytes(b"")
            trees = [tree.resolve() for tree in args.startup_tree] if args.startup_tree else None
            startup(empty, args.startup_runs, trees)
        return

    from worker.analysis import fastpath, load_knowledge_base

    if args.pure:
        fastpath.compiled = None
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="lj-speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    real = workdir / f"real-{args.real_mb}mb.log"
    once = workdir / "real-once.log"
    dense = workdir / f"dense-{args.dense_mb}mb.log"
    generated = workdir / f"generated-{args.generated_mb}mb.log"
    big = workdir / f"real-{args.rss_gb:g}gb.log"
    empty = workdir / "empty.log"
    empty.write_bytes(b"")
    if not real.exists():
        write_real(real, args.real_mb * MB)
    if not once.exists():
        write_real(once, 1)  # one round: every log once
    if not dense.exists():
        write_dense(dense, args.dense_mb * MB)
    if args.generated_mb and not generated.exists():
        write_generated(generated, args.generated_mb * MB)
    if args.rss_gb and not big.exists():
        write_real(big, int(args.rss_gb * 1024 * MB))
    print(f"logs ready in {time.perf_counter() - started:.1f} s ({workdir})")

    kb = load_knowledge_base()
    scanner = kb.scanner.name if kb.scanner is not None else "none"
    hot_loop = "compiled (worker/analysis/_fast.c)" if fastpath.compiled is not None else "pure Python"
    print(f"knowledge base: {len(kb.expressions)} patterns, {scanner}; hot loop: {hot_loop}")
    print(f"grep: {' '.join(GREP[:-1])} '{GREP[-1]}' FILE\n")
    measure("real CI logs concatenated", real, args.repeat)
    measure("real CI logs, each once", once, args.repeat)
    measure("error-dense real logs (each failure x300)", dense, args.repeat)
    if args.generated_mb:
        measure("generated Jenkins log (sparse; not the headline)", generated, args.repeat)
    print()
    if args.rss_gb:
        memory(big, empty)
    startup(empty, args.startup_runs)


if __name__ == "__main__":
    main()
