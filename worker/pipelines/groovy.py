"""Compile and run Jenkinsfiles with the real Groovy compiler against stub pipeline DSL bindings.

The project's linter checks the declarative shape; this catches what only Groovy knows (a stray brace inside a
closure, an unterminated GString, a method call the parser cannot read). ``pipeline_dsl.groovy`` records every
DSL call and runs every closure once, so the whole file is compiled and each block executed. One JVM checks
all files of a call: Groovy's start-up (~1-2 s) dominates a single file.

Groovy is a system package (Debian ``groovy`` + ``default-jre-headless``); without it :class:`GroovyUnavailable`
is raised and callers must treat the text as unchecked.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

HARNESS = Path(__file__).with_name("pipeline_dsl.groovy")
TIMEOUT_SECONDS = 240


class GroovyUnavailable(RuntimeError):
    """The ``groovy`` command is not installed (or did not answer): nothing was checked."""


def groovy_errors(sources: Sequence[str]) -> list[str | None]:
    """For each Jenkinsfile text: ``None`` when it compiles and runs, else Groovy's error message."""
    if not sources:
        return []
    groovy = shutil.which("groovy")
    if groovy is None:
        raise GroovyUnavailable("groovy is not installed (apt-get install -y groovy default-jre-headless)")
    with tempfile.TemporaryDirectory(prefix="jenkinsfiles-") as tmp:
        paths = []
        for index, source in enumerate(sources):
            path = Path(tmp) / f"{index}.Jenkinsfile"
            path.write_text(source, encoding="utf-8")
            paths.append(path)
        return run_harness(groovy, paths)


def run_harness(groovy: str, paths: Sequence[Path]) -> list[str | None]:
    """Run the harness over files; one result per file, in order."""
    try:
        done = subprocess.run(
            [groovy, str(HARNESS), *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GroovyUnavailable(f"groovy did not answer: {exc}") from exc
    results: dict[str, str | None] = {}
    for line in done.stdout.splitlines():
        status, _, rest = line.partition(" ")
        if status == "OK":
            results[rest.rsplit(" ", 1)[0]] = None
        elif status == "FAIL":
            path, _, error = rest.partition("\t")
            results[path] = error or "failed"
    missing = [str(p) for p in paths if str(p) not in results]
    if missing:
        raise GroovyUnavailable(f"groovy gave no result for {len(missing)} file(s): {done.stderr[-500:]}")
    return [results[str(p)] for p in paths]
