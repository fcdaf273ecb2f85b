"""The shared library's own Groovy + JUnit 4 suite, run from pytest so CI reads one summary."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[3] / "jenkins-shared-lib"


def test_groovy_unit_tests_of_the_shared_library_pass() -> None:
    if shutil.which("groovy") is None:
        pytest.fail("groovy is not installed (apt-get install groovy junit4 default-jre-headless)")
    run = subprocess.run(
        [str(LIBRARY / "run-tests.sh")], capture_output=True, text=True, timeout=600, check=False
    )
    output = run.stdout + run.stderr
    summary = re.search(r"^(\d+) passed, (\d+) failed$", output, re.MULTILINE)
    assert summary, f"no summary line from the Groovy suite:\n{output[-3000:]}"
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert run.returncode == 0 and failed == 0, output[-5000:]
    assert passed >= 20, f"only {passed} Groovy tests ran"
