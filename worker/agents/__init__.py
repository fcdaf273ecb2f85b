"""The supervisor and the four specialist agents (build, log, pipeline, plugin).

Public interface::

    AgentServices(settings, jenkins, analyses, builds, progress)   # injected clients
    build_chat_model(settings) -> BaseChatModel | None              # ChatOpenAI or None
    route(text, context, *, llm=None) -> RoutingDecision
    run_task(text, context, *, services, llm) -> TaskResult          # may end "needs_confirmation"
    run_confirmed(plan, *, services, store) -> TaskResult            # runs a claimed plan, once

Importing this package connects to nothing; the chat model and the clients are passed in.
"""

from worker.agents.llm import build_chat_model
from worker.agents.models import AGENT_NAMES, AgentName, RoutingDecision, TaskResult, Usage
from worker.agents.router import OfflineRouter, default_router, route
from worker.agents.services import AgentServices
from worker.agents.supervisor import run_confirmed, run_task

__all__ = [
    "AGENT_NAMES",
    "AgentName",
    "AgentServices",
    "OfflineRouter",
    "RoutingDecision",
    "TaskResult",
    "Usage",
    "build_chat_model",
    "default_router",
    "route",
    "run_confirmed",
    "run_task",
]
