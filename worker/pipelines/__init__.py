"""Jenkinsfile generation and linting (no network; Jenkins validates via the Jenkins client)."""

from worker.pipelines.detect import components_from_files
from worker.pipelines.generator import TOOLCHAINS, GeneratedPipeline, generate_jenkinsfile
from worker.pipelines.linter import KNOWN_STEPS, LintIssue, LintResult, lint_jenkinsfile
from worker.pipelines.spec import (
    PROJECT_TYPES,
    REQUIREMENTS,
    Component,
    ProjectSpec,
    ProjectType,
    Requirement,
    detect_project_types,
    parse_project_spec,
)

__all__ = [
    "KNOWN_STEPS",
    "PROJECT_TYPES",
    "REQUIREMENTS",
    "TOOLCHAINS",
    "Component",
    "GeneratedPipeline",
    "LintIssue",
    "LintResult",
    "ProjectSpec",
    "ProjectType",
    "Requirement",
    "components_from_files",
    "detect_project_types",
    "generate_jenkinsfile",
    "lint_jenkinsfile",
    "parse_project_spec",
]
