"""Generated Jenkinsfiles compile with the real Groovy compiler and run against stub pipeline DSL bindings.

One JVM compiles and runs every file (Groovy start-up costs ~1-2 s). Every project type is combined with every
requirement subset of size 0, 1 and 2 plus the full set (all pairwise interactions), and monorepos of several
stacks with the same subsets. (The full powerset goes through the linter in test_generator.py.)
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from tests.unit.pipelines.test_generator import MONOREPOS
from worker.pipelines import PROJECT_TYPES, REQUIREMENTS, ProjectSpec, generate_jenkinsfile
from worker.pipelines.groovy import groovy_errors, run_harness

COMBOS = [c for size in (0, 1, 2) for c in itertools.combinations(REQUIREMENTS, size)] + [REQUIREMENTS]


def groovy() -> str:
    found = shutil.which("groovy")
    if found is None:
        pytest.fail("groovy is not installed: apt-get install -y groovy default-jre-headless")
    return found


def test_generated_jenkinsfiles_compile_and_run_with_groovy(tmp_path: Path) -> None:
    specs = [
        ProjectSpec(project_type=project_type, requirements=frozenset(combo))
        for project_type in PROJECT_TYPES
        for combo in COMBOS
    ] + [
        ProjectSpec(components=components, requirements=frozenset(combo))
        for components in MONOREPOS
        for combo in COMBOS
    ]
    files = []
    for index, spec in enumerate(specs):
        path = tmp_path / f"{index}.Jenkinsfile"
        path.write_text(generate_jenkinsfile(spec).jenkinsfile, encoding="utf-8")
        files.append(path)
    results = run_harness(groovy(), files)
    failures = {
        (spec.describe(), tuple(sorted(spec.requirements))): error
        for spec, error in zip(specs, results, strict=True)
        if error is not None
    }
    assert failures == {}
    assert len(results) == (len(PROJECT_TYPES) + len(MONOREPOS)) * 38


def test_harness_rejects_broken_groovy() -> None:
    # Guard against a harness that accepts anything: a missing brace must fail compilation.
    groovy()
    broken = "pipeline { agent any\n stages { stage('x') { steps { sh 'a' } }\n"
    good = generate_jenkinsfile(ProjectSpec(project_type="rust")).jenkinsfile
    results = groovy_errors([broken, good])
    assert results[1] is None
    assert results[0] is not None and "expecting '}'" in results[0]
