"""Pipeline stages and steps from ``wfapi`` (Pipeline Stage View), and the step named as a Jenkinsfile says it."""

from __future__ import annotations

from typing import Any

from worker.jenkins._core import ClientCore
from worker.jenkins.errors import JenkinsError, JenkinsNotFound
from worker.jenkins.models import StageInfo, parse_stages, pick_failed_stage, pick_failed_step
from worker.jenkins.urls import build_path

# wfapi names steps by their display name; people know them by the Jenkinsfile step.
_STEP_FUNCTIONS = {
    "Shell Script": "sh",
    "Windows Batch Script": "bat",
    "Windows PowerShell Script": "powershell",
    "PowerShell Script": "pwsh",
    "Error signal": "error",
    "Print Message": "echo",
    "Build a job": "build",
    "Wait for interactive input": "input",
    "Archive the artifacts": "archiveArtifacts",
    "Record JUnit test results": "junit",
    "Archive JUnit-formatted test results": "junit",
    "Check out from version control": "checkout",
    "Git": "git",
}


class StagesMixin(ClientCore):
    """Stages of a Pipeline run and the step that failed."""

    def stages(self, job: str, build: int) -> list[StageInfo]:
        """Pipeline stages of a build from ``wfapi/describe`` (one GET); ``[]`` for non-Pipeline jobs."""
        try:
            return parse_stages(self._wfapi(f"{build_path(job, build)}/wfapi/describe"))
        except JenkinsNotFound:
            return []

    def failed_stage(self, job: str, build: int) -> StageInfo | None:
        """The stage that failed and the step in it, e.g. stage "Test", step ``sh 'mvn verify'`` (two GETs).

        ``None`` when the job is not a Pipeline (no wfapi) or no stage failed. A FAILED stage wins over an
        UNSTABLE one, which wins over ABORTED; the step is the first failed step that carries an error.
        """
        stage = pick_failed_stage(self.stages(job, build))
        if stage is None:
            return None
        node = self._wfapi(f"{build_path(job, build)}/execution/node/{stage.id}/wfapi/describe")
        step = pick_failed_step(node)
        if step is not None:
            stage.step = describe_step(str(step.get("name") or ""), step.get("parameterDescription"))
            stage.error = (step.get("error") or {}).get("message") or stage.error
        return stage

    def _wfapi(self, path: str) -> dict[str, Any]:
        # wfapi (Pipeline Stage View) is not Stapler's api/json: it has no tree= and its answers are small.
        response = self.http.request("GET", path)
        try:
            data = response.json()
        except ValueError as exc:
            raise JenkinsError(f"wfapi answered {path} with something that is not JSON") from exc
        if not isinstance(data, dict):
            raise JenkinsError(f"wfapi answered {path} with an unexpected shape")
        return data


def describe_step(display_name: str, parameter: str | None) -> str:
    """``("Shell Script", "mvn verify")`` -> ``"sh 'mvn verify'"``: the step as a Jenkinsfile would say it."""
    function = _STEP_FUNCTIONS.get(display_name)
    if function is None:
        return f"{display_name}: {parameter}" if parameter else display_name
    return f"{function} '{parameter}'" if parameter else function
