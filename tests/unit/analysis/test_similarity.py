"""The same failure in another build gets the same fingerprint; similar failures are near each other."""

from __future__ import annotations

from worker.analysis import analyze_stream, cosine, fingerprint_text, normalize_line, text_vector

BUILD_41 = """[2026-11-26T10:01:02.123Z] + ./mvnw -B verify
[2026-11-26T10:01:44.001Z] [ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.412 s <<< FAILURE! - in com.acme.CartTest
[2026-11-26T10:01:44.002Z] [ERROR] com.acme.CartTest.total  Time elapsed: 0.021 s  <<< FAILURE!
[2026-11-26T10:01:44.003Z] org.opentest4j.AssertionFailedError: expected: <107.00> but was: <100.00>
[2026-11-26T10:01:44.004Z] 	at com.acme.CartTest.total(CartTest.java:58)
[2026-11-26T10:01:45.000Z] ERROR: script returned exit code 1
"""
BUILD_42 = (
    BUILD_41.replace("2026-11-26T10:01", "2026-11-27T18:22")
    .replace("0.412 s", "0.388 s")
    .replace("0.021 s", "0.019 s")
)
OTHER = """+ npm ci
npm ERR! code E404
npm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2fkit - Not found
ERROR: script returned exit code 1
"""


def test_fingerprint_ignores_times_numbers_hashes_and_temp_paths() -> None:
    a = "2026-11-26T10:01:02Z build 41 at /tmp/jenkins8812/x.sh commit 4f2a9c1d7e3b failed after 12.5s"
    b = "2026-11-27T18:22:00Z build 42 at /tmp/jenkins1177/x.sh commit 9a8b7c6d5e4f failed after 3.1s"
    assert fingerprint_text(a) == fingerprint_text(b)
    assert fingerprint_text(a) != fingerprint_text("a different failure")
    assert normalize_line("workspace/api@2/src") == normalize_line("workspace/api/src")


def test_same_failure_in_two_builds_has_the_same_analysis_fingerprint() -> None:
    first = analyze_stream([BUILD_41.encode()])
    second = analyze_stream([BUILD_42.encode()])
    other = analyze_stream([OTHER.encode()])
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != other.fingerprint
    assert len(first.fingerprint) == 32 and int(first.fingerprint, 16) >= 0


def test_vectors_are_normalised_and_rank_the_same_failure_first() -> None:
    first = text_vector(analyze_stream([BUILD_41.encode()]).signature_text())
    second = text_vector(analyze_stream([BUILD_42.encode()]).signature_text())
    other = text_vector(analyze_stream([OTHER.encode()]).signature_text())
    assert abs(sum(w * w for w in first.values()) - 1.0) < 1e-9
    assert cosine(first, second) > 0.99
    assert cosine(first, other) < 0.3
    assert cosine(first, {}) == 0.0
    # Keys are safe MongoDB field names.
    assert all("." not in k and not k.startswith("$") for k in first)


def test_cosine_is_symmetric_and_bounded() -> None:
    a = {"x": 0.6, "y": 0.8}
    b = {"y": 1.0}
    assert cosine(a, b) == cosine(b, a)
    assert 0.0 <= cosine(a, b) <= 1.0
    assert abs(cosine(a, a) - 1.0) < 1e-9
