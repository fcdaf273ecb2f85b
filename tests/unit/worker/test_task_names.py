"""The API sends tasks by name: every name it can send must be a task the worker registers."""

from __future__ import annotations

import ast
from pathlib import Path

from worker import task_names
from worker.celery_app import TASK_MODULES, app

API_DIR = Path(__file__).resolve().parents[3] / "api"


def _registered() -> set[str]:
    app.loader.import_default_modules()
    for module in TASK_MODULES:
        __import__(module)
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_name_constant_is_registered_in_the_worker() -> None:
    assert _registered() >= task_names.ALL_TASK_NAMES


def test_the_tasks_the_api_sends_without_events_send_none_from_the_worker_either() -> None:
    # A task-sent event without the worker's received/succeeded ones would leave Flower a task "sent" forever.
    _registered()
    assert {name for name in task_names.ALL_TASK_NAMES if not app.tasks[name].send_events} == (
        task_names.WITHOUT_EVENTS
    )


def test_every_task_name_the_api_uses_is_a_known_constant() -> None:
    used: set[str] = set()
    for path in API_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "worker.task_names":
                values = (getattr(task_names, alias.name) for alias in node.names if alias.name.isupper())
                used.update(value for value in values if isinstance(value, str))
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "task_names"
                and node.attr.isupper()
                and isinstance(getattr(task_names, node.attr), str)
            ):
                used.add(getattr(task_names, node.attr))
    assert used, "the API sends no task by name: expected uses of worker.task_names constants"
    assert used <= _registered()
