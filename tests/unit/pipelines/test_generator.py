"""Generated Jenkinsfiles: every stack (and monorepos of several) x requirement combination is lint-clean."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from worker.pipelines import (
    PROJECT_TYPES,
    REQUIREMENTS,
    Component,
    ProjectSpec,
    components_from_files,
    detect_project_types,
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


MONOREPOS: list[tuple[Component, ...]] = [
    (Component(path="services/api", project_type="go"), Component(path="web", project_type="node")),
    (
        Component(path="backend", project_type="kotlin"),
        Component(path="crates/engine", project_type="rust"),
        Component(path="site", project_type="php"),
        Component(path="tools/cli", project_type="dotnet"),
        Component(path="ops/image", project_type="docker"),
    ),
    (Component(path=".", project_type="ruby"), Component(path="worker", project_type="python")),
]
NEW_STACKS = {
    # project type: (request, commands its Jenkinsfile must run, from the tool's documentation)
    "rust": (
        "generate a Jenkinsfile for a Rust project with lint",
        ["cargo build --release --locked", "cargo clippy"],
    ),
    "go": ("a Go service with a security scan", ["go build ./...", "govulncheck ./..."]),
    "dotnet": (
        "pipeline for a .NET 8 web api with coverage",
        ["dotnet build --no-restore", "XPlat Code Coverage"],
    ),
    "php": (
        "Laravel app with composer and phpunit",
        ["composer install --no-interaction", "vendor/bin/phpunit"],
    ),
    "ruby": (
        "a Rails app using bundler and rspec, with rubocop lint",
        ["bundle install", "bundle exec rubocop"],
    ),
    "kotlin": (
        "Kotlin/Gradle service with coverage and lint",
        ["./gradlew --no-daemon test", "koverXmlReport", "ktlintCheck"],
    ),
}


def test_every_monorepo_and_requirement_combination_passes_the_linter() -> None:
    failures = {}
    for components in MONOREPOS:
        for size in range(len(REQUIREMENTS) + 1):
            for combo in itertools.combinations(REQUIREMENTS, size):
                spec = ProjectSpec(components=components, requirements=frozenset(combo))
                result = lint_jenkinsfile(generate_jenkinsfile(spec).jenkinsfile)
                if result.issues:
                    failures[(spec.describe(), combo)] = [str(i) for i in result.issues]
    assert failures == {}


@pytest.mark.parametrize("project_type", sorted(NEW_STACKS))
def test_each_new_stack_is_detected_and_runs_its_documented_commands(project_type: str) -> None:
    request, commands = NEW_STACKS[project_type]
    spec = parse_project_spec(request)
    assert spec is not None and spec.project_type == project_type and not spec.components
    generated = generate_jenkinsfile(spec)
    for command in commands:
        assert command in generated.jenkinsfile, command
    # The header cites the documentation of the commands it runs.
    assert f"//   {project_type}: https://" in generated.jenkinsfile
    assert lint_jenkinsfile(generated.jenkinsfile).issues == []


@pytest.mark.parametrize(
    ("text", "project_type"),
    [
        ("C# service", "dotnet"),
        ("asp.net core app", "dotnet"),
        ("cargo workspace", "rust"),
        ("Symfony site built with composer", "php"),
        ("Gemfile-based project", "ruby"),
        ("a Spring Boot app built with Gradle", "gradle"),  # "spring boot" is a weak Maven word
        ("Kotlin app, Gradle build, java 21", "kotlin"),
        ("let's go: a pipeline for a rust crate", "rust"),  # "go" the verb is not Go
        ("containerise this Dockerfile project", "docker"),
    ],
)
def test_detects_the_stack_from_words(text: str, project_type: str) -> None:
    assert detect_project_types(text)[0] == project_type


def test_monorepo_request_gives_one_component_per_stack_with_its_directory() -> None:
    spec = parse_project_spec(
        "monorepo: a Go API in services/api, a React frontend in `web` and a Rust engine, tests and lint"
    )
    assert spec is not None and spec.project_type is None
    assert [(c.path, c.project_type) for c in spec.components] == [
        ("services/api", "go"),
        ("web", "node"),
        ("rust", "rust"),  # no directory named: the stack's name, said in the notes
    ]
    generated = generate_jenkinsfile(spec)
    text = generated.jenkinsfile
    assert "changeset 'services/api/**'" in text and "dir('services/api') {" in text
    assert "stage('web: Lint')" in text and "booleanParam(name: 'BUILD_ALL'" in text
    assert any("rust (rust in rust/)" in note for note in generated.notes)


def test_two_stacks_without_monorepo_or_directories_stay_one_stack() -> None:
    spec = parse_project_spec("a Python service with a small React page")
    assert spec is not None and spec.project_type == "python" and not spec.components


def test_parallel_monorepo_runs_components_side_by_side() -> None:
    spec = ProjectSpec(components=MONOREPOS[0], requirements=frozenset({"tests", "lint", "parallel"}))
    text = generate_jenkinsfile(spec).jenkinsfile
    assert text.index("stage('Components')") < text.index("parallel {") < text.index("stage('services/api')")
    assert text.count("parallel {") == 1  # declarative allows one level of parallel


def test_stacks_and_directories_come_from_repository_files() -> None:
    files = [
        "README.md",
        "services/api/go.mod",
        "services/api/cmd/main.go",
        "web/package.json",
        "web/node_modules/left-pad/package.json",  # someone else's package
        "engine/Cargo.toml",
        "engine/crates/core/Cargo.toml",  # a member of the engine's workspace
        "android/settings.gradle.kts",
        "android/app/build.gradle.kts",
        "android/app/src/main/kotlin/Main.kt",
        "billing/Billing.csproj",
        "shop/composer.json",
        "legacy/Gemfile",
        "ops/Dockerfile",
    ]
    assert [(c.path, c.project_type) for c in components_from_files(files)] == [
        ("android", "kotlin"),
        ("billing", "dotnet"),
        ("engine", "rust"),
        ("legacy", "ruby"),
        ("shop", "php"),
        ("web", "node"),
        ("services/api", "go"),
    ]
    spec = parse_project_spec("a pipeline with tests", files=files)
    assert spec is not None and len(spec.components) == 7


def test_repository_files_of_one_stack_at_the_root_give_a_single_stack() -> None:
    spec = parse_project_spec("pipeline with lint", files=["Cargo.toml", "src/main.rs", "Dockerfile"])
    assert spec is not None and spec.project_type == "rust" and not spec.components


@pytest.mark.parametrize(
    ("components", "field_rule"),
    [
        ([{"path": "../etc", "project_type": "go"}], "without '..'"),
        ([{"path": "a b", "project_type": "go"}], "relative directory"),
        ([{"path": "x", "project_type": "go"}, {"path": "x/", "project_type": "node"}], "its own directory"),
    ],
)
def test_rejects_bad_components_naming_the_rule(components: list[dict[str, str]], field_rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        ProjectSpec.model_validate({"components": components})
    assert field_rule in str(info.value)


def test_rejects_both_or_neither_project_type_and_components() -> None:
    with pytest.raises(ValidationError, match="project_type: give a project type"):
        ProjectSpec()
    with pytest.raises(ValidationError, match="not both"):
        ProjectSpec(project_type="go", components=MONOREPOS[0])
