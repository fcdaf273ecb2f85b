"""The literal prefilter of redact() skips only rules that cannot match: same output as every rule applied."""

from __future__ import annotations

import random
import re
from pathlib import Path

from tests.secrets_corpus import SHAPES
from worker.analysis.redact import _CASELESS, _RULES, _redact_unfiltered, redact

REPO = Path(__file__).resolve().parents[3]

FRAGMENTS = [
    "curl -H 'Authorization: Bearer abcdef0123456789abcdef' https://api.acme.io",
    "PROXY-AUTHORIZATION: Basic dXNlcjpodW50ZXIy",
    "AUTHOR\u0130ZAT\u0130ON: token abcdef0123456789",  # dotted capital I: (?i) matches it to 'i'
    "git clone https://deploy:s3cr3tP4ss@git.acme.io/team/api.git",
    "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "token: ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCD",
    "GITLAB_TOKEN glpat-xR4nd0mT0k3nV4lu3zzzz",
    "slack webhook xoxb-123456789012-abcdefghijkl",
    "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqZW5raW5zIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    '{"password": "hunter2hunter2"}',
    "DB_PA\u017f\u017fWORD=correct-horse-battery",  # long s: (?i) matches it to 's'
    "API_KEY=0123456789abcdef",
    "docker login --password Sup3rS3cret -u ci",
    "--TOKEN abcdefgh",
    "mysql -u root -pR00tPassw0rd shop",
    "client_secret: 9f8e7d6c5b4a39281706",
    "npm config set //registry.npmjs.org/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789",
    "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz12",
    "sk_live_abcdefghijklmnop1234 rk_test_ABCDEFGHIJKLMNOP5678",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "\u017fecret=abcdefgh \u212aEY=x private_Key: abcdefgh",
    "password is required; token: expired",
    "[ERROR] Failed to execute goal on project core: Could not resolve dependencies",
    "    at com.example.app.CheckoutServiceTest.totalIncludesTax(CheckoutServiceTest.java:58)",
    "✓ passes  ✗ fails  naïve café",
    "",
]


def test_the_folded_characters_are_exactly_those_ignorecase_matches_to_ascii_letters() -> None:
    assert re.fullmatch("(?i)i", "\u0130") and re.fullmatch("(?i)i", "\u0131")
    assert re.fullmatch("(?i)s", "\u017f") and re.fullmatch("(?i)k", "\u212a")
    assert len(_RULES) == len(_CASELESS)
    for (_, _, literals), caseless in zip(_RULES, _CASELESS, strict=True):
        assert not caseless or all(literal == literal.lower() for literal in literals)


def test_prefiltered_redaction_equals_every_rule_applied() -> None:
    rng = random.Random(3)
    fragments = FRAGMENTS + [line for shape in SHAPES for line in shape.lines.splitlines()]
    texts = list(fragments)
    for _ in range(400):
        parts = rng.choices(fragments, k=rng.randint(1, 6))
        texts.append(rng.choice(["\n", " ", "", " | "]).join(parts))
    for text in texts:
        assert redact(text) == _redact_unfiltered(text), text
    # The fragments do contain secrets: the test would notice a prefilter that skips everything.
    assert sum(redact(t) != t for t in FRAGMENTS) >= 20


def test_prefiltered_redaction_equals_every_rule_applied_on_real_logs() -> None:
    logs = sorted((REPO / "samples" / "logs").glob("*.log"))
    assert logs
    for path in logs:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for start in range(0, len(lines), 40):
            text = "\n".join(lines[start : start + 40])
            assert redact(text) == _redact_unfiltered(text)
