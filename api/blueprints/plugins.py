"""Jenkins plugins: inventory (versions, updates, security warnings) and install/upgrade, as worker tasks."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint

from api.blueprints.tasks import start_task
from api.errors import FieldError, validation_error
from api.openapi import Body, operation
from api.schemas import ConfirmRequest, TaskAccepted
from api.validation import json_body
from worker.task_names import INSTALL_PLUGIN, LIST_PLUGINS

bp = Blueprint("plugins", __name__, url_prefix="/api/v1/plugins")

#: Jenkins plugin ids (artifactId): letters, digits, '-', '_', '.'.
PLUGIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@bp.get("")
@operation(tags=["plugins"], responses={202: Body(TaskAccepted, "queued for a worker")}, scope="read")
def list_plugins() -> tuple[dict[str, Any], int]:
    """Queue the plugin inventory (``plugins.inventory``): 202, the result arrives on the task."""
    return start_task(LIST_PLUGINS, {}), 202


@bp.post("/<name>/install")
@operation(
    tags=["plugins"],
    body=ConfirmRequest,
    body_required=False,
    responses={202: Body(TaskAccepted, "queued for a worker")},
    path_descriptions={"name": "the plugin id (artifactId), optionally @version: git or git@5.2.1"},
    scope="admin",
)
def install_plugin(name: str) -> tuple[dict[str, Any], int]:
    """Queue ``plugins.install`` for ``name`` (body ``{"confirm": true}`` to really install)."""
    if not PLUGIN_NAME.match(name):
        raise validation_error(
            [FieldError("name", "pattern", "a plugin id: letters, digits, '.', '_' and '-', at most 128")]
        )
    req = json_body(ConfirmRequest, empty_ok=True)
    return start_task(INSTALL_PLUGIN, {"name": name, "confirm": req.confirm}), 202
