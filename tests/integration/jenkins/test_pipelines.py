"""Declarative Jenkinsfile validation and Pipeline job creation over HTTP."""

from __future__ import annotations

import pytest

from tests.jenkins_double import JenkinsDouble
from worker.jenkins import JenkinsClient, JenkinsError

VALID = """pipeline {
    agent any
    stages {
        stage('Test') { steps { sh 'mvn -B verify && echo "<done>"' } }
    }
}
"""


def test_a_valid_jenkinsfile_passes_validation(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    result = client.validate_jenkinsfile(VALID)
    assert result.valid and result.errors == []
    assert ("POST", "/pipeline-model-converter/validate") in jenkins_double.requests


def test_an_invalid_jenkinsfile_lists_jenkins_errors(client: JenkinsClient) -> None:
    result = client.validate_jenkinsfile("pipeline {\n  stages {\n  }\n}\n")
    assert not result.valid
    assert result.errors == ['WorkflowScript: 1: Missing required section "agent" @ line 1, column 1.']
    with pytest.raises(ValueError, match="text"):
        client.validate_jenkinsfile("  ")


def test_creating_a_job_is_a_dry_run_unless_confirmed(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_job("team", kind="folder")
    plan = client.create_pipeline_job("team/new-service", VALID)
    assert plan.dry_run and "team/new-service" not in jenkins_double.jobs
    assert not any(path.endswith("createItem") for _, path in jenkins_double.requests)
    assert "<script>" in plan.config_xml and "&lt;done&gt;" in plan.config_xml

    done = client.create_pipeline_job("team/new-service", VALID, confirm=True)
    assert not done.dry_run and done.url == f"{jenkins_double.url}job/team/job/new-service/"
    created = jenkins_double.jobs["team/new-service"]
    assert created.kind == "pipeline" and created.config_xml == plan.config_xml
    assert ("POST", "/job/team/createItem") in jenkins_double.requests

    with pytest.raises(JenkinsError) as err:
        client.create_pipeline_job("team/new-service", VALID, confirm=True)
    assert err.value.status == 400


def test_an_invalid_jenkinsfile_never_becomes_a_job(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    with pytest.raises(ValueError, match="Missing required section"):
        client.create_pipeline_job("broken", "pipeline { stages { } }", confirm=True)
    assert "broken" not in jenkins_double.jobs
