"""A client wired to the Jenkins double with fast retries and polls (the double answers in microseconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import JenkinsClient


@pytest.fixture
def client(jenkins_double: JenkinsDouble) -> Iterator[JenkinsClient]:
    c = JenkinsClient(
        jenkins_double.url,
        jenkins_double.user,
        jenkins_double.token,
        timeout=5.0,
        retries=3,
        backoff=0.01,
        poll_interval=0.02,
    )
    try:
        yield c
    finally:
        c.close()
