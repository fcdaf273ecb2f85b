"""The pipeline specialist offline with the new stacks and monorepos: from words and from repository files."""

from __future__ import annotations

import pytest

from tests.services import make_settings
from worker.agents import AgentServices, run_task
from worker.pipelines import lint_jenkinsfile


@pytest.fixture
def services() -> AgentServices:
    return AgentServices(settings=make_settings())


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("generate a Jenkinsfile for a Rust project", "cargo test --locked"),
        ("write a pipeline for our .NET service", "dotnet test --no-build"),
        ("Jenkinsfile for a PHP app with composer", "vendor/bin/phpunit"),
        ("pipeline for a Rails app", "bundle exec rspec"),
        ("a Kotlin service built with Gradle, with lint", "ktlintCheck"),
    ],
)
def test_generates_each_new_stack_offline(services: AgentServices, text: str, command: str) -> None:
    result = run_task(text, {}, services=services, llm=None)
    assert result.agent == "pipeline"
    assert command in result.artifacts["jenkinsfile"]
    assert result.artifacts["lint"]["ok"] is True


def test_repository_files_in_the_context_make_a_monorepo_pipeline(services: AgentServices) -> None:
    files = ["services/api/go.mod", "web/package.json", "README.md"]
    result = run_task(
        "generate a pipeline with tests and lint", {"files": files}, services=services, llm=None
    )
    jenkinsfile = result.artifacts["jenkinsfile"]
    assert "changeset 'services/api/**'" in jenkinsfile and "changeset 'web/**'" in jenkinsfile
    assert lint_jenkinsfile(jenkinsfile).issues == []
    # Topmost directories first.
    assert result.artifacts["project"]["components"] == [
        {"path": "web", "project_type": "node"},
        {"path": "services/api", "project_type": "go"},
    ]
    assert "a monorepo of node (web), go (services/api)" in result.answer


def test_files_context_that_is_not_a_list_of_paths_is_rejected_by_name(services: AgentServices) -> None:
    result = run_task("generate a pipeline with tests", {"files": "go.mod"}, services=services, llm=None)
    assert "context 'files' must be a JSON list" in result.answer
    assert "jenkinsfile" not in result.artifacts
