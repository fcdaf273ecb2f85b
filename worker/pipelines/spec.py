"""What a generated pipeline is for: the project type and the requirements, parsed from plain words."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, Field, field_serializer, field_validator

ProjectType = Literal["maven", "gradle", "python", "node", "go", "docker"]
Requirement = Literal[
    "tests", "coverage", "lint", "security_scan", "docker", "deploy", "parallel", "notifications"
]
PROJECT_TYPES: tuple[ProjectType, ...] = get_args(ProjectType)
REQUIREMENTS: tuple[Requirement, ...] = get_args(Requirement)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_CREDENTIALS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ProjectSpec(BaseModel):
    """A project description from which a declarative Jenkinsfile is generated."""

    project_type: ProjectType
    requirements: frozenset[Requirement] = frozenset({"tests"})
    name: str = Field("app", description="Project / image name: letters, digits, '.', '_' and '-'.")
    registry: str = "registry.example.com"
    registry_credentials_id: str = "docker-registry"
    deploy_environment: str = "staging"
    notify_email: str = "team@example.com"

    @field_serializer("requirements")
    def _sorted_requirements(self, value: frozenset[Requirement]) -> list[str]:
        # A stable order: stored results and JSON answers do not change from run to run.
        return sorted(value)

    @field_validator("name", "deploy_environment")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        # These end up inside single-quoted Groovy and shell strings: keep them to a safe alphabet.
        if not _NAME.match(value):
            raise ValueError("must be 1-100 characters of letters, digits, '.', '_' or '-'")
        return value

    @field_validator("registry_credentials_id")
    @classmethod
    def _safe_credentials_id(cls, value: str) -> str:
        if not _CREDENTIALS_ID.match(value):
            raise ValueError("must be a Jenkins credentials id: letters, digits, '.', '_' or '-'")
        return value

    @field_validator("registry")
    @classmethod
    def _safe_registry(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9.:/_-]{0,199}$", value):
            raise ValueError("must be a registry host[:port][/path] without spaces or quotes")
        return value

    @field_validator("notify_email")
    @classmethod
    def _safe_email(cls, value: str) -> str:
        if not re.match(r"^[^@\s'\"\\]+@[^@\s'\"\\]+$", value):
            raise ValueError("must be an e-mail address")
        return value


# Words that name each project type (checked in this order: "docker" last, since "docker push" in a Gradle
# request is a requirement, not the project type).
_TYPE_WORDS: tuple[tuple[ProjectType, str], ...] = (
    ("gradle", r"gradle|kotlin|android"),
    ("maven", r"maven|mvn|spring[ -]?boot|pom\.xml|java"),
    ("python", r"python|pytest|django|flask|fastapi|tox|pip|poetry"),
    ("node", r"node(?:\.?js)?|npm|yarn|react|angular|vue|typescript|javascript|frontend"),
    ("go", r"go(?:lang)?|go module"),
    ("docker", r"docker(?:file)?|container image|dockerized"),
)
_REQUIREMENT_WORDS: dict[Requirement, str] = {
    "tests": r"tests?|testing|unit|pytest|junit|jest",
    "coverage": r"coverage|jacoco|codecov|cov",
    "lint": r"lint(?:ing|er)?|eslint|flake8|ruff|checkstyle|golangci|static analysis|style check|sonar",
    "security_scan": r"security|scan(?:ning)?|vulnerabilit(?:y|ies)|cve|owasp|trivy|snyk|bandit|gosec|audit",
    "docker": r"docker (?:build|image|push)|push(?:es|ed)? (?:the |an |it )?(?:docker )?image|image push|"
    r"build(?:s)? (?:a |the )?(?:docker )?image|registry|docker push",
    "deploy": r"deploy(?:s|ment|ing)?|release to|approval|approve",
    "parallel": r"parallel|concurrent(?:ly)?|at the same time",
    "notifications": r"notif(?:y|ication|ications)|e-?mail|slack|alert",
}


def parse_project_spec(text: str, *, name: str | None = None) -> ProjectSpec | None:
    """A :class:`ProjectSpec` from a request such as "a Gradle project with tests and docker push".

    Returns ``None`` when no project type is named (the caller asks for one). Tests are always included:
    a CI pipeline without them is rarely what anyone wants, and "no tests" opts out.
    """
    lowered = text.lower()
    project_type: ProjectType | None = None
    for candidate, words in _TYPE_WORDS:
        if re.search(rf"\b(?:{words})\b", lowered):
            project_type = candidate
            break
    if project_type is None:
        return None
    requirements: set[Requirement] = {
        req for req, words in _REQUIREMENT_WORDS.items() if re.search(rf"\b(?:{words})\b", lowered)
    }
    if not re.search(r"\bno tests?\b|\bwithout tests?\b", lowered):
        requirements.add("tests")
    else:
        requirements.discard("tests")
    if project_type == "docker" and re.search(r"\bpush", lowered):
        # A Dockerfile project's build *is* the image build; "push" makes it a push.
        requirements.add("docker")
    match = re.search(r"\b(?:called|named|for repo|repository)\s+['\"]?([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    spec_name = name or (match.group(1) if match else "app")
    return ProjectSpec(project_type=project_type, requirements=frozenset(requirements), name=spec_name)
