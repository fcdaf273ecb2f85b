"""The secrets corpus (tests/secrets_corpus.py): every shape is redacted wherever the engine outputs it,
``jenkins-ai analyze`` (JSON and text) included.

The integration test ``tests/integration/worker/test_secret_leaks.py`` follows the same corpus through the
worker to MongoDB, Jenkins, the LLM, the API, the logs and the metrics.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.secrets_corpus import NOT_SECRETS, SHAPES, Shape
from worker.analysis import analyze_stream, redact
from worker.analysis.cli import analyze
from worker.analysis.redact import _detectors, redact_json

#: The five shapes that leaked before this corpus existed, among others that must stay covered.
MUST_HAVE = {
    "curl-u",
    "docker-login-p",
    "azure-storage-connection-string",
    "slack-webhook",
    "vault-token",
    "jwt",
    "pem-rsa-block",
    "authorization-bearer",
    "npmrc-auth-token",
    "pypirc",
    "maven-settings-xml",
    "docker-config-auth",
    "gcp-service-account-json",
    "azure-sas-url",
}


def failing_step_log(lines: str) -> bytes:
    """A Pipeline log whose failing ``sh`` step printed ``lines``."""
    return (
        "Started by user ci-bot\n[Pipeline] Start of Pipeline\n[Pipeline] stage\n[Pipeline] { (Deploy)\n"
        f"[Pipeline] sh\n{lines}\nERROR: script returned exit code 1\nFinished: FAILURE\n"
    ).encode()


def test_the_corpus_has_at_least_forty_distinct_shapes() -> None:
    ids = [shape.id for shape in SHAPES]
    assert len(ids) == len(set(ids)) >= 40
    assert set(ids) >= MUST_HAVE
    for shape in SHAPES:
        assert shape.secrets and all(secret in shape.lines for secret in shape.secrets), shape.id
        assert shape.context in shape.lines and all(shape.context not in s for s in shape.secrets), shape.id


@pytest.mark.parametrize("shape", SHAPES, ids=[s.id for s in SHAPES])
def test_redact_removes_the_secret_and_keeps_the_context(shape: Shape) -> None:
    out = redact(shape.lines)
    assert [s for s in shape.secrets if s in out] == []
    assert shape.context in out
    assert "<redacted>" in out


@pytest.mark.parametrize("shape", SHAPES, ids=[s.id for s in SHAPES])
def test_analysis_shows_the_failing_step_without_its_secret(shape: Shape) -> None:
    analysis = analyze_stream([failing_step_log(shape.lines)])
    shown = "\n".join(block.text for block in analysis.excerpt)
    assert shape.context in shown, "the lines were not in the excerpt: the test would prove nothing"
    dumped = analysis.model_dump_json() + analysis.signature_text()
    assert [s for s in shape.secrets if s in dumped] == []


def test_summary_cut_after_redaction_leaves_no_partial_secret() -> None:
    token = next(s for s in SHAPES if s.id == "github-classic-pat").secrets[0]
    line = "E" * 175 + " " + token + " rejected"  # the 200-character cut falls inside the token
    analysis = analyze_stream([failing_step_log(f"npm ERR! 403 {line}")])
    assert token[:8] not in analysis.summary


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_lines_that_only_look_like_secrets_are_kept(text: str) -> None:
    assert redact(text) == text


def test_redact_json_redacts_every_string_and_keeps_keys() -> None:
    pem = next(s for s in SHAPES if s.id == "curl-u")
    doc = {"password": "x", "steps": [{"command": pem.lines, "n": 3}], "ok": True}
    out = redact_json(doc)
    assert pem.secrets[0] not in str(out)
    assert out["steps"][0]["n"] == 3 and out["ok"] is True and set(out) == set(doc)


def test_the_maintained_ruleset_is_loaded() -> None:
    names = {detector.name for detector in _detectors()}
    # detect-secrets' detectors (a pip upgrade brings more), then the few shapes it lacks.
    assert {"AWSKeyDetector", "SlackDetector", "AzureStorageKeyDetector", "JwtTokenDetector"} <= names
    assert "IPPublicDetector" not in names
    assert {"vault-token", "docker-hub-pat"} <= names


@pytest.mark.parametrize(
    "adversarial",
    [
        "eyJ" * 60_000,
        "://a" * 50_000,
        "//" + "a" * 100_000 + "/:_authToken=",
        "1234567890" * 20_000,
        "AKC" * 60_000,
    ],
)
def test_token_shapes_stay_linear_on_long_unbroken_text(adversarial: str) -> None:
    # A ReDoS guard, not a benchmark: two detect-secrets patterns take tens of seconds here on Python's re.
    started = time.perf_counter()
    redact(adversarial)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("output_format", ["json", "text"])
def test_the_cli_prints_every_shape_without_its_secret(tmp_path: Path, output_format: str) -> None:
    files = []
    for number, shape in enumerate(SHAPES):
        path = tmp_path / f"{number:02d}-{shape.id}.log"
        path.write_bytes(failing_step_log(shape.lines))
        files.append(str(path))
    result = CliRunner().invoke(analyze, ["--format", output_format, *files])
    assert result.exit_code == 0, result.output
    printed = result.stdout + result.stderr
    if output_format == "json":  # the strings as a reader of the JSON gets them (quotes unescaped)
        printed += "\n".join(_strings(json.loads(result.stdout)))
    assert [s.id for s in SHAPES if s.context not in printed] == [], "every shape's lines were printed"
    assert [s.id for s in SHAPES for secret in s.secrets if secret in printed] == []


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
