"""A team's own failure causes (KNOWLEDGE_BASE_DIRS) are used by the worker and by the API's upload analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.services import wait_until

ACME_RULE = """
causes:
  - id: acme.license-server
    category: infrastructure
    description: The ACME license server refused the checkout.
    fix: "Ask #build-infra to free a seat."
    weight: 9
    patterns: ['ACME-LIC-\\d{3}: no seats left']
"""
CONSOLE = "+ ./build.sh\nchecking out a seat\nACME-LIC-042: no seats left\nFinished: FAILURE\n"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "acme.yaml").write_text(ACME_RULE)
    return {"KNOWLEDGE_BASE_DIRS": str(tmp_path)}


def test_worker_and_api_use_the_teams_own_rules(api_server: Any, jenkins_double: Any, storage: Any) -> None:
    headers = {"Authorization": f"Bearer {api_server.token}"}
    jenkins_double.add_build("acme-app", 4, "FAILURE", console=CONSOLE)
    requests.post(
        f"{api_server.url}/api/v1/events",
        json={"jenkins_url": jenkins_double.url, "job": "acme-app", "build": 4, "status": "FAILURE"},
        headers=headers,
    )
    wait_until(
        lambda: (storage.builds.get("acme-app", 4) or {}).get("analysis_status") == "done",
        timeout=60,
        what="the analysis",
    )
    analysis = storage.analyses.get("acme-app", 4)
    assert analysis["causes"][0]["id"] == "acme.license-server"
    assert analysis["causes"][0]["fix"] == "Ask #build-infra to free a seat."

    uploaded = requests.post(
        f"{api_server.url}/api/v1/analyze",
        data=CONSOLE.encode(),
        headers={**headers, "Content-Type": "text/plain"},
    ).json()
    assert uploaded["causes"][0]["id"] == "acme.license-server"
    assert uploaded["category"] == "infrastructure"
