"""The worker writes the build description for the Safe HTML formatter when told to, keeping people's text."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.logs import MAVEN_TEST_FAILURE, pipeline_log
from worker import task_names
from worker.jenkins import MARK_END, MARK_START
from worker.jenkins.description import SAFE_HTML_TAGS


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"JENKINS_DESCRIPTION_FORMAT": "html"}


def test_html_description_keeps_people_text_uses_safe_tags_and_is_never_doubled(
    celery_worker: Any, jenkins_double: Any, storage: Any
) -> None:
    from worker.celery_app import app

    jenkins_double.add_build(
        "team/web", 8, "FAILURE", console=pipeline_log(MAVEN_TEST_FAILURE, noise_lines=50),
        description="deployed to <i>staging</i>",
    )  # fmt: skip
    for _ in range(2):  # a redelivered task writes the same block again, in the same place
        result = app.send_task(
            task_names.ANALYZE_BUILD,
            kwargs={"jenkins_url": jenkins_double.url, "job": "team/web", "build": 8},
        ).get(timeout=60)
        assert result["description_set"] is True
        time.sleep(0.05)

    description = jenkins_double.description("team/web", 8) or ""
    assert description.startswith("deployed to <i>staging</i>\n" + MARK_START)
    assert description.count(MARK_START) == 1 and description.endswith(MARK_END)
    block = description.split(MARK_START, 1)[1]
    assert {t.lower() for t in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", block)} <= SAFE_HTML_TAGS
    analysis = storage.analyses.get("team/web", 8)
    assert analysis["description"]["format"] == "html"
    assert f'<a href="{analysis["page_url"]}">Full analysis</a>' in block
    summary = block.split("</b> - ", 1)[1].split("<br>", 1)[0]
    assert "<" not in summary  # the log's text is escaped, never markup
