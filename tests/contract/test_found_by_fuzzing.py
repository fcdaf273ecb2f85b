"""What the contract fuzzing found, pinned: each was a 500 or an answer the document did not allow."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH


def test_object_keys_with_a_nul_character_are_refused_not_a_500(client: FlaskClient) -> None:
    # BSON cannot store such a key: the write failed with InvalidDocument (500) before.
    body = b'{"task": "why?", "context": {"ok": {"bad\\u0000key": true}}}'
    response = client.post("/api/v1/tasks", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422
    [error] = response.get_json()["error"]["fields"]
    assert (error["field"], error["rule"]) == ("context.ok.bad\\u0000key", "null_character")


def test_an_empty_or_repeated_query_parameter_is_refused(client: FlaskClient) -> None:
    upload = {**AUTH, "Content-Type": "text/plain"}
    assert client.post("/api/v1/analyze?format=", data=b"ERROR x\n", headers=upload).status_code == 422
    repeated = client.post("/api/v1/analyze?format=json&format=text", data=b"ERROR x\n", headers=upload)
    assert repeated.status_code == 422
    assert repeated.get_json()["error"]["fields"][0]["rule"] == "repeated"
    for bad in ("", "1_0", " 5", "\u0665", "5.0"):
        response = client.get("/api/v1/jobs/team/api/builds", query_string={"limit": bad}, headers=AUTH)
        assert response.status_code == 422, bad
    assert client.get("/api/v1/jobs/team/api/builds?limit=5", headers=AUTH).status_code == 200


def test_a_path_value_the_route_does_not_take_is_a_documented_404(client: FlaskClient) -> None:
    response = client.post("/api/v1/queue/-4/cancel", headers=AUTH, json={})
    assert response.status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "404" in spec["paths"]["/api/v1/queue/{item_id}/cancel"]["post"]["responses"]


def test_an_integer_beyond_64_bits_is_refused_not_a_500(client: FlaskClient) -> None:
    # BSON has no such integer: the write failed with OverflowError (500) before.
    body = b'{"task": "why?", "context": {"n": [1, 755702652690374590464]}}'
    response = client.post("/api/v1/tasks", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"][0]["field"] == "context.n.1"
    fits = b'{"task": "why?", "context": {"n": 9223372036854775807, "id": "12345678901234567890"}}'
    ok = client.post("/api/v1/tasks", data=fits, headers={**AUTH, "Content-Type": "application/json"})
    assert ok.status_code == 202
