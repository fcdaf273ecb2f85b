"""The local Jenkinsfile linter finds structure, step and credentials problems, with line numbers."""

from __future__ import annotations

from worker.pipelines import lint_jenkinsfile

GOOD = """\
@Library('shared') _
pipeline {
    agent any
    environment {
        API = credentials('api-token')
    }
    stages {
        stage('Build') {
            steps {
                sh 'make'
                script {
                    def x = customThing()
                }
            }
        }
    }
}
"""


def rules(source: str) -> list[tuple[int, str]]:
    return [(issue.line, issue.rule) for issue in lint_jenkinsfile(source).issues]


def test_accepts_a_valid_pipeline_with_library_and_script_block() -> None:
    result = lint_jenkinsfile(GOOD)
    assert result.ok, [str(i) for i in result.issues]


def test_reports_missing_agent_and_stages() -> None:
    assert rules("pipeline {\n}\n") == [(1, "structure"), (1, "structure")]


def test_reports_unbalanced_braces_as_syntax() -> None:
    assert rules("pipeline {\n  agent any\n  stages {\n") == [(3, "syntax")]


def test_reports_unknown_step_and_directive() -> None:
    source = GOOD.replace("sh 'make'", "shell 'make'").replace("agent any", "agent any\n    stepz { }")
    assert rules(source) == [(4, "unknown-directive"), (11, "unknown-step")]


def test_reports_stage_without_steps_and_duplicate_names() -> None:
    source = """pipeline {
  agent any
  stages {
    stage('A') { steps { echo 'a' } }
    stage('A') { echo 'b' }
  }
}"""
    assert rules(source) == [(5, "duplicate-stage"), (5, "structure"), (5, "unknown-directive")]


def test_flags_secret_in_double_quoted_sh() -> None:
    source = GOOD.replace(
        "sh 'make'",
        "withCredentials([string(credentialsId: 'tok', variable: 'TOKEN')]) {\n"
        '                    sh "curl -H \\"Authorization: $TOKEN\\" x"\n'
        "                }",
    )
    result = lint_jenkinsfile(source)
    assert not result.ok
    assert [(i.line, i.rule) for i in result.issues] == [(11, "credentials-interpolation")]
    assert "TOKEN" in result.issues[0].message


def test_flags_environment_credentials_in_gstring_but_not_in_single_quotes() -> None:
    bad = GOOD.replace("sh 'make'", 'sh "deploy --token ${API_PSW}"')
    assert rules(bad) == [(10, "credentials-interpolation")]
    good = GOOD.replace("sh 'make'", "sh 'deploy --token $API_PSW'")
    assert lint_jenkinsfile(good).ok


def test_non_secret_gstrings_are_fine() -> None:
    source = GOOD.replace("sh 'make'", 'echo "build ${env.BUILD_NUMBER}"')
    assert lint_jenkinsfile(source).ok


def test_empty_file_is_an_error() -> None:
    assert rules("  \n") == [(1, "structure")]
