"""The description is served without a token, the docs page works offline, and what the API really answers
conforms to the description (status codes and bodies, errors included)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from tests.integration.api.conftest import AUTH
from worker.models import BuildEvent
from worker.storage import Storage

EVENT = {"jenkins_url": "https://ci.example.com", "job": "team/api", "build": 7, "status": "FAILURE"}


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # no token
    assert response.status_code == 200 and response.mimetype == "application/json"
    document: dict[str, Any] = response.get_json()
    return document


def assert_conforms(spec: dict[str, Any], path: str, method: str, response: Any) -> None:
    """The response's status is documented for the operation and its JSON body matches the schema."""
    op = spec["paths"][path][method]
    documented = op["responses"].get(str(response.status_code))
    assert documented is not None, f"{method.upper()} {path} answered an undocumented {response.status_code}"
    if "$ref" in documented:
        documented = spec["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"][response.mimetype]["schema"]
    # $refs point into #/components: validate against a root that has them.
    OAS31Validator({**schema, "components": spec["components"]}).validate(response.get_json())


def test_the_description_and_the_docs_page_need_no_token(client: FlaskClient, spec: dict[str, Any]) -> None:
    assert spec["info"]["title"] == "langchain-jenkins API"
    validate(spec)  # the document as served (not only as built) is valid OpenAPI 3.1
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    # Every script and stylesheet is served by the API itself: the page works without internet access.
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/api/v1/docs/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/api/v1/docs").status_code == 308  # to the page
    # The rest of /api/v1 still needs a token, near-misses included.
    for path in ("/api/v1/openapi.jsonx", "/api/v1/docsx", "/api/v1/tasks/abc"):
        assert client.get(path).status_code == 401, path


def test_real_answers_conform_to_the_description(
    client: FlaskClient, spec: dict[str, Any], storage: Storage
) -> None:
    storage.builds.upsert_event(BuildEvent.model_validate(EVENT))
    storage.analyses.save(
        EVENT["jenkins_url"],
        "team/api",
        7,
        {
            "category": "test",
            "summary": "1 test failed",
            "excerpt": [{"start_line": 3, "end_line": 4, "text": "FAILED x", "score": 0.9}],
            "causes": [
                {"id": "junit.test-failure", "category": "test", "description": "d", "fix": "f", "line": 3}
            ],
            "fingerprint": "ab12",
            "stats": {"lines": 9, "bytes": 90, "seconds": 0.01},
        },
    )
    job = "/api/v1/jobs/{job}"
    checks = [
        ("post", "/api/v1/events", client.post("/api/v1/events", json=EVENT, headers=AUTH)),
        ("post", "/api/v1/tasks", client.post("/api/v1/tasks", json={"task": "why?"}, headers=AUTH)),
        ("get", f"{job}/builds", client.get("/api/v1/jobs/team/api/builds", headers=AUTH)),
        ("get", f"{job}/builds/{{number}}", client.get("/api/v1/jobs/team/api/builds/7", headers=AUTH)),
        (
            "get",
            f"{job}/builds/{{number}}/analysis",
            client.get("/api/v1/jobs/team/api/builds/7/analysis", headers=AUTH),
        ),
        ("get", f"{job}/flaky", client.get("/api/v1/jobs/team/api/flaky", headers=AUTH)),
        ("get", "/readyz", client.get("/readyz")),
        ("get", "/healthz", client.get("/healthz")),
        # errors: every one in the same documented shape
        ("post", "/api/v1/events", client.post("/api/v1/events", json={**EVENT, "build": 0}, headers=AUTH)),
        (
            "post",
            "/api/v1/events",
            client.post("/api/v1/events", data="{", headers={**AUTH, "Content-Type": "application/json"}),
        ),
        (
            "post",
            "/api/v1/events",
            client.post("/api/v1/events", data="x", headers={**AUTH, "Content-Type": "text/plain"}),
        ),
        ("post", "/api/v1/events", client.post("/api/v1/events", json=EVENT)),
        ("get", "/api/v1/tasks/{task_id}", client.get("/api/v1/tasks/nope", headers=AUTH)),
        ("get", f"{job}/builds", client.get("/api/v1/jobs/team/api/builds?limit=0", headers=AUTH)),
        (
            "post",
            "/api/v1/analyze",
            client.post(
                "/api/v1/analyze", data=b"\x1f\x8bno", headers={**AUTH, "Content-Type": "application/gzip"}
            ),
        ),
    ]
    task_id = checks[1][2].get_json()["task_id"]
    checks.append(("get", "/api/v1/tasks/{task_id}", client.get(f"/api/v1/tasks/{task_id}", headers=AUTH)))
    statuses = []
    for method, path, response in checks:
        assert_conforms(spec, path, method, response)
        statuses.append(response.status_code)
    assert statuses == [202, 202, 200, 200, 200, 200, 200, 200, 422, 400, 415, 401, 404, 422, 400, 200]
