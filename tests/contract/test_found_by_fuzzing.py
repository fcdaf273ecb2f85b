"""What the contract fuzzing found, pinned: each was a 500 or an answer the document did not allow."""

from __future__ import annotations

import requests
from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH, LiveServer


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


def test_an_integer_path_parameter_out_of_its_bounds_is_a_404_naming_it(live_server: LiveServer) -> None:
    # A queue id beyond 64 bits reached MongoDB (OverflowError, 500) before; the document now declares bounds.
    huge = "4761344944837645458997248"
    for path, name in (
        (f"/api/v1/queue/{huge}/cancel", "item_id"),
        (f"/api/v1/jobs/x/builds/{huge}/abort", "number"),
    ):
        response = requests.post(live_server.url + path, json={"confirm": True}, headers=AUTH, timeout=10)
        assert response.status_code == 404, response.text
        [error] = response.json()["error"]["fields"]
        assert (error["field"], error["rule"]) == (name, "range")
        # Authentication comes first: without a token the answer says nothing about the value.
        assert requests.post(live_server.url + path, json={}, timeout=10).status_code == 401
    zero = requests.get(f"{live_server.url}/api/v1/jobs/x/builds/0", headers=AUTH, timeout=10)
    assert zero.status_code == 404 and zero.json()["error"]["fields"][0]["field"] == "number"

    spec = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=10).json()
    for path, name in (
        ("/api/v1/queue/{item_id}/cancel", "item_id"),
        ("/api/v1/jobs/{job}/builds/{number}", "number"),
    ):
        [parameter] = [p for p in spec["paths"][path]["parameters"] if p["name"] == name]
        assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_request_bodies_take_json_types_strictly_and_no_unknown_field(live_server: LiveServer) -> None:
    # {"confirm": 0} was read as false (pydantic's lax mode) where the document says boolean.
    url = f"{live_server.url}/api/v1/plugins/git/install"
    for body, field, rule in (
        ({"confirm": 0}, "confirm", "bool_type"),
        ({"confirm": "true"}, "confirm", "bool_type"),
        ({"confirm": True, "force": True}, "force", "extra_forbidden"),
    ):
        response = requests.post(url, json=body, headers=AUTH, timeout=10)
        assert response.status_code == 422, body
        [error] = response.json()["error"]["fields"]
        assert (error["field"], error["rule"]) == (field, rule)
    event = {"jenkins_url": "https://ci.example.com", "job": "x", "build": "5", "event": "started"}
    response = requests.post(f"{live_server.url}/api/v1/events", json=event, headers=AUTH, timeout=10)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "build"
    assert requests.post(url, json={"confirm": False}, headers=AUTH, timeout=10).status_code == 202
