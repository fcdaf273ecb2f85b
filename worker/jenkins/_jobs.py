"""Jobs: listing, existence, status; Jenkinsfile validation and Pipeline job creation."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from worker.jenkins._core import ClientCore
from worker.jenkins.errors import JenkinsNotFound
from worker.jenkins.jenkinsapi_bridge import job_names
from worker.jenkins.models import TREES, JobAction, JobStatus, ValidationResult
from worker.jenkins.urls import job_path, split_job_name


class JobsMixin(ClientCore):
    """Jobs and Pipeline definitions."""

    def jobs(self) -> list[str]:
        """Full names of every job (folders walked, folders themselves left out), sorted (through jenkinsapi:
        one GET for the root plus one per folder, each with ``tree=jobs[name,color...]``)."""
        return sorted(job_names(self.api))

    def has_job(self, job: str) -> bool:
        """Whether ``job`` (a full name such as ``team/api-service``) exists and is visible to us (one GET).

        Plain REST on purpose: jenkinsapi's ``has_job`` lists every job in every folder to answer one name.
        """
        try:
            self.http.get_json(job_path(job), "name")
        except JenkinsNotFound:
            return False
        return True

    def job_status(self, job: str, limit: int = 10) -> JobStatus:
        """Health, queue state and the ``limit`` most recent builds of a job (one GET)."""
        if not 1 <= limit <= 100:
            raise ValueError(f"limit: must be between 1 and 100, got {limit!r}")
        data = self.http.get_json(job_path(job), TREES["job_status"] % limit)
        return JobStatus.from_api(job, data)

    def validate_jenkinsfile(self, text: str) -> ValidationResult:
        """Validate a declarative Jenkinsfile with ``POST pipeline-model-converter/validate`` (one POST)."""
        if not text or not text.strip():
            raise ValueError("text: the Jenkinsfile is empty")
        response = self.http.post("pipeline-model-converter/validate", data={"jenkinsfile": text})
        message = response.text.strip()
        # Jenkins answers in words: "Jenkinsfile successfully validated." or "Errors encountered validating
        # Jenkinsfile:" followed by one "WorkflowScript: <line>: <message>" per problem.
        # Each error is followed by the offending source line and a caret, which we leave to ``message``.
        valid = message.lower().startswith("jenkinsfile successfully validated")
        lines = message.splitlines()
        errors = [] if valid else [ln.strip() for ln in lines if ln.startswith("WorkflowScript:")]
        if not valid and not errors:
            errors = [message or f"Jenkins answered {response.status_code} without a verdict"]
        return ValidationResult(valid=valid, errors=errors, message=message)

    def create_pipeline_job(
        self, name: str, jenkinsfile: str, *, confirm: bool = False, sandbox: bool = True
    ) -> JobAction:
        """Create Pipeline job ``name`` from a Jenkinsfile (``folder/job`` creates it in an existing folder).

        A dry run unless ``confirm=True`` (returns the config.xml it would post). Either way the Jenkinsfile
        is validated first and an invalid one is refused with :class:`ValueError` listing Jenkins' errors.
        """
        segments = split_job_name(name)
        config_xml = pipeline_config_xml(jenkinsfile, sandbox=sandbox)
        validation = self.validate_jenkinsfile(jenkinsfile)
        if not validation.valid:
            raise ValueError("jenkinsfile: Jenkins rejected it: " + "; ".join(validation.errors))
        folder, leaf = segments[:-1], segments[-1]
        parent = job_path("/".join(folder)) + "/" if folder else ""
        url = self.http.url(job_path(name) + "/")
        if not confirm:
            return JobAction(
                job=name,
                action="create",
                dry_run=True,
                url=url,
                config_xml=config_xml,
                message=f"dry run: would create Pipeline job {name}; pass confirm=True to do it",
            )
        self.http.post(
            f"{parent}createItem",
            params={"name": leaf},
            data=config_xml.encode("utf-8"),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        return JobAction(
            job=name,
            action="create",
            dry_run=False,
            url=url,
            config_xml=config_xml,
            message=f"created {name}",
        )


def pipeline_config_xml(jenkinsfile: str, *, sandbox: bool = True) -> str:
    """config.xml of a Pipeline job running ``jenkinsfile`` (ElementTree escapes it, so any text is safe)."""
    if not jenkinsfile or not jenkinsfile.strip():
        raise ValueError("jenkinsfile: the Jenkinsfile is empty")
    root = ET.Element("flow-definition", plugin="workflow-job")
    ET.SubElement(root, "actions")
    ET.SubElement(root, "description").text = "Created by langchain-jenkins"
    ET.SubElement(root, "keepDependencies").text = "false"
    ET.SubElement(root, "properties")
    definition = ET.SubElement(
        root,
        "definition",
        {"class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition", "plugin": "workflow-cps"},
    )
    ET.SubElement(definition, "script").text = jenkinsfile
    ET.SubElement(definition, "sandbox").text = "true" if sandbox else "false"
    ET.SubElement(root, "triggers")
    ET.SubElement(root, "disabled").text = "false"
    return "<?xml version='1.1' encoding='UTF-8'?>\n" + ET.tostring(root, encoding="unicode")
