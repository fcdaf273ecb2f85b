"""Speed and memory of the analysis engine on generated, realistic Jenkins console logs.

Usage::

    python -m bench.speed                 # 100 MB log (and the 10 MB end-to-end check)
    python -m bench.speed --size-mb 1024  # 1 GB log
    python -m bench.speed --keep DIR      # keep the generated logs in DIR

What is measured, on one core, in the same run:

* MB/s of the whole ``analyze_path`` (read, scan, rank, redact) on the generated log;
* MB/s of a plain Python ``re`` alternation of the same knowledge-base patterns over the same bytes (the
  "hand-written regex" approach), and the ratio;
* peak RSS of a child process analysing the log minus that of a child analysing an empty log;
* wall time of ``analyze --format jsonl`` on a 10 MB log in a fresh interpreter (start-up included);
* MB/s on real CI output: the LogChunks logs concatenated (when ``../shared`` is there).

The generator is deterministic (fixed seed): the same size gives the same bytes.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench._shared import REPO_ROOT, read_jsonl_gz

if TYPE_CHECKING:
    from worker.analysis.kb import KnowledgeBase

_MODULES = ["core", "api", "service", "web", "client", "common", "storage", "auth"]
_PACKAGES = ["com.example.app", "org.acme.billing", "io.corp.platform", "net.shop.orders"]


def _noise_lines(rng: random.Random) -> list[str]:
    """A pool of the lines that make up most of a real console log."""
    lines: list[str] = []
    for i in range(4000):
        module = rng.choice(_MODULES)
        pkg = rng.choice(_PACKAGES)
        cls = f"{pkg}.{module.capitalize()}{rng.choice(['Service', 'Controller', 'Repository', 'Mapper'])}{i % 97}"
        kind = rng.randrange(14)
        if kind == 0:
            lines.append(
                f"Downloading from central: https://repo.maven.apache.org/maven2/org/{module}/lib-{module}/"
                f"{rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(9)}/lib-{module}.jar"
            )
        elif kind == 1:
            lines.append(
                f"Downloaded from central: https://repo.maven.apache.org/maven2/org/{module}/x.pom (3.{i % 9} kB at 41 kB/s)"
            )
        elif kind == 2:
            lines.append(f"[INFO] Running {cls}Test")
        elif kind == 3:
            lines.append(
                f"[INFO] Tests run: {rng.randrange(1, 40)}, Failures: 0, Errors: 0, Skipped: {rng.randrange(3)}, "
                f"Time elapsed: {rng.random() * 3:.3f} s - in {cls}Test"
            )
        elif kind == 4:
            lines.append(f"[INFO] --- maven-compiler-plugin:3.11.0:compile (default-compile) @ {module} ---")
        elif kind == 5:
            lines.append(
                f"[INFO] Compiling {rng.randrange(5, 300)} source files with javac [debug release 17] to target/classes"
            )
        elif kind == 6:
            lines.append(
                f"{rng.randrange(10, 23)}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d} "
                f"[main] INFO  {cls} - request id={rng.getrandbits(64):016x} handled in {rng.randrange(900)} ms"
            )
        elif kind == 7:
            lines.append(
                f"[WARNING] {cls.replace('.', '/')}.java:[{rng.randrange(400)},{rng.randrange(80)}] deprecated API"
            )
        elif kind == 8:
            lines.append(f"+ ./gradlew :{module}:assemble --parallel --build-cache -Pversion=1.{i}")
        elif kind == 9:
            lines.append(f"> Task :{module}:compileJava UP-TO-DATE")
        elif kind == 10:
            lines.append(
                f"npm http fetch GET 200 https://registry.npmjs.org/{module}-utils {rng.randrange(900)}ms (cache hit)"
            )
        elif kind == 11 and i % 25 == 0:
            # Pipeline steps are announced a few hundred times per build, not every few lines.
            lines.append(f"[Pipeline] {rng.choice(['echo', 'sh', 'dir', 'withEnv', '}', '// stage'])}")
        elif kind == 11:
            lines.append(
                f"[INFO] Copying {rng.randrange(1, 40)} resources from src/main/resources to target/classes"
            )
        elif kind == 12:
            lines.append(
                f"    at {cls}.handle({cls.rsplit('.', 1)[-1]}.java:{rng.randrange(900)}) ~[app.jar:?]"
            )
        else:
            lines.append(
                f"[INFO] Building {module} 1.{i % 50}.0-SNAPSHOT                                  [{i % 12}/12]"
            )
    return lines


_FAILURE = """[INFO] Running com.example.app.CheckoutServiceTest
[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.412 s <<< FAILURE! - in com.example.app.CheckoutServiceTest
[ERROR] totalIncludesTax(com.example.app.CheckoutServiceTest)  Time elapsed: 0.021 s  <<< FAILURE!
org.opentest4j.AssertionFailedError: expected: <107.00> but was: <100.00>
\tat com.example.app.CheckoutServiceTest.totalIncludesTax(CheckoutServiceTest.java:58)
[INFO]
[INFO] Results:
[INFO]
[ERROR] Failures:
[ERROR]   CheckoutServiceTest.totalIncludesTax:58 expected: <107.00> but was: <100.00>
[INFO]
[ERROR] Tests run: 431, Failures: 1, Errors: 0, Skipped: 3
[INFO] BUILD FAILURE
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.1.2:test (default-test) on project core: There are test failures.
[Pipeline] }
ERROR: script returned exit code 1
Finished: FAILURE
"""


def generate(path: Path, size_bytes: int, seed: int = 42) -> None:
    """Write a deterministic Jenkins-like console log of about ``size_bytes`` bytes ending in a failure."""
    rng = random.Random(seed)
    pool = [line.encode() + b"\n" for line in _noise_lines(rng)]
    written = 0
    header = b"Started by user admin\nRunning in Durability level: MAX_SURVIVABILITY\n[Pipeline] Start of Pipeline\n"
    with path.open("wb") as out:
        out.write(header)
        written += len(header)
        target = size_bytes - len(_FAILURE)
        while written < target:
            batch = b"".join(rng.choices(pool, k=20000))
            if written + len(batch) > target:
                batch = batch[: batch.rfind(b"\n", 0, target - written) + 1] or batch[:0]
                if not batch:
                    break
            out.write(batch)
            written += len(batch)
        out.write(_FAILURE.encode())


def _re_alternation_scan(path: Path, limit_bytes: int) -> tuple[float, int, int]:
    """A plain ``re`` alternation of the same patterns over the first ``limit_bytes`` of the same log.

    Returns (seconds, bytes scanned, matches). Python's backtracking engine tries every alternative at every
    position, so it is measured on a prefix (it would take many minutes on the whole log); MB/s is comparable.
    """
    from worker.analysis.kb import load_knowledge_base
    from worker.analysis.reader import iter_blocks, open_chunks, strip_ansi

    kb = load_knowledge_base()
    alternation = "|".join(
        f"(?i:{regex})" if caseless else f"(?:{regex})" for regex, caseless in kb.expressions
    )
    compiled = re.compile(alternation.encode(), re.M)
    started = time.perf_counter()
    count = 0
    scanned = 0
    for block in iter_blocks(open_chunks(path)):
        count += sum(1 for _ in compiled.finditer(strip_ansi(block)))
        scanned += len(block)
        if scanned >= limit_bytes:
            break
    return time.perf_counter() - started, scanned, count


def _child_rss_kb(code: str) -> int:
    """Peak RSS (KB) of a fresh interpreter running ``code``."""
    script = f"{code}\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout
    return int(out.strip().splitlines()[-1])


def _analysis_peak_growth_kb(path: Path) -> int | None:
    """Peak RSS growth of the analysis alone, in a child: Linux lets a process reset its peak (clear_refs 5).

    The start-up peak (imports, rule loading) can hide the analysis' own memory in ``ru_maxrss``; this
    measures from after start-up to the end of the analysis.
    """
    script = f"""
import re
from worker.analysis import analyze_path, load_knowledge_base
load_knowledge_base()
def status(key):
    text = open("/proc/self/status").read()
    return int(re.search(key + r":\\s+(\\d+)", text).group(1))
open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS")
analyze_path({str(path)!r})
print(status("VmHWM") - before)
"""
    try:
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO_ROOT, check=True, capture_output=True, text=True
        ).stdout
    except (subprocess.CalledProcessError, OSError):
        return None  # not Linux, or /proc/self/clear_refs not writable
    return int(out.strip().splitlines()[-1])


def _real_logs_rate(workdir: Path, kb: KnowledgeBase, repeat: int) -> None:
    """MB/s on real CI output: the LogChunks logs (colour codes, dense errors) concatenated into one file.

    The generated log is mostly build noise (about one matching line per 65 KB); real failing logs hold far
    more evidence, and the engine's per-hit work then dominates. Skipped when the shared data is absent."""
    from worker.analysis import analyze_path

    path = workdir / "logchunks-concatenated.log"
    count = 0
    try:
        with path.open("wb") as out:  # row by row: this process stays small
            for row in read_jsonl_gz("logchunks/dev.jsonl.gz"):
                out.write(row["log"].encode("utf-8") + b"\n")
                count += 1
    except (SystemExit, OSError):
        print("real CI logs: shared data not found (set LJ_SHARED_DIR), skipped")
        return
    size_mb = path.stat().st_size / (1 << 20)
    runs = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        analyze_path(path, knowledge_base=kb)
        runs.append(time.perf_counter() - started)
    seconds = statistics.median(runs)
    print(
        f"real CI logs ({count} LogChunks logs concatenated, {size_mb:.0f} MB): {seconds:.2f} s = "
        f"{size_mb / seconds:.0f} MB/s (median of {len(runs)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=100, help="size of the generated log (default 100)")
    parser.add_argument("--keep", type=Path, default=None, help="directory for the generated logs (kept)")
    parser.add_argument("--skip-re", action="store_true", help="skip the (slow) re alternation baseline")
    parser.add_argument("--re-mb", type=int, default=4, help="MB scanned by the re baseline (default 4)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs of each measure; the median is reported (default 3)"
    )
    args = parser.parse_args()

    from worker.analysis import analyze_path, load_knowledge_base

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="lj-speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    big = workdir / f"jenkins-{args.size_mb}mb.log"
    small = workdir / "jenkins-10mb.log"
    empty = workdir / "empty.log"
    started = time.perf_counter()
    if not big.exists():
        generate(big, args.size_mb << 20)
    if not small.exists():
        generate(small, 10 << 20, seed=7)
    empty.write_bytes(b"")
    size_mb = big.stat().st_size / (1 << 20)
    print(f"generated {size_mb:.0f} MB + 10 MB logs in {time.perf_counter() - started:.1f} s ({workdir})")

    kb = load_knowledge_base()
    engine = kb.scanner.name if kb.scanner is not None else "none"
    print(f"knowledge base: {len(kb.causes)} causes, {len(kb.expressions)} patterns, engine {engine}")
    # The machine may be shared: the median of a few runs, with the spread, says more than one run.
    runs: list[float] = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        analysis = analyze_path(big, knowledge_base=kb)
        runs.append(time.perf_counter() - started)
    engine_s = statistics.median(runs)
    print(
        f"analyze: {engine_s:.2f} s = {size_mb / engine_s:.0f} MB/s (median of {len(runs)}, "
        f"{size_mb / max(runs):.0f}-{size_mb / min(runs):.0f})  -> {analysis.category}: {analysis.summary[:80]}"
    )

    if not args.skip_re:
        re_s, scanned, _matches = _re_alternation_scan(big, args.re_mb << 20)
        re_rate = scanned / (1 << 20) / re_s
        print(
            f"re alternation scan only (first {scanned / (1 << 20):.0f} MB): {re_s:.2f} s = {re_rate:.2f} MB/s"
        )
        print(f"whole analysis vs re scan: {size_mb / engine_s / re_rate:.0f}x faster")

    code = "from worker.analysis import analyze_path; analyze_path({!r})"
    base_rss = _child_rss_kb(code.format(str(empty)))
    big_rss = _child_rss_kb(code.format(str(big)))
    print(
        f"peak RSS: empty run {base_rss / 1024:.1f} MB, {size_mb:.0f} MB log {big_rss / 1024:.1f} MB, "
        f"extra {(big_rss - base_rss) / 1024:.1f} MB"
    )
    growth = _analysis_peak_growth_kb(big)
    if growth is not None:
        print(
            f"peak RSS growth during the analysis itself (VmHWM reset after start-up): {growth / 1024:.1f} MB"
        )

    command = [
        sys.executable,
        "-c",
        "from worker.analysis.cli import analyze; analyze()",
        "--format",
        "jsonl",
    ]
    subprocess.run([*command, str(empty)], cwd=REPO_ROOT, check=False, capture_output=True)  # warm caches
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(max(1, args.repeat)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([*command, str(small)], cwd=REPO_ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    print(
        f"10 MB end to end (fresh interpreter, CLI, jsonl): {statistics.median(walls):.3f} s wall, "
        f"{statistics.median(cpus):.3f} s CPU (median of {len(walls)}; {len(done.stdout)} bytes of output)"
    )
    probe = (
        "import time; t=time.perf_counter(); import worker.analysis as a; t1=time.perf_counter(); "
        f"a.load_knowledge_base(); t2=time.perf_counter(); a.analyze_path({str(small)!r}); t3=time.perf_counter(); "
        "print(f'{t1-t:.3f} {t2-t1:.3f} {t3-t2:.3f}')"
    )
    parts = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    )
    imp, kb_s, run = (float(x) for x in parts.stdout.split())
    print(f"   of which: imports {imp:.3f} s, knowledge base load {kb_s:.3f} s, analysis {run:.3f} s")
    # Last: the memory figures above are those of child processes, which start as copies of this one.
    _real_logs_rate(workdir, kb, args.repeat)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"(this process: peak RSS {usage.ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
