"""Pure helpers of the API: JSON into models, SSE frames, gzip bounds, the queue client, the token command."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from celery.backends.base import DisabledBackend
from click.testing import CliRunner

from api.auth import verify_token
from api.blueprints.analyze import _gunzip, render_text
from api.blueprints.tasks import decode_message, sse, task_view
from api.cli import token
from api.errors import APIError
from api.queue import PUBLISH_RETRY_POLICY, create_celery_client
from api.validation import is_json_media_type, parse_json_model
from tests.services import make_settings
from worker.analysis import analyze_stream
from worker.models import TaskRequest
from worker.settings import get_settings


def test_parse_json_model_distinguishes_malformed_from_invalid() -> None:
    assert parse_json_model(TaskRequest, b'{"task": " hi "}').task == "hi"
    with pytest.raises(APIError) as malformed:
        parse_json_model(TaskRequest, b'{"task": ')
    assert malformed.value.status == 400 and malformed.value.code == "malformed_json"
    assert "line 1 column" in malformed.value.message
    with pytest.raises(APIError) as empty:
        parse_json_model(TaskRequest, b"  ")
    assert empty.value.code == "malformed_json" and "empty" in empty.value.message
    with pytest.raises(APIError) as invalid:
        parse_json_model(TaskRequest, b'{"task": ""}')
    assert invalid.value.status == 422 and invalid.value.fields[0].field == "task"
    assert invalid.value.fields[0].rule == "string_too_short"


@pytest.mark.parametrize(
    ("mimetype", "ok"),
    [("application/json", True), ("application/vnd.api+json", True), ("text/json", False), ("", False)],
)
def test_json_media_types(mimetype: str, ok: bool) -> None:
    assert is_json_media_type(mimetype) is ok


def test_sse_frames_one_event_per_block() -> None:
    frame = sse("progress", {"stage": "routing", "text": "line1\nline2"})
    assert frame.endswith("\n\n") and frame.count("\n") == 3
    event, data = frame.strip().split("\n")
    assert event == "event: progress"
    assert json.loads(data.removeprefix("data: ")) == {"stage": "routing", "text": "line1\nline2"}


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (b'{"event": "progress", "data": {"n": 1}}', ("progress", {"n": 1})),
        ('{"event": "result", "data": null}', ("result", None)),
        (b'{"event": "other", "data": {}}', None),
        (b"[1]", None),
        (b"\xff\xfe", None),
        (b"not json", None),
    ],
)
def test_decode_message_accepts_only_known_events(raw: bytes | str, decoded: object) -> None:
    assert decode_message(raw) == decoded


def test_task_view_hides_the_payload() -> None:
    record = {"task_id": "t", "status": "queued", "kind": "k", "payload": {"task": "x"}, "result": None}
    view = task_view(record)
    assert "payload" not in view and view["task_id"] == "t" and view["error"] is None


def test_gunzip_handles_concatenated_members_and_small_chunks() -> None:
    data = b"".join(f"line {i}\n".encode() for i in range(20000))
    blob = gzip.compress(data[:1000]) + gzip.compress(data[1000:])
    chunks = [blob[i : i + 7] for i in range(0, len(blob), 7)]
    assert b"".join(_gunzip(iter(chunks), limit=len(data))) == data


def test_gunzip_stops_at_the_limit() -> None:
    blob = gzip.compress(b"x" * 1_000_000)
    with pytest.raises(APIError) as info:
        for _ in _gunzip(iter([blob]), limit=100_000):
            pass
    assert info.value.status == 413


def test_gunzip_reports_corrupt_data() -> None:
    with pytest.raises(APIError) as info:
        list(_gunzip(iter([b"\x1f\x8b\x08\x00garbage-garbage"]), limit=1000))
    assert info.value.code == "malformed_gzip"
    assert isinstance(info.value.__cause__, zlib.error) or info.value.__cause__ is None


def test_render_text_lists_causes_and_excerpts() -> None:
    log = b"compiling\nsrc/main.c:3:1: error: expected ';' before '}' token\nmake: *** [all] Error 1\n"
    analysis = analyze_stream([log])
    text = render_text(analysis)
    assert text.startswith(f"category: {analysis.category}\nsummary: {analysis.summary}\n")
    for block in analysis.excerpt:
        assert f"--- lines {block.start_line}-{block.end_line}" in text


def test_queue_client_is_json_only_without_result_backend() -> None:
    celery = create_celery_client(make_settings(REDIS_URL="redis://127.0.0.1:6399/3"))
    assert celery.conf.broker_url == "redis://127.0.0.1:6399/3"
    assert celery.conf.task_serializer == "json" and celery.conf.accept_content == ["json"]
    # No backend: send_task must not subscribe the web process to every task's result channel.
    assert isinstance(celery.backend, DisabledBackend)
    assert celery.conf.task_publish_retry_policy == PUBLISH_RETRY_POLICY
    assert celery.conf.broker_transport_options["socket_connect_timeout"] <= 2


def test_token_command_prints_a_verifiable_jwt(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "cli-test-secret-that-is-at-least-32-bytes"
    get_settings.cache_clear()
    monkeypatch.setenv("JWT_SECRET", secret)
    try:
        result = CliRunner().invoke(token, ["jenkins-prod", "--ttl", "90"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    principal = verify_token(result.output.strip(), make_settings(JWT_SECRET=secret, API_TOKENS=""))
    assert principal.subject == "jenkins-prod"


def test_token_command_explains_a_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.chdir("/")  # no .env file here
    try:
        result = CliRunner().invoke(token, ["ci"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "JWT_SECRET is not set" in result.output
