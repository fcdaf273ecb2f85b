"""The analysis page behind a signed link, the feedback on it, and builds keyed by controller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH
from worker.links import page_url
from worker.models import BuildEvent
from worker.settings import Settings
from worker.storage import Storage

CI_A = "https://ci.example.com"
CI_B = "https://ci-b.example.com"
JOB = "team/api-service"
CONTROLLERS = '{"https://ci-b.example.com": {"user": "b", "token": "tb"}}'


def _store(storage: Storage, jenkins_url: str, build: int, marker: str) -> dict[str, Any]:
    storage.builds.upsert_event(
        BuildEvent.model_validate(
            {"jenkins_url": jenkins_url, "job": JOB, "build": build, "status": "FAILURE"}
        )
    )
    doc = {
        "category": "test",
        "summary": f"3 tests failed ({marker})",
        "excerpt": [
            {"start_line": 120, "end_line": 122, "score": 0.9, "new_lines": [121, 122],
             "text": f"[INFO] Tests run: 9\n[ERROR] testCreate <expected> {marker}\n<script>alert(1)</script>"},
            {"start_line": 300, "end_line": 300, "score": 0.2, "new_lines": None, "text": "BUILD FAILURE"},
        ],
        "causes": [{"id": "maven.surefire", "category": "test", "line": 121, "description": "Tests failed",
                    "fix": "Run OrderServiceTest locally"}],
        "similar": [{"jenkins_url": jenkins_url, "job": JOB, "build": 37, "fingerprint": "f", "score": 1.0,
                     "summary": "same", "category": "test", "fix": "fixed in build #38"}],
        "fingerprint": "ab12cd34",
        "stats": {"lines": 400, "bytes": 20000, "seconds": 0.01},
        "jenkins_url": jenkins_url,
        "console_url": f"{jenkins_url}/job/team/job/api-service/{build}/consoleFull",
        "build_url": f"{jenkins_url}/job/team/job/api-service/{build}/",
        "job_url": f"{jenkins_url}/job/team/job/api-service/",
        "retryable": False,
    }  # fmt: skip
    storage.analyses.save(jenkins_url, JOB, build, doc)
    return doc


def _path(settings: Settings, jenkins_url: str, build: int) -> str:
    url = page_url(settings, jenkins_url, JOB, build)
    assert url is not None
    return url.removeprefix(settings.public_api_url or "")


def _settings(app: Flask) -> Settings:
    settings: Settings = app.extensions["langchain_jenkins"].settings
    return settings


def _app(make_app: Callable[..., Flask], **env: Any) -> Flask:
    return make_app(PUBLIC_API_URL="https://ai.example.com", JENKINS_CONTROLLERS=CONTROLLERS, **env)


def test_the_page_opens_without_a_token_and_shows_the_lines_linked_to_the_console(
    make_app: Callable[..., Flask], storage: Storage
) -> None:
    app = _app(make_app)
    _store(storage, CI_A, 42, "on A")
    response = app.test_client().get(_path(_settings(app), CI_A, 42))

    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<a class="ln" href="https://ci.example.com/job/team/job/api-service/42/consoleFull#L121"' in html
    assert "testCreate &lt;expected&gt; on A" in html and "<script>alert" not in html  # escaped
    assert 'class="line new" id="line-121"' in html and 'class="line" id="line-120"' in html
    assert "Run OrderServiceTest locally" in html and "fixed in build #38" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_a_changed_link_is_refused_with_a_readable_page_and_the_json_api_keeps_its_token(
    make_app: Callable[..., Flask], storage: Storage
) -> None:
    app = _app(make_app)
    _store(storage, CI_A, 42, "on A")
    path = _path(_settings(app), CI_A, 42)
    client = app.test_client()

    cut = path.rindex(".") + 2  # a full base64 digit of the signature (the last may carry only padding bits)
    tampered = client.get(path[:cut] + ("A" if path[cut] != "A" else "B") + path[cut + 1 :])
    assert tampered.status_code == 403 and tampered.mimetype == "text/html"
    assert "This link is not valid" in tampered.get_data(as_text=True)
    assert client.get(f"/api/v1/jobs/{JOB}/builds/42/analysis").status_code == 401


def test_feedback_through_the_link_is_recorded_checked_and_rate_limited(
    make_app: Callable[..., Flask], storage: Storage
) -> None:
    app = _app(make_app, FEEDBACK_RATE_LIMIT="2/hour")
    _store(storage, CI_A, 42, "on A")
    path = _path(_settings(app), CI_A, 42)
    client = app.test_client()

    bad = client.post(f"{path}/feedback", data={"verdict": "right", "lines": "9-3"})
    assert bad.status_code == 422 and "lines start at 1 and a range goes upwards" in bad.get_data(
        as_text=True
    )
    good = client.post(
        f"{path}/feedback", data={"verdict": "wrong", "lines": "121-122", "category": "compilation"}
    )
    assert good.status_code == 200 and "recorded as wrong" in good.get_data(as_text=True)
    [saved] = storage.feedback.for_analysis(CI_A, JOB, 42)
    assert (saved["verdict"], saved["lines"], saved["category"]) == ("wrong", [[121, 122]], "compilation")
    assert client.post(f"{path}/feedback", data={"verdict": "right"}).status_code == 429


def test_a_signed_in_client_gives_feedback_through_the_json_api(
    make_app: Callable[..., Flask], storage: Storage
) -> None:
    app = _app(make_app)
    _store(storage, CI_A, 42, "on A")
    client: FlaskClient = app.test_client()
    response = client.post(f"/api/v1/jobs/{JOB}/builds/42/feedback", json={"verdict": "right"}, headers=AUTH)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["feedback"]["author"].startswith("static:")
    bad = client.post(f"/api/v1/jobs/{JOB}/builds/42/feedback", json={"verdict": "maybe"}, headers=AUTH)
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"][0]["field"] == "verdict"


def test_events_from_an_unknown_controller_are_refused_naming_the_field(
    make_app: Callable[..., Flask],
) -> None:
    client = _app(make_app).test_client()
    event = {"jenkins_url": "https://evil.example.com", "job": JOB, "build": 1, "status": "FAILURE"}
    response = client.post("/api/v1/events", json=event, headers=AUTH)
    assert response.status_code == 422
    [field] = response.get_json()["error"]["fields"]
    assert field["field"] == "jenkins_url" and field["rule"] == "unknown_controller"
    ok = client.post(
        "/api/v1/events", json={**event, "jenkins_url": "https://CI-B.example.com/"}, headers=AUTH
    )
    assert ok.status_code == 202 and ok.get_json()["status_url"].endswith(
        "?jenkins_url=https://ci-b.example.com"
    )


def test_the_same_job_and_number_on_two_controllers_are_two_builds(
    make_app: Callable[..., Flask], storage: Storage
) -> None:
    app = _app(make_app)
    _store(storage, CI_A, 42, "on A")
    _store(storage, CI_B, 42, "on B")
    client = app.test_client()

    ambiguous = client.get(f"/api/v1/jobs/{JOB}/builds/42", headers=AUTH)
    assert ambiguous.status_code == 422
    assert ambiguous.get_json()["error"]["fields"][0] == {
        "field": "jenkins_url",
        "rule": "ambiguous",
        "message": f"{JOB} #42 was reported by 2 controllers; pass ?jenkins_url= with one of: {CI_B}, {CI_A}",
    }
    for ci, marker in ((CI_A, "on A"), (CI_B, "on B")):
        doc = client.get(f"/api/v1/jobs/{JOB}/builds/42?jenkins_url={ci}/", headers=AUTH).get_json()
        assert doc["build"]["jenkins_url"] == ci and marker in doc["analysis"]["summary"]
        assert doc["analysis"]["page_url"].startswith("https://ai.example.com/analyses/")  # filled in on read
        page = client.get(_path(_settings(app), ci, 42)).get_data(as_text=True)
        assert marker in page and ("on B" if ci == CI_A else "on A") not in page
