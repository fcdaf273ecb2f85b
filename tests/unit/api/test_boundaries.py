"""The API's import boundaries (DESIGN.md): no LangChain, no Jenkins client, no worker tasks in the web process."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.services import REPO_ROOT

FORBIDDEN = (
    "langchain",
    "langchain_core",
    "langchain_openai",
    "jenkinsapi",
    "worker.tasks",
    "worker.jenkins",
)


def test_the_api_imports_neither_langchain_nor_jenkins_nor_worker_tasks() -> None:
    # A fresh interpreter: this test process may have imported anything already.
    code = "import json, sys\nimport api.app, api.wsgi\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "API_TOKENS": "x", "LOG_FORMAT": "json"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    leaked = sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert leaked == []
    assert "api.blueprints.analyze" in loaded and "worker.analysis" in loaded  # the pure engine is allowed
