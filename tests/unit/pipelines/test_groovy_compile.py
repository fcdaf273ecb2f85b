"""Generated Jenkinsfiles compile with the real Groovy compiler and run against stub pipeline DSL bindings.

One JVM compiles and runs every file (Groovy start-up costs ~1-2 s). Every project type is combined with every
requirement subset of size 0, 1 and 2 plus the full set: all pairwise interactions, 228 files, ~10 s.
(The full
powerset, 1536 files, goes through the linter in test_generator.py.)
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from worker.pipelines import PROJECT_TYPES, REQUIREMENTS, ProjectSpec, generate_jenkinsfile

HARNESS = Path(__file__).with_name("pipeline_dsl.groovy")


def run_groovy(files: list[Path]) -> subprocess.CompletedProcess[str]:
    groovy = shutil.which("groovy")
    if groovy is None:
        pytest.fail("groovy is not installed: apt-get install -y groovy default-jre-headless")
    return subprocess.run(
        [groovy, str(HARNESS), *map(str, files)], capture_output=True, text=True, timeout=240, check=False
    )


def test_generated_jenkinsfiles_compile_and_run_with_groovy(tmp_path: Path) -> None:
    combos = [c for size in (0, 1, 2) for c in itertools.combinations(REQUIREMENTS, size)]
    combos.append(REQUIREMENTS)
    files = []
    for project_type in PROJECT_TYPES:
        for combo in combos:
            spec = ProjectSpec(project_type=project_type, requirements=frozenset(combo))
            path = tmp_path / f"{project_type}-{'-'.join(combo) or 'none'}.Jenkinsfile"
            path.write_text(generate_jenkinsfile(spec).jenkinsfile, encoding="utf-8")
            files.append(path)
    result = run_groovy(files)
    lines = result.stdout.splitlines()
    failures = [line for line in lines if not line.startswith("OK ")]
    assert failures == [], result.stderr
    assert len(lines) == len(files) == 6 * 38
    assert result.returncode == 0


def test_harness_rejects_broken_groovy(tmp_path: Path) -> None:
    # Guard against a harness that accepts anything: a missing brace must fail compilation.
    broken = tmp_path / "broken.Jenkinsfile"
    broken.write_text("pipeline { agent any\n stages { stage('x') { steps { sh 'a' } }\n", encoding="utf-8")
    result = run_groovy([broken])
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL ") and "expecting '}'" in result.stdout
