"""``POST /api/v1/analyze``: the engine runs in-process on the uploaded stream, bounded in size."""

from __future__ import annotations

import gzip
import http.client
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.api.conftest import AUTH, STATIC_TOKEN, LiveServer
from tests.logs import MAVEN_TEST_FAILURE, pipeline_log
from worker.analysis import analyze_stream


@pytest.fixture(scope="module")
def real_log() -> bytes:
    """A ~400 KB Jenkins log of a Maven build whose tests failed (generated: tests/logs.py)."""
    return pipeline_log(MAVEN_TEST_FAILURE, noise_lines=3500).encode()


def _assert_same_as_the_engine(client: FlaskClient, log: bytes) -> dict[str, Any]:
    response = client.post("/api/v1/analyze", data=log, headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    expected = analyze_stream([log]).model_dump(mode="json")
    # The API adds nothing and loses nothing: same result as the engine on the same bytes.
    assert body["category"] == expected["category"]
    assert body["fingerprint"] == expected["fingerprint"]
    assert body["excerpt"] == expected["excerpt"]
    assert (body["stats"]["lines"], body["stats"]["bytes"]) == (
        expected["stats"]["lines"],
        expected["stats"]["bytes"],
    )
    return dict(body)


def test_analyzes_plain_text_log_like_the_engine(client: FlaskClient, real_log: bytes) -> None:
    assert len(real_log) > 300_000
    assert _assert_same_as_the_engine(client, real_log)["category"] == "test"


@pytest.mark.corpus
def test_analyzes_real_ci_logs_like_the_engine(client: FlaskClient, corpus_dir: Path) -> None:
    """Real GitHub Actions failures (LogDx): colours, CRLF, odd bytes; the first three cases."""
    with gzip.open(corpus_dir / "data" / "logdx" / "cases.jsonl.gz", "rt", encoding="utf-8") as lines:
        logs = [json.loads(next(lines))["log"].encode() for _ in range(3)]
    for log in logs:
        _assert_same_as_the_engine(client, log)


@pytest.mark.parametrize(
    "content_type", ["application/gzip", "application/x-gzip", "application/octet-stream"]
)
def test_analyzes_gzip_upload(client: FlaskClient, real_log: bytes, content_type: str) -> None:
    # Two concatenated gzip members (``cat a.gz b.gz``) decompress to the whole log.
    half = len(real_log) // 2
    body = gzip.compress(real_log[:half]) + gzip.compress(real_log[half:])
    response = client.post("/api/v1/analyze", data=body, headers={**AUTH, "Content-Type": content_type})
    assert response.status_code == 200, response.get_json()
    expected = analyze_stream([real_log])
    assert response.get_json()["fingerprint"] == expected.fingerprint
    assert response.get_json()["stats"]["lines"] == expected.stats.lines


def test_text_format_is_a_readable_report(client: FlaskClient, real_log: bytes) -> None:
    response = client.post(
        "/api/v1/analyze?format=text", data=real_log, headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    analysis = analyze_stream([real_log])
    assert text.startswith(f"category: {analysis.category}\nsummary: {analysis.summary}\n")
    if analysis.excerpt:
        assert f"--- lines {analysis.excerpt[0].start_line}-{analysis.excerpt[0].end_line}" in text


def test_rejects_unknown_format(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/analyze?format=xml", data=b"x", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"][0]["field"] == "format"


def test_rejects_wrong_content_type(client: FlaskClient) -> None:
    response = client.post("/api/v1/analyze", json={"log": "x"}, headers=AUTH)
    assert response.status_code == 415
    assert "text/plain" in response.get_json()["error"]["message"]


def test_rejects_empty_body(client: FlaskClient) -> None:
    response = client.post("/api/v1/analyze", data=b"", headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == [
        {"field": "body", "rule": "missing", "message": "the request body is empty; send the log"}
    ]


def test_rejects_corrupt_gzip(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/analyze",
        data=b"\x1f\x8bnot really gzip",
        headers={**AUTH, "Content-Type": "application/gzip"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_gzip"


def test_rejects_upload_over_limit(make_app: Callable[..., Flask], real_log: bytes) -> None:
    client = make_app(MAX_UPLOAD_BYTES="100000").test_client()
    response = client.post("/api/v1/analyze", data=real_log, headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_upload_limit_is_separate_from_json_limit(make_app: Callable[..., Flask], real_log: bytes) -> None:
    """A 400 KB log passes although JSON bodies are capped far lower."""
    assert len(real_log) > 300_000
    client = make_app(MAX_BODY_BYTES="2048").test_client()
    response = client.post("/api/v1/analyze", data=real_log, headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 200


def test_rejects_gzip_bomb_by_decompressed_size(make_app: Callable[..., Flask]) -> None:
    bomb = gzip.compress(b"\n" * 5_000_000)  # ~5 KB on the wire, 5 MB of log
    client = make_app(MAX_UPLOAD_BYTES="1000000").test_client()
    response = client.post("/api/v1/analyze", data=bomb, headers={**AUTH, "Content-Type": "application/gzip"})
    assert response.status_code == 413
    assert "decompressed" in response.get_json()["error"]["message"]


def test_streams_chunked_upload_over_a_real_socket(live_server: LiveServer, real_log: bytes) -> None:
    parts = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.putrequest("POST", "/api/v1/analyze")
        conn.putheader("Authorization", f"Bearer {STATIC_TOKEN}")
        conn.putheader("Content-Type", "text/plain")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for start in range(0, len(real_log), 32768):
            chunk = real_log[start : start + 32768]
            conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200, body
    assert body["fingerprint"] == analyze_stream([real_log]).fingerprint
