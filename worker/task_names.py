"""Stable task names: the contract between the API (which sends tasks by name) and the worker.

The API imports only this module, never ``worker.tasks``; a test asserts every name here is registered.
"""

from typing import Final

INGEST_EVENT: Final = "builds.ingest_event"
ANALYZE_BUILD: Final = "logs.analyze_build"
HANDLE_TASK: Final = "agents.handle_task"
CONFIRM_TASK: Final = "agents.confirm_task"
TRIGGER_BUILD: Final = "builds.trigger"
ABORT_BUILD: Final = "builds.abort"
REBUILD: Final = "builds.rebuild"
FLAKY_REPORT: Final = "builds.flaky_report"
JOB_STATUS: Final = "builds.status"
WAIT_FOR_BUILD: Final = "builds.wait"
QUEUE_STATUS: Final = "jenkins.queue"
CANCEL_QUEUE_ITEM: Final = "jenkins.cancel_queue_item"
VALIDATE_PIPELINE: Final = "pipelines.validate"
LIST_PLUGINS: Final = "plugins.inventory"
INSTALL_PLUGIN: Final = "plugins.install"

#: Every name above (the worker registers each; a test checks it).
ALL_TASK_NAMES: Final = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)

#: Tasks that send no monitoring events (Flower's task-sent/received/started/succeeded): the API publishes no
#: ``task-sent`` for them and the worker's task sets ``send_events=False``. Build events are the many small tasks:
#: their events cost the worker's consumer a third of its CPU per event (one Redis PUBLISH each) and would push
#: the analyses and agent tasks out of Flower's window of recent tasks; the worker's task metrics still count them.
WITHOUT_EVENTS: Final = frozenset({INGEST_EVENT})
