"""The labelled logs every accuracy figure is measured on, as one kind of record.

Four data sets, each turned into :class:`Case` records with the failure lines a human labelled (1-based line
numbers, counting ``\\n``), the repository the log comes from (leave-one-repository-out groups by it, across
data sets: scikit-learn in LogChunks and in LogDx is one repository), a toolchain for the per-toolchain view, and
the failure category when the data set has one:

* ``logchunks`` -- LogChunks dev (398 Travis logs, 40 repositories): the labelled chunk.
* ``cidiff`` -- CiDiff (36 failing logs with the last passing log): the ground truth's ``E`` lines.
* ``logdx`` -- LogDx (32 GitHub Actions logs): the evidence lines of the *critical* signals; its categories.
* ``jenkins`` -- this repository's Jenkins console dev set (``bench/jenkins_dev/``): labelled failure lines and
  categories (see its README).
* ``jenkins_real`` -- real public Jenkins consoles (``bench/jenkins_real/``), held out: never tuned on (see its
  README).

The first three are read from the shared data (``$LJ_SHARED_DIR``); the Jenkins set lives in the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._shared import read_jsonl_gz

JENKINS_DEV = Path(__file__).resolve().parent / "jenkins_dev"
JENKINS_REAL = Path(__file__).resolve().parent / "jenkins_real"

DATASETS = ("logchunks", "cidiff", "logdx", "jenkins", "jenkins_real")

# Data sets no rule or constant is tuned on: left out of the rules' provenance and of the refit (bench.evaluate).
HELD_OUT = frozenset({"jenkins_real"})

# LogDx failure categories -> the engine's categories that are a right answer for them (the first is the one
# counted as the gold label when the answer is wrong).
LOGDX_CATEGORIES: dict[str, tuple[str, ...]] = {
    "compile_error": ("compilation",),
    "test_assertion": ("test",),
    "snapshot_diff": ("test",),
    "lint_error": ("lint",),
    "type_error": ("compilation", "lint"),  # mypy/tsc: a type checker is a compiler or a static analysis
    "dependency_install": ("dependency",),
    "timeout_or_oom": ("timeout", "out_of_memory"),
    "permission_or_secret": ("configuration",),
    "network_or_flaky": ("infrastructure",),
    "docker_build": ("infrastructure", "dependency", "compilation", "configuration"),
    "github_actions_config": ("configuration",),
}


@dataclass
class Case:
    """One labelled failing log."""

    dataset: str
    id: str
    repo: str  # lower-case owner/name (or project): the leave-one-out group
    toolchain: str
    log: str
    gold: frozenset[int]  # the labelled failure lines
    categories: tuple[str, ...] = ()  # right answers for the category, the first is the gold label
    previous: str | None = None  # the last passing log (CiDiff)

    @property
    def total_lines(self) -> int:
        return len(self.log.split("\n"))


def _span(start: int, end: int) -> frozenset[int]:
    return frozenset(range(start, end + 1))


def logchunks() -> Iterator[Case]:
    for row in read_jsonl_gz("logchunks/dev.jsonl.gz"):
        yield Case(
            "logchunks",
            str(row["id"]),
            row["repo"].lower(),
            row["language"],
            row["log"],
            _span(row["chunk_line_start"], row["chunk_line_end"]),
        )


def _cidiff_lines(text: str) -> str:
    """CiDiff numbers lines like ``str.splitlines`` (a lone CR ends a line too)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


_GT = re.compile(r"^([EC]) (\d+)(?:-(\d+))?$")


def cidiff_groundtruth(text: str, kind: str = "E") -> frozenset[int]:
    out: set[int] = set()
    for line in text.splitlines()[1:]:
        m = _GT.match(line.strip())
        if m and m.group(1) == kind:
            start = int(m.group(2))
            out.update(range(start, int(m.group(3) or start) + 1))
    return frozenset(out)


def cidiff() -> Iterator[Case]:
    for row in read_jsonl_gz("cidiff/breakages.jsonl.gz"):
        project = row["case"].rsplit("_", 1)[0]  # "jodatime_1837": the project, several breakages each
        yield Case(
            "cidiff",
            row["case"],
            project.lower(),
            "java-maven",
            _cidiff_lines(row["fail_log"]),
            cidiff_groundtruth(row["groundtruth"]),
            previous=_cidiff_lines(row["pass_log"]),
        )


def logdx() -> Iterator[Case]:
    for row in read_jsonl_gz("logdx/cases.jsonl.gz"):
        meta: dict[str, Any] = row["meta"]
        critical: set[int] = set()
        for signal in row["ground_truth"].get("required_signals", []):
            if signal.get("importance") == "critical":
                for start, end in signal.get("evidence_lines", []):
                    critical.update(range(start, end + 1))
        yield Case(
            "logdx",
            row["id"],
            str(meta.get("repo") or row["id"]).lower(),
            str(meta.get("framework") or "generic"),
            row["log"],
            frozenset(critical),
            LOGDX_CATEGORIES.get(meta["failure_category"], ("unknown",)),
        )


def parse_lines(spec: str) -> frozenset[int]:
    """``"12-18,30"`` -> {12..18, 30}."""
    out: set[int] = set()
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        start, _, end = part.partition("-")
        out.update(range(int(start), int(end or start) + 1))
    return frozenset(out)


def jenkins(directory: Path = JENKINS_DEV, dataset: str = "jenkins") -> Iterator[Case]:
    import yaml

    if not (directory / "labels.yaml").is_file():
        return
    labels = yaml.safe_load((directory / "labels.yaml").read_text(encoding="utf-8"))
    for entry in labels["logs"]:
        yield Case(
            dataset,
            entry["file"],
            str(entry["repo"]).lower(),
            entry["toolchain"],
            (directory / "logs" / entry["file"]).read_text(encoding="utf-8"),
            parse_lines(entry["failure_lines"]),
            (entry["category"],) if entry.get("category") else (),
        )


def jenkins_real() -> Iterator[Case]:
    return jenkins(JENKINS_REAL, "jenkins_real")


LOADERS = {
    "logchunks": logchunks,
    "cidiff": cidiff,
    "logdx": logdx,
    "jenkins": jenkins,
    "jenkins_real": jenkins_real,
}


def load(datasets: tuple[str, ...] | list[str], limit: int | None = None) -> list[Case]:
    """The cases of ``datasets`` (the first ``limit`` of each when given)."""
    out: list[Case] = []
    for name in datasets:
        for n, case in enumerate(LOADERS[name]()):
            if limit is not None and n >= limit:
                break
            out.append(case)
    return out
