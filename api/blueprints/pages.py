"""The analysis page for people: server-rendered HTML behind a signed, expiring, read-only link.

``GET /analyses/<token>`` needs no API token: the token in the path (``worker.links``) names one analysis and
proves we issued the link; a changed or expired one answers 403 with a page that says so. The page shows that
analysis and nothing else (no other analysis, build list or API data is reachable from it). Its form
(``POST /analyses/<token>/feedback``) records a verdict, rate-limited per link (``FEEDBACK_RATE_LIMIT``); the
JSON API keeps its bearer auth (``POST /api/v1/jobs/<job>/builds/<n>/feedback`` for signed-in clients).

No JavaScript: the page is HTML and one inline stylesheet, with a Content-Security-Policy that allows nothing
else, and ``Referrer-Policy: no-referrer`` so the link never leaks to Jenkins or anywhere a page links to.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, make_response, render_template, request, url_for

from api.openapi import Body, operation
from api.services import services
from worker.feedback import check_category, format_lines, parse_lines
from worker.links import LinkError, PageRef, read_page_token

bp = Blueprint("pages", __name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}
MAX_TOKEN_CHARS = 600


def _html(body: str, status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers.update(SECURITY_HEADERS)
    return response


def _refused(message: str, status: int = 403) -> Response:
    return _html(render_template("link_error.html", message=message, status=status), status)


def _ref(token: str) -> PageRef | Response:
    settings = services().settings
    key = settings.page_link_key
    if key is None or len(token) > MAX_TOKEN_CHARS:
        return _refused("This link is not valid.")
    try:
        return read_page_token(key, token, max_age_seconds=settings.page_link_max_age_seconds)
    except LinkError as exc:
        hint = (
            "Links on build pages work for "
            f"{settings.page_link_ttl_days} days; ask the assistant's API for a fresh one."
            if exc.expired
            else "Open it again from the build page in Jenkins."
        )
        return _refused(f"{str(exc).capitalize()}. {hint}")


def _page(description: str) -> Body:
    return Body(description=description, media_type="text/html", schema={"type": "string"})


_PAGE_ANSWERS = {
    200: _page("the analysis page"),
    403: _page("the link is not valid, or has expired (the page says which)"),
    404: _page("the analysis is no longer stored"),
}
_TOKEN = {"token": "the signed link token from the build page (read-only, expires)"}


def _analysis(ref: PageRef) -> dict[str, Any] | None:
    return services().storage.analyses.get(ref.job, ref.build, jenkins_url=ref.jenkins_url)


@bp.get("/analyses/<token>")
@operation(tags=["pages"], responses=_PAGE_ANSWERS, errors=[429], public=True, path_descriptions=_TOKEN)
def analysis_page(token: str) -> Response:
    """The page of one analysis (verdict, category, excerpt with console links, causes, history)."""
    ref = _ref(token)
    if isinstance(ref, Response):
        return ref
    analysis = _analysis(ref)
    if analysis is None:
        return _refused("This analysis is no longer stored.", 404)
    return _html(render_template("analysis.html", **page_context(analysis, token)))


@bp.post("/analyses/<token>/feedback")
@operation(
    tags=["pages"],
    uploads=["application/x-www-form-urlencoded"],
    responses={**_PAGE_ANSWERS, 422: _page("the page again, naming each form field at fault")},
    errors=[429],
    public=True,
    path_descriptions=_TOKEN,
)
def feedback(token: str) -> Response:
    """Record the reader's verdict (form fields ``verdict``, ``lines``, ``category``, ``comment``)."""
    ref = _ref(token)
    if isinstance(ref, Response):
        return ref
    analysis = _analysis(ref)
    if analysis is None:
        return _refused("This analysis is no longer stored.", 404)
    form = request.form
    errors: dict[str, str] = {}
    verdict = form.get("verdict", "")
    if verdict not in ("right", "wrong"):
        errors["verdict"] = "Choose whether the analysis is right or wrong."
    try:
        lines = parse_lines(form.get("lines", ""))
    except ValueError as exc:
        errors["lines"], lines = f"Lines: {exc}.", []
    try:
        category = check_category(form.get("category") or None)
    except ValueError as exc:
        errors["category"], category = f"Category: {exc}.", None
    comment = (form.get("comment") or "").strip()[:2000] or None
    if errors:
        context = page_context(analysis, token, errors=errors, form=form)
        return _html(render_template("analysis.html", **context), 422)
    services().storage.feedback.save(
        ref.jenkins_url,
        ref.job,
        ref.build,
        author=_link_author(token),
        verdict=verdict,
        lines=lines,
        category=category,
        comment=comment,
    )
    context = page_context(analysis, token, thanks=f"Thank you: recorded as {verdict}.")
    return _html(render_template("analysis.html", **context))


def _link_author(token: str) -> str:
    """Feedback through a link is one voice per link (a new verdict replaces the previous one)."""
    return "link:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def feedback_rate_key() -> str:
    """Flask-Limiter key of the feedback form: the link itself."""
    token = (request.view_args or {}).get("token", "")
    return "feedback:" + hashlib.sha256(str(token).encode()).hexdigest()[:16]


def page_context(
    analysis: dict[str, Any],
    token: str,
    *,
    errors: dict[str, str] | None = None,
    form: Any = None,
    thanks: str | None = None,
) -> dict[str, Any]:
    """What the template shows: the analysis, each excerpt line with its number, console link and new mark."""
    console = analysis.get("console_url") or ""
    blocks = []
    for index, block in enumerate(analysis.get("excerpt") or [], start=1):
        start = int(block.get("start_line") or 1)
        new = block.get("new_lines")
        new_set = set(new) if isinstance(new, list) else set()
        lines = [
            {
                "number": start + i,
                "text": text,
                "href": f"{console}#L{start + i}" if console else None,
                "new": start + i in new_set,
            }
            for i, text in enumerate(str(block.get("text") or "").split("\n"))
        ]
        blocks.append(
            {
                "index": index,
                "start": start,
                "end": start + len(lines) - 1,
                "lines": lines,
                "compared": new is not None,
                "new_count": len(new_set),
            }
        )
    title = f"{analysis.get('job')} #{analysis.get('build')}"
    return {
        "a": analysis,
        "title": title,
        "blocks": blocks,
        "causes": analysis.get("causes") or [],
        "similar": analysis.get("similar") or [],
        "resolution": analysis.get("resolution"),
        "explanation": _explanation_text(analysis.get("explanation")),
        "feedback_url": url_for("pages.feedback", token=token),
        "categories": _categories(),
        "errors": errors or {},
        "form": form or {},
        "thanks": thanks,
        "recorded_lines": format_lines,
    }


def _categories() -> tuple[str, ...]:
    from worker.analysis.models import CATEGORIES

    return CATEGORIES


def _explanation_text(explanation: Any) -> str | None:
    if isinstance(explanation, dict):
        text = explanation.get("text") or explanation.get("answer") or explanation.get("summary")
        return str(text) if text else None
    return str(explanation) if explanation else None
