"""Secrets never leave the engine: every text it returns goes through redact()."""

from __future__ import annotations

import time

import pytest

from worker.analysis import analyze_stream, redact

SECRETS = [
    ("curl -H 'Authorization: Bearer abcdef0123456789abcdef' https://api.acme.io", "abcdef0123456789abcdef"),
    ("Proxy-Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
    ("git clone https://deploy:s3cr3tP4ss@git.acme.io/team/api.git", "s3cr3tP4ss"),
    (
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("token: ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("GITLAB_TOKEN glpat-xR4nd0mT0k3nV4lu3zzzz", "glpat-xR4nd0mT0k3nV4lu3zzzz"),
    ("slack webhook xoxb-123456789012-abcdefghijkl", "xoxb-123456789012-abcdefghijkl"),
    (
        "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqZW5raW5zIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    ),
    ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
    ("DB_PASSWORD=correct-horse-battery", "correct-horse-battery"),
    ("docker login --password Sup3rS3cret -u ci", "Sup3rS3cret"),
    ("mysql -u root -pR00tPassw0rd shop", "R00tPassw0rd"),
    ("client_secret: 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a39281706"),
    (
        "npm config set //registry.npmjs.org/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    ("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz12", "sk-proj-abcdefghijklmnopqrstuvwxyz12"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS, ids=[s[:24] for s, _ in SECRETS])
def test_secret_is_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert "<redacted>" in out


def test_private_key_block_is_redacted_whole() -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\nAAAAC3NzaC1lZDI1NTE5\n-----END OPENSSH PRIVATE KEY-----"
    out = redact(f"writing key\n{key}\ndone")
    assert "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU" not in out
    assert out.startswith("writing key\n") and out.endswith("\ndone")


@pytest.mark.parametrize(
    "text",
    [
        "ERROR: password is required for user deploy",
        "fatal: Authentication failed for 'https://github.com/acme/api.git/'",
        "Using credentials from the environment",
        "[ERROR] Tests run: 4, Failures: 1, Errors: 0",
        "token expired, refreshing",
    ],
)
def test_prose_about_secrets_is_kept(text: str) -> None:
    assert redact(text) == text


def test_analysis_output_is_redacted() -> None:
    log = (
        b"+ git clone https://ci:hunter2hunter2@git.acme.io/x.git\n"
        b"fatal: Authentication failed for 'https://ci:hunter2hunter2@git.acme.io/x.git/'\n"
        b"ERROR: script returned exit code 128\n"
    )
    analysis = analyze_stream([log])
    dumped = analysis.model_dump_json()
    assert "hunter2hunter2" not in dumped
    assert "<redacted>" in analysis.excerpt[0].text
    assert "hunter2hunter2" not in analysis.signature_text()


@pytest.mark.parametrize(
    "adversarial",
    [
        "a" * 200_000,
        "a-" * 100_000,
        "a:" * 100_000,
        "Zm9v" * 50_000,
        "https://" + "a" * 200_000,
        "token" * 40_000,
    ],
)
def test_redaction_stays_linear_on_long_unbroken_text(adversarial: str) -> None:
    # A ReDoS guard, not a benchmark: the unbounded patterns took over 40 s on 100 KB of such text.
    started = time.perf_counter()
    assert redact(adversarial + " password=hunter2").endswith("password=<redacted>")
    assert time.perf_counter() - started < 5.0
