"""Jenkinsfile generation and linting (no network; Jenkins validates via the Jenkins client)."""

from worker.pipelines.generator import TOOLCHAINS, GeneratedPipeline, generate_jenkinsfile
from worker.pipelines.linter import KNOWN_STEPS, LintIssue, LintResult, lint_jenkinsfile
from worker.pipelines.spec import (
    PROJECT_TYPES,
    REQUIREMENTS,
    ProjectSpec,
    ProjectType,
    Requirement,
    parse_project_spec,
)

__all__ = [
    "KNOWN_STEPS",
    "PROJECT_TYPES",
    "REQUIREMENTS",
    "TOOLCHAINS",
    "GeneratedPipeline",
    "LintIssue",
    "LintResult",
    "ProjectSpec",
    "ProjectType",
    "Requirement",
    "generate_jenkinsfile",
    "lint_jenkinsfile",
    "parse_project_spec",
]
