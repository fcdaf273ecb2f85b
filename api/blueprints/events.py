"""Build events from the Jenkins shared library (``publishBuildEvent``)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, g

from api.openapi import Body, operation
from api.proxy import status_link
from api.queue import RateCharge
from api.schemas import EventAccepted
from api.services import services
from api.validation import configured_controller, json_body
from worker.models import BuildEvent
from worker.task_names import INGEST_EVENT

bp = Blueprint("events", __name__, url_prefix="/api/v1")


@bp.post("/events")
@operation(
    tags=["builds"],
    body=BuildEvent,
    responses={202: Body(EventAccepted, "queued for ingestion")},
    scope="analyze",
)
def post_event() -> tuple[dict[str, Any], int]:
    """Validate a build event and queue ``builds.ingest_event``; 202 with the build's URL.

    No task record is kept for events: the build itself is the thing to poll (``status_url``). An event from a
    controller that is not configured is refused with 422 naming ``jenkins_url``.
    """
    svc = services()
    # This request's rate-limit hit, when it is taken in the publish (one Redis round trip for both; else
    # Flask-Limiter took it before authentication).
    charge: RateCharge | None = g.get("rate_charge")
    try:
        event = json_body(BuildEvent)
        # Only configured controllers: the worker fetches this build's log from the one the event names.
        event = event.model_copy(
            update={"jenkins_url": configured_controller(svc.settings, event.jenkins_url)}
        )
    except Exception:
        if charge is not None:  # a refused request spends budget too (429 first when there is none left)
            svc.queue.charge(charge)
        raise
    task_id = str(uuid.uuid4())
    svc.queue.send(
        INGEST_EVENT,
        {"event": event.model_dump(mode="json")},
        task_id=task_id,
        request_id=g.request_id,
        # What Flower shows: the build, not its parameters (those are redacted only by the worker).
        summary=f"{event.event} {event.status or ''} {event.job} #{event.build}".replace("  ", " "),
        charge=charge,
    )
    status_url = status_link(
        "builds.get_build", job=event.job, number=event.build, jenkins_url=event.jenkins_url
    )
    return {"accepted": True, "task_id": task_id, "status_url": status_url}, 202
