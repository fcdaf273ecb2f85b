"""What the agents need from the rest of the worker, injected by the caller.

The Celery task, the CLI and the tests build these clients and pass them in; the agents never create a
connection themselves. Any service may be ``None``: a tool that needs a missing one says so instead of failing
the task.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typing only: importing this module connects to nothing and imports no client
    from worker.agents.confirmation import ConfirmationStore
    from worker.jenkins import JenkinsClient
    from worker.settings import Settings
    from worker.storage import AnalysisRepository, BuildRepository

ProgressCallback = Callable[[str, dict[str, Any]], None]


@dataclass
class AgentServices:
    """The clients a task may use.

    ``progress(stage, data)`` publishes progress events (the Celery task forwards them to ``tasks:<id>``).
    ``scopes``: what the API token that sent the task may do (``tools.TOOL_SCOPES``); None: no limit (CLI).
    """

    settings: Settings
    jenkins: JenkinsClient | None = None
    analyses: AnalysisRepository | None = None
    builds: BuildRepository | None = None
    progress: ProgressCallback | None = None
    #: Where plans awaiting confirmation are kept (Redis); without it a plan is shown but has no token.
    confirmations: ConfirmationStore | None = None
    #: The id of the task being run (Celery's), named in the confirmation URL; ``None`` outside the API.
    task_id: str | None = None
    #: What the API token that sent the task may do (``tools.TOOL_SCOPES``); None: no limit (CLI).
    scopes: frozenset[str] | None = None

    def report(self, stage: str, **data: Any) -> None:
        """Publish a progress event if anyone listens; a broken listener never fails the task."""
        if self.progress is None:
            return
        with contextlib.suppress(Exception):  # progress is best effort by design
            self.progress(stage, data)
