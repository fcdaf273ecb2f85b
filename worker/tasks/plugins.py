"""Plugin tasks: inventory (with updates and security warnings) and install behind confirmation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from worker import task_names
from worker.celery_app import app
from worker.tasks.base import LangchainJenkinsTask, parse_payload


class InstallPayload(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+(@[A-Za-z0-9_.\-]+)?$")
    confirm: bool = False


@app.task(name=task_names.LIST_PLUGINS, base=LangchainJenkinsTask, bind=True)
def inventory(self: LangchainJenkinsTask) -> dict[str, Any]:
    """Installed plugins with versions, available updates and active security warnings."""
    report = self.ctx.jenkins.plugin_report()  # each source read once
    return {
        "core_version": report.core_version,
        "plugins": [p.model_dump(mode="json") for p in report.plugins],
        "updates": [p.model_dump(mode="json") for p in report.updates],
        "security_warnings": [w.model_dump(mode="json") for w in report.warnings],
    }


@app.task(name=task_names.INSTALL_PLUGIN, base=LangchainJenkinsTask, bind=True)
def install(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Install or upgrade a plugin; a dry run unless ``confirm`` is true."""
    req = parse_payload(InstallPayload, payload)
    action = self.jenkins_for(None).install_plugin(req.name, confirm=req.confirm)
    return dict(action.model_dump(mode="json"))
