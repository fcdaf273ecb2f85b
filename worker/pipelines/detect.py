"""Stacks of a repository from its file names (``git ls-files``): each build tool's marker file decides.

A directory holding a marker (``Cargo.toml``, ``go.mod``, ``*.csproj``, ``composer.json``, ``Gemfile``,
``build.gradle.kts`` ...) is a component of that stack. A marker below a component of the same stack belongs
to it (a Cargo workspace member, a Gradle sub-project, a Maven module, an npm workspace package), so only the
topmost one counts. A Gradle build with Kotlin sources (``*.kt``) is a Kotlin component. A Dockerfile makes a
component only where no other stack is found (elsewhere the image is built from that component).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from worker.pipelines.spec import Component, ProjectType

# Marker file name (exact, or a regex for the extension kinds) -> stack. Checked in this order: the first
# stack found in a directory wins, so a Gradle project with a package.json for its web assets stays Gradle.
_MARKERS: tuple[tuple[ProjectType, re.Pattern[str]], ...] = (
    ("gradle", re.compile(r"^(?:build|settings)\.gradle(?:\.kts)?$")),
    ("maven", re.compile(r"^pom\.xml$")),
    ("rust", re.compile(r"^Cargo\.toml$")),
    ("go", re.compile(r"^go\.mod$")),
    ("dotnet", re.compile(r"^.+\.(?:csproj|fsproj|vbproj|sln)$|^global\.json$")),
    ("php", re.compile(r"^composer\.json$")),
    ("ruby", re.compile(r"^Gemfile$")),
    ("python", re.compile(r"^(?:pyproject\.toml|setup\.py|setup\.cfg|requirements\.txt|Pipfile)$")),
    ("node", re.compile(r"^package\.json$")),
    ("docker", re.compile(r"^Dockerfile$")),
)
_ORDER = [t for t, _ in _MARKERS]
# Directories that hold other people's code or build output, never a component of this repository.
_IGNORED = re.compile(r"(?:^|/)(?:node_modules|vendor|target|build|dist|\.git|\.venv|venv|bin|obj)(?:/|$)")


def _family(project_type: ProjectType) -> str:
    return "gradle" if project_type == "kotlin" else project_type


def _inside(path: str, parent: str) -> bool:
    return parent == "." or path.startswith(parent + "/")


def components_from_files(files: Iterable[str]) -> list[Component]:
    """The components of a repository, topmost first, from the paths of its files (relative, '/'-separated).

    >>> [(c.path, c.project_type) for c in components_from_files(["api/go.mod", "web/package.json"])]
    [('api', 'go'), ('web', 'node')]
    """
    found: dict[str, set[ProjectType]] = {}
    kotlin_dirs: list[str] = []
    for raw in files:
        path = raw.strip().removeprefix("./")
        if not path or _IGNORED.search(path):
            continue
        directory, base = posixpath.split(path)
        directory = directory or "."
        if base.endswith((".kt", ".kts")) and not base.startswith(("build.gradle", "settings.gradle")):
            kotlin_dirs.append(directory)
        for project_type, marker in _MARKERS:
            if marker.match(base):
                found.setdefault(directory, set()).add(project_type)
    # One stack per directory: the first in marker order.
    stacks = {d: min(types, key=_ORDER.index) for d, types in found.items()}
    non_docker = [d for d, t in stacks.items() if t != "docker"]
    components: list[Component] = []
    for directory in sorted(stacks, key=lambda d: (d != ".", d.count("/"), d)):
        project_type = stacks[directory]
        if project_type == "docker" and non_docker:
            continue
        if any(
            _family(c.project_type) == _family(project_type) and _inside(directory, c.path)
            for c in components
        ):
            continue  # a sub-project of a component already listed (workspace member, module)
        if project_type == "gradle" and any(_inside(d, directory) for d in kotlin_dirs):
            project_type = "kotlin"
        components.append(Component(path=directory, project_type=project_type))
    return components
