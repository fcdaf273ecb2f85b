"""The logs ``bench.speed`` measures: real failed CI logs concatenated, an error-dense variant, a generated log.

* **real** -- every failing log of the shared data sets (LogChunks dev, CiDiff's failing logs, LogDx), written
  one after the other, and again from the start until the file reaches the size asked for (each log then
  appears about twice in 256 MB: the engine remembers lines across the whole file, so the second round is
  cheaper than the first; ``bench.speed`` also reports the first round alone).
* **dense** -- the same logs, each with its labelled failure (LogChunks' chunk) printed 300 times where it
  was: a test suite failing the same way in every test.
* **generated** -- a synthetic Jenkins console log (Maven/Gradle/npm noise, one failure at the end), sparse
  in matches: kept for comparison with earlier figures, never the headline.

Files are written once into a work directory and reused (``--keep DIR``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from bench._shared import read_jsonl_gz

#: How many times the dense variant prints each log's failure.
DENSE_REPEAT = 300


def _real_logs() -> Iterator[tuple[bytes, tuple[int, int] | None]]:
    """Every failing log of the shared data, with its labelled failure lines (1-based, inclusive) if any."""
    for row in read_jsonl_gz("logchunks/dev.jsonl.gz"):
        yield row["log"].encode("utf-8"), (row["chunk_line_start"], row["chunk_line_end"])
    for row in read_jsonl_gz("cidiff/breakages.jsonl.gz"):
        yield row["fail_log"].encode("utf-8"), None
    for row in read_jsonl_gz("logdx/cases.jsonl.gz"):
        yield row["log"].encode("utf-8"), None


def _with_newline(log: bytes) -> bytes:
    return log if log.endswith(b"\n") else log + b"\n"


def write_real(path: Path, size_bytes: int) -> int:
    """Concatenate the real logs into ``path`` until it holds ``size_bytes``; returns the size of one round."""
    logs = [_with_newline(log) for log, _ in _real_logs()]
    one_round = sum(len(log) for log in logs)
    written = 0
    with path.open("wb") as out:
        while written < size_bytes:
            for log in logs:
                out.write(log)
                written += len(log)
    return one_round


def dense(log: bytes, chunk: tuple[int, int]) -> bytes:
    """``log`` with its failure lines ``chunk`` printed :data:`DENSE_REPEAT` times where they were."""
    lines = log.split(b"\n")
    first, last = chunk
    failure = b"\n".join(lines[first - 1 : last])
    return b"\n".join([*lines[: first - 1], *[failure] * DENSE_REPEAT, *lines[last:]])


def write_dense(path: Path, size_bytes: int) -> None:
    """The error-dense variant: the LogChunks logs (they label their failure), each failure x300."""
    logs = [_with_newline(dense(log, chunk)) for log, chunk in _real_logs() if chunk is not None]
    written = 0
    with path.open("wb") as out:
        while written < size_bytes:
            for log in logs:
                out.write(log)
                written += len(log)


# ------------------------------------------------------------------------------------------------------------
# The generated log (the benchmark of earlier issues; sparse in matches).

_MODULES = ["core", "api", "service", "web", "client", "common", "storage", "auth"]
_PACKAGES = ["com.example.app", "org.acme.billing", "io.corp.platform", "net.shop.orders"]


def _noise_lines(rng: random.Random) -> list[str]:
    lines: list[str] = []
    for i in range(4000):
        module = rng.choice(_MODULES)
        cls = f"{rng.choice(_PACKAGES)}.{module.capitalize()}Service{i % 97}"
        kind = rng.randrange(8)
        if kind == 0:
            lines.append(f"Downloading from central: https://repo.maven.apache.org/maven2/org/{module}/x.jar")
        elif kind == 1:
            lines.append(f"[INFO] Running {cls}Test")
        elif kind == 2:
            lines.append(
                f"[INFO] Tests run: {rng.randrange(1, 40)}, Failures: 0, Errors: 0, Skipped: 0, "
                f"Time elapsed: {rng.random() * 3:.3f} s - in {cls}Test"
            )
        elif kind == 3:
            lines.append(f"[INFO] --- maven-compiler-plugin:3.11.0:compile (default-compile) @ {module} ---")
        elif kind == 4:
            lines.append(
                f"{rng.randrange(10, 23)}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d} "
                f"[main] INFO  {cls} - request id={rng.getrandbits(64):016x} handled in {rng.randrange(900)} ms"
            )
        elif kind == 5:
            lines.append(f"[WARNING] {cls.replace('.', '/')}.java:[{rng.randrange(400)},1] deprecated API")
        elif kind == 6:
            lines.append(f"> Task :{module}:compileJava UP-TO-DATE")
        elif i % 25 == 0:
            lines.append(f"[Pipeline] {rng.choice(['echo', 'sh', 'dir', '}', '// stage'])}")
        else:
            lines.append(
                f"    at {cls}.handle({cls.rsplit('.', 1)[-1]}.java:{rng.randrange(900)}) ~[app.jar:?]"
            )
    return lines


_FAILURE = """[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.412 s <<< FAILURE! - in com.example.app.CheckoutServiceTest
org.opentest4j.AssertionFailedError: expected: <107.00> but was: <100.00>
\tat com.example.app.CheckoutServiceTest.totalIncludesTax(CheckoutServiceTest.java:58)
[INFO] BUILD FAILURE
ERROR: script returned exit code 1
Finished: FAILURE
"""


def write_generated(path: Path, size_bytes: int, seed: int = 42) -> None:
    """A deterministic Jenkins-like console log of about ``size_bytes`` ending in a failure."""
    rng = random.Random(seed)
    pool = [line.encode() + b"\n" for line in _noise_lines(rng)]
    written = 0
    with path.open("wb") as out:
        while written < size_bytes - len(_FAILURE):
            batch = b"".join(rng.choices(pool, k=20000))
            out.write(batch)
            written += len(batch)
        out.write(_FAILURE.encode())
