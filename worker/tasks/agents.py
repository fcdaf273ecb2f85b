"""Natural-language tasks: the supervisor routes them to a specialist agent."""

from __future__ import annotations

from typing import Any

from worker import task_names
from worker.celery_app import app
from worker.logging import get_logger
from worker.models import TaskRequest
from worker.tasks.base import LangchainJenkinsTask, parse_payload

log = get_logger(__name__)


@app.task(name=task_names.HANDLE_TASK, base=LangchainJenkinsTask, bind=True)
def handle_task(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Run the supervisor on ``{"task": "...", "context": {...}}``; the stored result is the agent's answer.

    A task that would change Jenkins ends ``status: "needs_confirmation"`` with the plan and a single-use token
    (kept in Redis); ``agents.confirm_task`` runs it once confirmed. ``scopes`` (set by the API from the caller's
    token, never by the caller) limits the Jenkins-changing tools; absent (a task sent by other code than the
    API), nothing is limited.
    """
    from worker.agents import AgentServices, run_task
    from worker.confirmations import ConfirmationStore

    scopes = payload.pop("scopes", None)
    req = parse_payload(TaskRequest, payload)
    ctx = self.ctx
    storage = ctx.storage
    services = AgentServices(
        settings=ctx.settings,
        jenkins=self.jenkins_for(None) if ctx.has_jenkins else None,  # Jenkins writes keyed by this task
        analyses=storage.analyses,
        builds=storage.builds,
        progress=lambda stage, data: self.progress(stage, **data),
        confirmations=ConfirmationStore(ctx.redis),
        task_id=self.request.id,
        scopes=frozenset(str(s) for s in scopes) if isinstance(scopes, list) else None,
    )
    result = run_task(req.task, req.context, services=services, llm=ctx.chat_model)
    answer: dict[str, Any] = result.model_dump(mode="json")
    log.info(
        "task answered", agent=answer.get("agent"), confidence=answer.get("confidence"), status=result.status
    )
    return answer


@app.task(name=task_names.CONFIRM_TASK, base=LangchainJenkinsTask, bind=True)
def confirm_task(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Run the actions of a plan the API claimed with its token (``{"plan": {...}}``), each at most once even
    when this task is retried."""
    from worker.agents import AgentServices, run_confirmed
    from worker.confirmations import ConfirmationStore, Plan

    scopes = payload.pop("scopes", None)  # the confirming token's: each action needs its tool's scope
    plan = parse_payload(Plan, payload.get("plan"))
    ctx = self.ctx
    services = AgentServices(
        scopes=frozenset(str(s) for s in scopes) if isinstance(scopes, list) else None,
        settings=ctx.settings,
        jenkins=self.jenkins_for(None) if ctx.has_jenkins else None,  # Jenkins writes keyed by this task
        analyses=ctx.storage.analyses,
        builds=ctx.storage.builds,
        progress=lambda stage, data: self.progress(stage, **data),
        task_id=self.request.id,
    )
    result = run_confirmed(plan, services=services, store=ConfirmationStore(ctx.redis))
    log.info("confirmed plan ran", origin=plan.task_id, actions=len(plan.actions))
    return result.model_dump(mode="json")
