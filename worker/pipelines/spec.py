"""What a generated pipeline is for: the project type (or the components of a monorepo) and the requirements,
parsed from plain words and, when given, from the repository's file names (see :mod:`worker.pipelines.detect`)."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, Field, field_serializer, field_validator, model_validator

ProjectType = Literal[
    "maven", "gradle", "kotlin", "python", "node", "go", "rust", "dotnet", "php", "ruby", "docker"
]
Requirement = Literal[
    "tests", "coverage", "lint", "security_scan", "docker", "deploy", "parallel", "notifications"
]
PROJECT_TYPES: tuple[ProjectType, ...] = get_args(ProjectType)
REQUIREMENTS: tuple[Requirement, ...] = get_args(Requirement)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_CREDENTIALS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# A directory inside the repository: relative, no "..", no quotes or spaces (it goes into dir('...') and a
# changeset glob).
_PATH = re.compile(r"^(?!.*(?:^|/)\.\.?(?:/|$))[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")


class Component(BaseModel):
    """One stack of a monorepo: its directory and its project type."""

    path: str = Field(description="Directory inside the repository, e.g. 'services/api' (no '..').")
    project_type: ProjectType

    @field_validator("path")
    @classmethod
    def _safe_path(cls, value: str) -> str:
        value = value.strip().removeprefix("./").strip("/") or "."
        if value == ".":
            return value  # the repository root (a root module beside subdirectory components)
        if len(value) > 200 or not _PATH.match(value):
            raise ValueError(
                "must be a relative directory of letters, digits, '.', '_', '-' and '/', without '..'"
            )
        return value

    @property
    def name(self) -> str:
        """The stage name: the directory's path (unique within a spec), 'root' for the repository root."""
        return "root" if self.path == "." else self.path


class ProjectSpec(BaseModel):
    """A project description from which a declarative Jenkinsfile is generated."""

    project_type: ProjectType | None = Field(
        None, description="The stack of a single-stack repository; omit it when giving components."
    )
    components: tuple[Component, ...] = Field(
        (), description="The stacks of a monorepo, one stage each (built when their directory changed)."
    )
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

    @model_validator(mode="after")
    def _one_kind(self) -> ProjectSpec:
        if (self.project_type is None) == (not self.components):
            raise ValueError(
                "project_type: give either a project type or components (for a monorepo), not both"
                if self.components
                else "project_type: give a project type, or components for a monorepo"
            )
        paths = [c.path for c in self.components]
        if len(set(paths)) != len(paths):
            raise ValueError("components: every component needs its own directory")
        return self

    @property
    def stacks(self) -> list[ProjectType]:
        """The project types this pipeline builds, in order, without repeats."""
        types = [c.project_type for c in self.components] if self.components else [self.project_type]
        return list(dict.fromkeys(t for t in types if t is not None))

    def describe(self) -> str:
        """'a rust project' or 'a monorepo of go (services/api), node (web)'."""
        if self.components:
            return "a monorepo of " + ", ".join(f"{c.project_type} ({c.path})" for c in self.components)
        return f"a {self.project_type} project"


# Words that name each project type, strong (the build tool or language) and weak (a framework or a word that
# often comes with another tool, e.g. "Java" beside "Gradle"). On a tie the order below decides, so a single-
# stack request keeps its meaning: "kotlin" before "gradle" (Kotlin *is* built with Gradle), "docker" last
# ("docker push" in a Gradle request is a requirement, not the project type).
_TYPE_WORDS: tuple[tuple[ProjectType, str, str], ...] = (
    ("kotlin", r"kotlin|ktor", r""),
    ("gradle", r"gradle|gradlew", r"android"),
    ("maven", r"maven|mvn|pom\.xml", r"java|spring[ -]?boot"),
    ("python", r"python|pytest|tox|pip|poetry", r"django|flask|fastapi"),
    ("node", r"node(?:\.?js)?|npm|yarn|pnpm", r"react|angular|vue|typescript|javascript|frontend"),
    # Plain "go" is an English verb: only "golang", "go.mod", "Go <noun>" or "a/in/with Go" name the stack.
    (
        "go",
        r"golang|go\.mod|go\s+(?:modules?|services?|projects?|apps?|api|backend|code|binary|cli|"
        r"microservices?|library|server|tests?|vet)|(?:an?|in|with|using|and|for|the)\s+go(?=[\s,.;:)]|$)",
        r"",
    ),
    ("rust", r"rust|cargo", r"crates?"),
    ("dotnet", r"\.net(?: core)?|dotnet|c#|csharp|f#|asp\.net(?: core)?|nuget|msbuild", r""),
    ("php", r"php|composer|phpunit", r"laravel|symfony"),
    ("ruby", r"ruby|bundler|rspec|gemfile|rake", r"rails"),
    ("docker", r"docker(?:file)?|container image|dockerized", r""),
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
_JVM: frozenset[ProjectType] = frozenset({"kotlin", "gradle", "maven"})
_MONOREPO = re.compile(
    r"\bmono-?\s?repo(?:sitory)?\b|\bseveral (?:stacks|components)\b|\bmultiple (?:stacks|components)\b"
)
# "the Go API in services/api": a directory is written with a slash or in quotes/backticks.
_DIR_HINT = re.compile(
    r"\b(?:in|under|at|from)\s+(?:the\s+)?(?:directory\s+|folder\s+|dir\s+)?"
    r"(?:[`'\"]([A-Za-z0-9_][A-Za-z0-9._/-]*)[`'\"]|((?:[A-Za-z0-9_][A-Za-z0-9._-]*/)+[A-Za-z0-9._-]*))"
)


def _bounded(words: str) -> str:
    # Not \b: ".NET" and "C#" start or end with a non-word character, where \b never matches.
    return rf"(?<!\w)(?:{words})(?![\w#])"


def _mentions(lowered: str) -> list[tuple[int, ProjectType, bool]]:
    """(position, project type, strong?) of every stack word in the request, in text order."""
    found: list[tuple[int, ProjectType, bool]] = []
    for project_type, strong, weak in _TYPE_WORDS:
        for words, is_strong in ((strong, True), (weak, False)):
            if words:
                found += [(m.start(), project_type, is_strong) for m in re.finditer(_bounded(words), lowered)]
    return sorted(found)


def detect_project_types(text: str) -> list[ProjectType]:
    """The stacks a request names, strong ones first, then in the order they are first mentioned.

    The first is the stack of a single-stack request. A weak JVM word ("java", "spring boot") does not add
    Maven when Gradle or Kotlin is named; "kotlin" with "gradle" is one Kotlin stack; "docker" counts only
    when nothing else is named.
    """
    mentions = _mentions(text.lower())
    strong = {t for _, t, is_strong in mentions if is_strong}
    first: dict[ProjectType, int] = {}
    for pos, project_type, _ in mentions:
        first.setdefault(project_type, pos)
    types = set(first)
    if "kotlin" in types:
        types.discard("gradle")
    if strong & _JVM:
        types = {t for t in types if t in strong or t not in _JVM}
    if len(types) > 1:
        types.discard("docker")
    return sorted(types, key=lambda t: (t not in strong, first[t]))


def _components_from_text(text: str, types: list[ProjectType]) -> tuple[list[Component], bool]:
    """One component per named stack, its directory from a hint after the stack word ('in services/api').

    The flag says whether every directory came from the request (else the stack's name is used: 'go/').
    """
    mentions = [(pos, t) for pos, t, _ in _mentions(text.lower()) if t in types]
    components: list[Component] = []
    all_hinted = True
    in_text_order = sorted(types, key=lambda t: min(pos for pos, u in mentions if u == t))
    for project_type in in_text_order:
        path = None
        for pos in (p for p, t in mentions if t == project_type):
            following = [p for p, t in mentions if p > pos and t != project_type]
            hint = _DIR_HINT.search(text[pos : min(following) if following else len(text)])
            if hint:
                path = (hint.group(1) or hint.group(2)).strip("/")
                break
        if path is None or path in {c.path for c in components}:
            path, all_hinted = project_type, False
        components.append(Component(path=path, project_type=project_type))
    return components, all_hinted


def parse_project_spec(
    text: str, *, name: str | None = None, files: list[str] | None = None
) -> ProjectSpec | None:
    """A :class:`ProjectSpec` from a request such as "a Gradle project with tests and docker push".

    ``files`` (paths of the repository's files, e.g. from ``git ls-files``) decide the stacks and their
    directories when given: marker files are facts, words are hints. Otherwise a request naming one stack
    gives a single-stack spec; a request for a monorepo ("monorepo", or two stacks each with a directory)
    gives one component per stack. Returns ``None`` when no stack is found (the caller asks for one). Tests
    are always included: a CI pipeline without them is rarely what anyone wants, and "no tests" opts out.
    """
    from worker.pipelines.detect import components_from_files

    lowered = text.lower()
    project_type: ProjectType | None = None
    components: list[Component] = []
    if files:
        components = components_from_files(files)
        if len(components) == 1 and components[0].path == ".":
            project_type, components = components[0].project_type, []
    if not components and project_type is None:
        types = detect_project_types(text)
        if not types:
            return None
        if len(types) > 1:
            components, all_hinted = _components_from_text(text, types)
            if not (all_hinted or _MONOREPO.search(lowered)):
                # Two stacks named, neither "monorepo" nor a directory each: one stack, by priority.
                components = []
        if not components:
            project_type = types[0]
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
    return ProjectSpec(
        project_type=project_type,
        components=tuple(components),
        requirements=frozenset(requirements),
        name=spec_name,
    )
