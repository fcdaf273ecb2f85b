"""What `jenkins-ai analyze` imports: scripts run it once per log, so its start-up is its speed (README, issue 12).

Each run is a fresh interpreter through the console script's entry point (``worker.cli.main``) with a private
HOME, so the caches under ``~/.cache/langchain-jenkins`` start empty: the first run builds them, the second is
what every later run does. At exit the run writes the names of every module it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "samples" / "logs" / "maven-test-failure.log"

#: Never, not even to build the caches: the assistant, the API, the queue and the database are other commands'.
NEVER = (
    "langchain",
    "langchain_core",
    "langchain_openai",
    "openai",
    "tiktoken",
    "jenkinsapi",
    "flask",
    "werkzeug",
    "jinja2",
    "celery",
    "kombu",
    "redis",
    "pymongo",
    "bson",
    "pydantic",
    "pydantic_settings",
    "structlog",
    "rich",  # only for a person at a terminal; these runs are piped
    "api",
    "worker.agents",
    "worker.tasks",
    "worker.storage",
    "worker.settings",
)
#: Not once the caches are built: rule YAML, the detect-secrets package (its plugins pull in requests),
#: importlib.metadata (parses METADATA with the email package), annotated_types (pydantic's, for validation).
NOT_WHEN_CACHED = (
    "yaml",
    "detect_secrets",
    "requests",
    "importlib.metadata",
    "email",
    "annotated_types",
)

_CODE = """
import atexit, json, sys
atexit.register(lambda: open({out!r}, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["jenkins-ai", *{args!r}]
from worker.cli import main
main()
"""


def _modules_of(args: list[str], home: Path, out: Path) -> tuple[set[str], str]:
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(REPO)}
    env.pop("XDG_CACHE_HOME", None)
    done = subprocess.run(
        [sys.executable, "-c", _CODE.format(out=str(out), args=args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(out.read_text())), done.stdout


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_analyze_imports_neither_the_assistant_nor_the_services(tmp_path: Path, output_format: str) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    for index, (log, says) in enumerate([(SAMPLE, "maven.test-failure"), (empty, "unknown")]):
        home = tmp_path / f"home-{index}"  # caches empty for each log's first run
        home.mkdir()
        args = ["analyze", "--format", output_format, str(log)]
        cold, output = _modules_of(args, home, tmp_path / "cold.json")
        assert says in output
        assert _loaded(cold, NEVER) == []
        warm, output = _modules_of(args, home, tmp_path / "warm.json")
        assert says in output
        assert _loaded(warm, NEVER + NOT_WHEN_CACHED) == []
        assert "worker.analysis.engine" in warm  # the modules of the run that analysed, not of another
