"""The images run the compiled fast path (worker/analysis/_fast.c) without carrying a compiler, checked without a
Docker engine: the Dockerfiles are read stage by stage, and the build stage's own commands (wheel + the check
that the wheel holds the compiled module) are run here on a wheel built the same way."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
IMAGES = ("Dockerfile.api", "Dockerfile.worker")


def _stages(dockerfile: str) -> list[tuple[str, list[str]]]:
    """(stage name, instructions) in order; continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (REPO / dockerfile).read_text())
    stages: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.I)
        if found:
            stages.append((found.group(1) or f"stage{len(stages)}", []))
        stages[-1][1].append(line)
    return stages


@pytest.mark.parametrize("dockerfile", IMAGES)
def test_a_build_stage_compiles_the_wheel_and_the_slim_runtime_installs_it(dockerfile: str) -> None:
    stages = _stages(dockerfile)
    assert len(stages) == 2, [name for name, _ in stages]
    (build_name, build), (_, runtime) = stages  # the last stage is what compose and k8s run
    build_text, runtime_text = "\n".join(build), "\n".join(runtime)
    assert re.search(r"apt-get install .*\bgcc\b", build_text), "the build stage installs a C compiler"
    assert "COPY pyproject.toml setup.py" in build_text, "setup.py (the extension) reaches the build"
    assert "pip wheel" in build_text and "_fast." in build_text and ".so" in build_text
    assert runtime[0].startswith("FROM python:3.11-slim")
    assert not re.search(r"\b(gcc|build-essential|apt-get)\b", runtime_text), "no compiler in the runtime"
    assert f"COPY --from={build_name} /wheels /wheels" in runtime_text
    assert re.search(r"pip install --no-deps /wheels/\*\.whl", runtime_text)
    assert "fastpath.compiled is not None" in runtime_text, "the runtime proves the compiled path loads"
    # The runtime has no source tree of ours: a copy in the working folder would shadow the installed package
    # (and its compiled module) for `celery -A` and `python -c`.
    assert not re.search(r"^COPY (api|worker)\b", runtime_text, re.M)
    assert re.search(r"^CMD \[\"jenkins-ai\"", runtime_text, re.M)


def test_the_build_stage_check_accepts_the_compiled_module_and_refuses_a_pure_wheel(tmp_path: Path) -> None:
    """The extension compiles from setup.py (gcc comes with scripts/system-deps.sh), and the build stage's check,
    run here as written, accepts a wheel that holds it and refuses one without it."""
    (_, build), _ = _stages("Dockerfile.worker")
    run = next(line for line in build if line.startswith("RUN pip wheel"))
    check = re.search(r'python -c "([^"]+)"', run).group(1)  # type: ignore[union-attr]
    lib, temp = tmp_path / "lib", tmp_path / "temp"
    built = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--build-lib", str(lib), "--build-temp", str(temp)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    compiled = [p for p in lib.rglob("_fast*.so")]
    assert compiled, "setup.py built no worker/analysis/_fast module"

    def check_wheel(members: list[tuple[str, Path | None]]) -> subprocess.CompletedProcess[str]:
        wheels = tmp_path / f"wheels{len(members)}"
        wheels.mkdir()
        with zipfile.ZipFile(wheels / "langchain_jenkins-0-cp311-cp311-linux_x86_64.whl", "w") as wheel:
            for name, path in members:
                wheel.writestr(name, path.read_bytes() if path else "")
        return subprocess.run(
            [sys.executable, "-c", check.replace("/wheels", str(wheels))], capture_output=True, text=True
        )

    module = compiled[0]
    accepted = check_wheel([("worker/analysis/fastpath.py", None), (str(module.relative_to(lib)), module)])
    assert accepted.returncode == 0, accepted.stderr
    refused = check_wheel([("worker/analysis/fastpath.py", None)])
    assert refused.returncode != 0 and "no compiled" in refused.stderr


def test_the_build_context_leaves_out_local_builds() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    assert "**/*.so" in ignored and "**/__pycache__" in ignored
