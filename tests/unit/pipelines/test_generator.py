"""Generated Jenkinsfiles: every project type x requirement combination is lint-clean, with its stages."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from worker.pipelines import (
    PROJECT_TYPES,
    REQUIREMENTS,
    ProjectSpec,
    generate_jenkinsfile,
    lint_jenkinsfile,
    parse_project_spec,
)


def all_specs() -> list[ProjectSpec]:
    return [
        ProjectSpec(project_type=project_type, requirements=frozenset(combo))
        for project_type in PROJECT_TYPES
        for size in range(len(REQUIREMENTS) + 1)
        for combo in itertools.combinations(REQUIREMENTS, size)
    ]


def test_every_type_and_requirement_combination_passes_the_linter() -> None:
    specs = all_specs()
    assert len(specs) == len(PROJECT_TYPES) * 2 ** len(REQUIREMENTS)
    failures = {}
    for spec in specs:
        result = lint_jenkinsfile(generate_jenkinsfile(spec).jenkinsfile)
        if not result.ok or result.issues:
            failures[(spec.project_type, tuple(sorted(spec.requirements)))] = [str(i) for i in result.issues]
    assert failures == {}


@pytest.mark.parametrize("project_type", PROJECT_TYPES)
def test_requested_requirements_become_stages(project_type: str) -> None:
    spec = ProjectSpec(project_type=project_type, requirements=frozenset(REQUIREMENTS))
    text = generate_jenkinsfile(spec).jenkinsfile
    for stage in (
        "stage('Build')",
        "stage('Tests')",
        "stage('Lint')",
        "stage('Security scan')",
        "stage('Docker push')",
        "stage('Deploy to staging')",
        "parallel {",
        "input {",
        "mail to:",
    ):
        assert stage in text, stage
    assert ("stage('Coverage')" in text) is (project_type != "docker")


def test_without_parallel_checks_run_sequentially() -> None:
    text = generate_jenkinsfile(
        ProjectSpec(project_type="maven", requirements=frozenset({"tests", "lint"}))
    ).jenkinsfile
    assert "parallel" not in text
    assert text.index("stage('Tests')") < text.index("stage('Lint')")


def test_secrets_only_in_single_quoted_sh() -> None:
    text = generate_jenkinsfile(
        ProjectSpec(project_type="node", requirements=frozenset({"docker"}))
    ).jenkinsfile
    login = next(line for line in text.splitlines() if "docker login" in line)
    assert login.strip().startswith("sh '") and login.strip().endswith("'")
    assert "$REGISTRY_PASSWORD" in login


def test_parses_the_issue_example_request() -> None:
    spec = parse_project_spec("generate a pipeline for a Gradle project with tests and docker push")
    assert spec is not None
    assert spec.project_type == "gradle"
    assert spec.requirements == {"tests", "docker"}


@pytest.mark.parametrize(
    ("text", "project_type", "requirements"),
    [
        (
            "Jenkinsfile for a python service with ruff, coverage and a security scan",
            "python",
            {"tests", "lint", "coverage", "security_scan"},
        ),
        (
            "node app, run lint and tests in parallel, slack notification on failure",
            "node",
            {"tests", "lint", "parallel", "notifications"},
        ),
        ("golang service with deploy to staging after approval", "go", {"tests", "deploy"}),
        ("build and push a Dockerfile project, no tests", "docker", {"docker"}),
        ("maven library without tests", "maven", set()),
    ],
)
def test_parses_project_type_and_requirements(text: str, project_type: str, requirements: set[str]) -> None:
    spec = parse_project_spec(text)
    assert spec is not None
    assert (spec.project_type, set(spec.requirements)) == (project_type, requirements)


def test_request_without_project_type_is_not_guessed() -> None:
    assert parse_project_spec("write me a pipeline with tests") is None


def test_rejects_unsafe_name_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        ProjectSpec(project_type="go", name="x'; rm -rf /")
    assert info.value.errors()[0]["loc"] == ("name",)
