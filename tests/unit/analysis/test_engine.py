"""The engine on whole logs: the right block first, the right category, the green log used as noise."""

from __future__ import annotations

from pathlib import Path

import pytest

import worker.analysis.blocks as blocks
import worker.analysis.stream_state as stream_state
from worker.analysis import analyze_path, analyze_stream

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"


@pytest.mark.parametrize(
    ("sample", "category", "cause", "line"),
    [
        ("maven-test-failure.log", "test", "maven.test-failure", "expected: <107.00> but was: <100.00>"),
        ("npm-dependency-error.log", "dependency", "npm.dependency-resolution", "ERESOLVE unable to resolve"),
        ("gradle-compile-error.log", "compilation", "javac.compile-error", "error: cannot find symbol"),
        ("agent-oom-killed.log", "infrastructure", "jenkins.agent-offline", "ChannelClosedException"),
    ],
)
def test_sample_logs_are_explained(sample: str, category: str, cause: str, line: str) -> None:
    analysis = analyze_path(SAMPLES / sample)
    assert analysis.category == category
    assert cause in [c.id for c in analysis.causes[:3]]
    assert line in analysis.excerpt[0].text
    assert analysis.summary and "\n" not in analysis.summary


def test_excerpt_text_is_exactly_the_numbered_log_lines() -> None:
    data = (SAMPLES / "gradle-compile-error.log").read_text()
    lines = data.split("\n")
    analysis = analyze_stream([data.encode()])
    for block in analysis.excerpt:
        assert 1 <= block.start_line <= block.end_line <= len(lines)
        assert block.text.split("\n") == [ln.rstrip() for ln in lines[block.start_line - 1 : block.end_line]]
    scores = [b.score for b in analysis.excerpt]
    assert scores == sorted(scores, reverse=True)


def test_failed_step_output_is_found_without_any_rule() -> None:
    """A step that exited non-zero is evidence by itself: its last output is a candidate block."""
    log = (
        "$ ./check-links.sh\n"
        "checking 212 links\n"
        "README.md:88 https://old.example.org/guide -> 404\n"
        'The command "./check-links.sh" exited with 1.\n'
        "$ ./publish.sh\n"
        "published\n"
        'The command "./publish.sh" exited with 0.\n'
    )
    analysis = analyze_stream([log.encode()])
    first = analysis.excerpt[0]
    assert (first.start_line, first.end_line) == (2, 3)
    assert "README.md:88" in first.text


def test_green_log_lines_are_noise() -> None:
    failing = (
        "+ make test\n"
        "ERROR: connection pool warning treated as error\n"  # also in the green build: noise
        "x\ny\nz\nw\nv\n"
        "tests/test_cart.py::test_total FAILED\n"
        "E   AssertionError: assert 90 == 81\n"
        "make: *** [test] Error 1\n"
    )
    green = "+ make test\nERROR: connection pool warning treated as error\nall 212 tests passed\n"
    alone = analyze_stream([failing.encode()])
    with_previous = analyze_stream([failing.encode()], previous=[green.encode()])
    assert "AssertionError" in with_previous.excerpt[0].text
    noisy = next(b for b in with_previous.excerpt if "connection pool" in b.text)
    quiet = next(b for b in alone.excerpt if "connection pool" in b.text)
    assert noisy.score < quiet.score


def test_green_log_is_compared_after_normalisation() -> None:
    failing = b"+ run\n[12:00:01] ERROR worker 4411 lost heartbeat after 31s\nFAILED tests/a.py::t - assert 1 == 2\n"
    green = b"+ run\n[09:13:59] ERROR worker 87 lost heartbeat after 2s\nok\n"
    analysis = analyze_stream([failing], previous=[green])
    assert "FAILED tests/a.py::t" in analysis.excerpt[0].text


def test_empty_and_clean_logs() -> None:
    empty = analyze_stream([])
    assert empty.category == "unknown" and empty.excerpt == [] and empty.stats.lines == 0
    clean = analyze_stream([b"compiling\nall good\nFinished: SUCCESS\n"])
    assert clean.category == "unknown"
    assert clean.summary == "no failure evidence found in the log"
    assert clean.excerpt[0].end_line == 3  # the tail, for a human to look at


def test_max_blocks_is_respected_and_validated() -> None:
    log = "".join(f"step {i}\nERROR: thing {_word(i)} failed badly\n\n\n\n\n" for i in range(30)).encode()
    assert len(analyze_stream([log], max_blocks=2).excerpt) == 2
    with pytest.raises(ValueError, match="max_blocks"):
        analyze_stream([log], max_blocks=0)


def test_state_stays_bounded_on_a_log_full_of_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory must not grow with the log: only a bounded number of candidate blocks is ever kept."""
    seen: list[int] = []
    original = stream_state.StreamState.add_candidate

    def spy(self: stream_state.StreamState, cand: blocks.Candidate) -> None:
        original(self, cand)
        seen.append(len(self.best) + len(self.recent))

    monkeypatch.setattr(stream_state.StreamState, "add_candidate", spy)
    # Different failures (a failure that only repeats is counted, not kept again: test_repeats.py).
    log = "".join(
        f"ERROR: failure in {_word(i)}\nfine\nfine\nfine\nfine\nfine\n" for i in range(5000)
    ).encode()
    analysis = analyze_stream([log])
    assert len(seen) >= 5000
    assert max(seen) <= stream_state.KEEP_BEST + stream_state.KEEP_RECENT
    assert analysis.stats.lines == 30000


def _word(number: int) -> str:
    """A word for ``number`` without digits ("bca" for 120): lines that differ in more than their numbers."""
    return "".join(chr(ord("a") + int(digit)) for digit in str(number))


def test_signature_text_is_normalised() -> None:
    analysis = analyze_path(SAMPLES / "maven-test-failure.log")
    signature = analysis.signature_text()
    assert "cause:maven.test-failure" in signature
    assert "107.00" not in signature  # numbers are masked


def test_report_section_keeps_its_whole_report() -> None:
    """A report header ("There were 2 failures:") keeps the report under it, up to a double blank line."""
    log = (
        "PHPUnit 9.6.0 by Sebastian Bergmann and contributors.\n"
        "..F.F\n"
        "There were 2 failures:\n"
        "\n"
        "1) App\\Tests\\CartTest::testTotal\n"
        "Failed asserting that 90 matches expected 81.\n"
        "\n"
        "/src/tests/CartTest.php:42\n"
        "\n"
        "2) App\\Tests\\CartTest::testTax\n"
        "Failed asserting that false is true.\n"
        "\n"
        "\n"
        "Time: 00:00.120, Memory: 6.00 MB\n"
    )
    block = analyze_stream([log.encode()]).excerpt[0]
    assert (block.start_line, block.end_line) == (3, 11)


def test_rules_anchored_at_line_end_match_crlf_logs() -> None:
    unix = b"> Task :app:compileJava\n:app:test FAILED\n5 tests completed, 1 failed\n"
    windows = unix.replace(b"\n", b"\r\n")
    a = analyze_stream([unix])
    b = analyze_stream([windows])
    assert [c.id for c in a.causes] == [c.id for c in b.causes]
    assert [(x.start_line, x.end_line, x.score) for x in a.excerpt] == [
        (x.start_line, x.end_line, x.score) for x in b.excerpt
    ]


def test_rules_anchored_at_line_start_match_after_runner_timestamps() -> None:
    plain = b"+ pytest\nFAILED tests/test_cart.py::test_total - assert 90 == 81\n"
    stamped = b"".join(
        b"2026-11-27T10:00:0%dZ " % i + line + b"\n" for i, line in enumerate(plain.splitlines())
    )
    jenkins = b"".join(b"[2026-11-27T10:00:00.123Z] " + line + b"\n" for line in plain.splitlines())
    for log in (stamped, jenkins):
        assert analyze_stream([log]).causes[0].id == "pytest.test-failure"


def test_lines_a_tool_tags_as_warnings_are_not_evidence() -> None:
    """sbt's "[warn]" and Maven's "[WARNING]" lines say "could not find", "error", ... and still are warnings."""
    log = (
        "[info] Main Scala API documentation to /build/scaladoc/library...\n"
        "[warn] /src/library/scala/Console.scala:273: Could not find any member to link for"
        ' "java.lang.IllegalArgumentException".\n'
        "[warn]   /** Prints its arguments as a formatted string to the default output,\n"
        "[warn]   ^\n"
        '[WARNING] The requested profile "release" could not be activated because it does not exist.\n'
        "[warn] 129 warnings found\n"
        "[info] Main Scala API documentation successful.\n"
        "[error] 1 of 13 test tasks failed:\n"
        "[error] - reflect/mimaReportBinaryIssues\n"
    )
    analysis = analyze_stream([log.encode()])
    assert analysis.excerpt[0].start_line == 8
    assert all(block.start_line >= 8 for block in analysis.excerpt)


@pytest.mark.parametrize(
    "passed",
    [
        "  ✓ throws an error when the cart is empty (12ms)",
        "    [+] Throws an error if no Path is specified 23ms",
        "--- PASS: TestParseErrorIsReported (0.00s)",
        "ok 3 - rejects a malformed config with an error",
        "tests/test_cart.py::test_total_raises_value_error PASSED                  [ 50%]",
        "test parser::tests::unexpected_eof_is_an_error ... ok",
    ],
)
def test_tests_a_reporter_marks_as_passed_are_not_evidence(passed: str) -> None:
    log = f"+ make test\nrunning the suite\n{passed}\nall done\n"
    assert analyze_stream([log.encode()]).excerpt[0].score == 0.0  # only the tail: no evidence at all


def test_a_tally_does_not_outrank_the_report_it_counts() -> None:
    """The tally printed just before the step fails only counts the failures reported above it."""
    report = (
        "Describing Cart\n"
        "  [-] adds an item to the cart 54ms\n"
        "    Expected 2, but got 1.\n"
        "    at <ScriptBlock>, /src/Cart.Tests.ps1: line 12\n"
    )
    tally = "Tests Passed: 41, Failed: 1, Skipped: 0, Pending: 0, Inconclusive: 0"
    more = "".join(f"Running suite {n} of 6\n" for n in range(1, 7))  # the run goes on
    log = f"$ make test\n{report}{more}Finished in 1.2 seconds\n{tally}\n"
    log += 'The command "make test" exited with 1.\n'
    first = analyze_stream([log.encode()]).excerpt[0].text
    assert "[-] adds an item to the cart" in first
    assert tally not in first


def test_the_first_of_several_test_failures_of_the_failed_step_goes_first() -> None:
    """The last failure before the exit gets the near-exit boost; the first one reported is still read first."""
    log = (
        "$ go test ./...\n"
        "=== RUN   TestCart\n"
        "--- FAIL: TestCart (0.00s)\n"
        "    cart_test.go:12: total = 1, want 2\n"
        + "".join(f"=== RUN   TestPrice{n}\n--- PASS: TestPrice{n} (0.00s)\n" for n in range(30))
        + "=== RUN   TestCheckout\n"
        "--- FAIL: TestCheckout (0.01s)\n"
        "    checkout_test.go:40: status = 500, want 200\n"
        "FAIL\n"
        "FAIL\tgithub.com/acme/shop\t0.012s\n"
        'The command "go test ./..." exited with 1.\n'
    )
    analysis = analyze_stream([log.encode()])
    assert analysis.excerpt[0].text.startswith("--- FAIL: TestCart")
    assert any(b.text.startswith("--- FAIL: TestCheckout") for b in analysis.excerpt[1:3])


def test_a_reporters_final_report_goes_before_its_inline_mark() -> None:
    """xcpretty marks the failing test inline ("✗ test, message"); its final report adds the location."""
    log = (
        "$ xcodebuild test -scheme Shop | xcpretty\n"
        "CartTests\n"
        "    ✓ testAddsItem (0.001 seconds)\n"
        '    ✗ testCartTotal, XCTAssertEqual failed: ("1") is not equal to ("2")\n'
        + "".join(f"    ✓ testPrice{n} (0.001 seconds)\n" for n in range(20))
        + "\n\n  Executed 22 tests, with 1 failure (0 unexpected) in 0.030 (0.041) seconds\n\n\n"
        "CartTests\n"
        '  testCartTotal, XCTAssertEqual failed: ("1") is not equal to ("2")\n'
        "  /Users/travis/build/acme/shop/Tests/CartTests.swift:12\n"
        "  ```\n"
        "          XCTAssertEqual(cart.total, 2)\n"
        "  ```\n"
        "\n"
        "** TEST FAILED **\n"
        'The command "xcodebuild test -scheme Shop | xcpretty" exited with 65.\n'
    )
    excerpt = analyze_stream([log.encode()]).excerpt
    assert "Tests/CartTests.swift:12" in excerpt[0].text
    assert excerpt[1].text.strip().startswith("✗ testCartTotal")


def test_excerpt_marks_the_lines_new_since_the_last_green_build() -> None:
    green = b"Started\n[INFO] Compiling 3 files\nwarning: deprecated API in FooService\nFinished: SUCCESS\n"
    failed = (
        b"Started\n[INFO] Compiling 3 files\nwarning: deprecated API in FooService\n"
        b"[ERROR] COMPILATION ERROR : cannot find symbol InvoiceTotals\nFinished: FAILURE\n"
    )
    with_green = analyze_stream([failed], previous=[green])
    without = analyze_stream([failed])
    assert without.excerpt[0].new_lines is None  # nothing was compared
    block = with_green.excerpt[0]
    lines = block.text.split("\n")
    new = {n: lines[n - block.start_line] for n in block.new_lines or []}
    assert any("cannot find symbol InvoiceTotals" in text for text in new.values())
    assert not any("deprecated API in FooService" in text for text in new.values())


def test_a_verdict_shown_first_points_at_the_report_before_it() -> None:
    """A crashed test's report holds few error words; the tally after it ("with 1 failure") more. The report
    goes first, the tally follows it."""
    log = (
        "$ xcodebuild test -scheme App\n"
        "Test Suite 'CartTests' started\n"
        "    ✗ testAddsItem, Test crashed with signal kill\n"
        + "".join(f"    ✓ testPrice{n} (0.001 seconds)\n" for n in range(40))
        + "Executed 41 tests, with 1 failure (0 unexpected) in 0.2 (0.3) seconds\n"
        "\n"
        "** TEST FAILED **\n"
        'The command "xcodebuild test -scheme App" exited with 65.\n'
    )
    excerpt = analyze_stream([log.encode()]).excerpt
    assert "testAddsItem, Test crashed" in excerpt[0].text
    assert any("Executed 41 tests, with 1 failure" in b.text for b in excerpt[1:3])


def test_jenkins_final_error_points_at_the_failed_steps_output() -> None:
    """Jenkins repeats a failed step's error after "End of Pipeline" ("ERROR: docker pull x returned exit code
    1"): the step's own output before it says why."""
    log = (
        "[Pipeline] stage\n"
        "[Pipeline] { (Build)\n"
        "[Pipeline] withDockerContainer\n"
        "$ docker pull acme/builder:2024.04\n"
        "Error response from daemon: manifest for acme/builder:2024.04 is unknown to the registry\n"
        "[Pipeline] // withDockerContainer\n"
        "[Pipeline] }\n"
        "[Pipeline] // stage\n"
        "[Pipeline] End of Pipeline\n"
        "ERROR: docker pull acme/builder:2024.04 returned exit code 1\n"
        "Finished: FAILURE\n"
    )
    first = analyze_stream([log.encode()]).excerpt[0]
    assert first.start_line == 5
