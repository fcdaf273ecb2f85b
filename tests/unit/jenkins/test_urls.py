"""Job names <-> Jenkins URL paths, including folders and names Jenkins cannot have."""

from __future__ import annotations

import pytest

from worker.jenkins.urls import build_path, check_build_number, job_name_from_url, job_path


def test_folders_become_nested_job_segments() -> None:
    assert job_path("team/api-service") == "job/team/job/api-service"
    assert job_path("a/b/c") == "job/a/job/b/job/c"
    assert build_path("team/app", 12) == "job/team/job/app/12"


def test_segments_are_percent_encoded_so_spaces_and_hashes_survive() -> None:
    assert job_path("Test Workflow") == "job/Test%20Workflow"
    assert job_path("team/feature#1") == "job/team/job/feature%231"
    assert job_path("ünïcode") == "job/%C3%BCn%C3%AFcode"


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "non-empty"),
        ("/app", "start or end"),
        ("app/", "start or end"),
        ("a//b", "empty folder"),
        ("a/../b", "'..'"),
        ("   ", "non-empty"),
    ],
)
def test_rejects_job_names_jenkins_cannot_have(name: str, rule: str) -> None:
    with pytest.raises(ValueError, match="job") as err:
        job_path(name)
    assert rule in str(err.value)


@pytest.mark.parametrize("build", [0, -1, True, "3", 1.0])
def test_rejects_build_numbers_that_are_not_positive_ints(build: object) -> None:
    with pytest.raises(ValueError, match="build: must be an integer >= 1"):
        check_build_number(build)  # type: ignore[arg-type]


def test_job_names_come_back_from_job_and_build_urls() -> None:
    assert job_name_from_url("http://ci:8080/job/team/job/app/") == "team/app"
    assert job_name_from_url("http://ci:8080/job/team/job/app/14/") == "team/app"
    assert job_name_from_url("https://host/jenkins/job/Test%20Workflow/16/") == "Test Workflow"
    assert job_name_from_url("http://ci/queue/item/4/") is None
