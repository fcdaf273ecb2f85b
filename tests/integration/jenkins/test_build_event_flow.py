"""The failed-build path end to end against the double: a Pipeline build with a multi-MB real log is streamed
into the analysis engine, the failed stage is named, the result is published in the build description, and a
second identical failure is recognised by its fingerprint. Also pins the REST calls per build event."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.jenkins_double import JenkinsDouble
from tests.logs import DISK_FULL, line_of, pipeline_log
from worker.analysis import Analysis, analyze_stream
from worker.analysis.flaky import detect_flaky
from worker.jenkins import MARK_START, JenkinsClient, extract_block, format_analysis_line

STAGES: list[dict[str, Any]] = [
    {"name": "Checkout", "status": "SUCCESS", "steps": [{"name": "Git", "status": "SUCCESS"}]},
    {
        "name": "Package",
        "status": "FAILED",
        "steps": [
            {
                "name": "Shell Script",
                "status": "FAILED",
                "parameter": "make -C .ci package",
                "error": "script returned exit code 1",
            }
        ],
    },
    {"name": "Declarative: Post Actions", "status": "SUCCESS", "steps": []},
]


@pytest.fixture(scope="module", params=["generated", pytest.param("recorded", marks=pytest.mark.corpus)])
def real_log(request: pytest.FixtureRequest) -> bytes:
    """A failed Pipeline console log of ~330 KB, 'No space left on device' while packaging: generated
    (tests/logs.py), and, as a corpus check, one recorded from a real controller (apm-pipeline-library)."""
    if request.param == "recorded":
        corpus: Path = request.getfixturevalue("corpus_dir")
        return (corpus / "fixtures/jenkins/apm-pipeline-library/pipeline-log.txt").read_bytes()
    return pipeline_log(DISK_FULL, noise_lines=3100).encode()


def _rerun(log: bytes) -> bytes:
    """The same failure on another day: new timestamps and a new temporary directory."""
    text = re.sub(r"\[\d{4}-\d\d-\d\dT", "[2030-01-02T", log.decode())
    return re.sub(r"package-(\w+)-staging-[0-9a-f]+", r"package-\1-staging-" + "9f" * 30, text).encode()


def analyze_build_event(
    client: JenkinsClient, job: str, build: int, link: str
) -> tuple[Analysis, str | None]:
    """What ``logs.analyze_build`` does with Jenkins for one failed build (the real one is the lead's)."""
    info = client.get_build(job, build)
    green = client.last_successful_build_number(job)
    previous = client.stream_console(job, green) if green else None
    analysis = analyze_stream(client.stream_console(job, info.number), previous=previous)
    stage = client.failed_stage(job, build)
    where = f" (stage {stage.name}, step {stage.step})" if stage else ""
    line = format_analysis_line(analysis.category, analysis.summary + where, link)
    client.set_build_description(job, build, line, current_description=info.description)
    return analysis, stage.name if stage else None


def test_a_failed_pipeline_build_is_analysed_published_and_recognised_again(
    client: JenkinsClient, jenkins_double: JenkinsDouble, real_log: bytes
) -> None:
    lines = real_log.split(b"\n")
    green_log = b"\n".join(lines[:1500]) + b"\nFinished: SUCCESS\n"
    big_log = real_log * 12  # ~3.9 MB
    assert len(big_log) > 3_500_000
    jenkins_double.add_build("team/apm", 10, "SUCCESS", green_log, stages=STAGES[:1])
    jenkins_double.add_build(
        "team/apm",
        11,
        "FAILURE",
        big_log,
        stages=STAGES,
        description="Release candidate (by Jenkinsfile)",
    )
    jenkins_double.add_build("team/apm", 12, "FAILURE", _rerun(real_log), stages=STAGES)

    start = len(jenkins_double.requests)
    first, stage = analyze_build_event(
        client, "team/apm", 11, "https://ai.example/api/v1/jobs/team/apm/builds/11"
    )
    calls = jenkins_double.requests[start:]

    assert stage == "Package"
    assert first.category == "infrastructure" and "No space left on device" in first.summary
    assert first.causes[0].id == "system.disk-full"
    assert first.causes[0].line == line_of(real_log, "No space left on device")
    assert "No space left on device" in first.excerpt[0].text  # not the post { } action's "[FAILURE]" echo
    description = jenkins_double.description("team/apm", 11) or ""
    assert description.startswith("Release candidate (by Jenkinsfile)\n" + MARK_START)
    block = extract_block(description) or ""
    assert (
        "<b>AI analysis: infrastructure</b>" in block
        and "stage Package, step sh &#x27;make -C .ci package&#x27;" in block
    )
    assert 'href="https://ai.example/api/v1/jobs/team/apm/builds/11"' in block

    # REST calls for this build event: 3 (build info, last green build, description) + 2 log streams
    # (this build and the last green one, for the diff) + 2 wfapi calls (failed stage, then its steps).
    stage_node = jenkins_double.jobs["team/apm"].builds[11].stages[1].id
    assert calls == [
        ("GET", "/job/team/job/apm/11/api/json"),
        ("GET", "/job/team/job/apm/api/json"),
        ("GET", "/job/team/job/apm/11/logText/progressiveText"),
        ("GET", "/job/team/job/apm/10/logText/progressiveText"),
        ("GET", "/job/team/job/apm/11/wfapi/describe"),
        ("GET", f"/job/team/job/apm/11/execution/node/{stage_node}/wfapi/describe"),
        ("POST", "/job/team/job/apm/11/submitDescription"),
    ]

    second, _ = analyze_build_event(
        client, "team/apm", 12, "https://ai.example/api/v1/jobs/team/apm/builds/12"
    )
    assert second.fingerprint == first.fingerprint

    # Stored history of these builds: an infrastructure failure is a retry candidate.
    report = detect_flaky(
        [
            {"build": 10, "result": "SUCCESS", "commit": "abc"},
            {
                "build": 11,
                "result": "FAILURE",
                "commit": "abc",
                "fingerprint": first.fingerprint,
                "category": first.category,
            },
            {
                "build": 12,
                "result": "FAILURE",
                "commit": "def",
                "fingerprint": second.fingerprint,
                "category": second.category,
            },
        ]
    )
    assert report.is_retry_candidate(11) and report.is_retry_candidate(12)
    assert [f.fingerprint for f in report.flaky_fingerprints] == [
        first.fingerprint
    ]  # failed and passed on abc
