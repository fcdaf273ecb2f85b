"""The same failure is shown once, with a count; the blocks shown are different failures."""

from __future__ import annotations

from worker.analysis import analyze_stream


def _test_failure(number: int) -> str:
    return (
        f"[INFO] Running com.example.CheckoutTest\n"
        f"[ERROR] Tests run: 3, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.{number:03d} s <<< FAILURE!\n"
        f"java.net.ConnectException: Connection refused (connect to db:5432 attempt {number})\n"
        f"\tat org.postgresql.Driver.connect(Driver.java:{200 + number})\n"
        f"\tat com.example.CheckoutTest.setUp(CheckoutTest.java:31)\n"
        "[INFO] moving on\n"
        "[INFO] moving on\n"
        "[INFO] moving on\n"
        "[INFO] moving on\n"
    )


DENSE = (
    "+ mvn -B verify\n"
    + "".join(_test_failure(n) for n in range(300))
    + "src/main/java/com/example/Cart.java:[12,8] error: cannot find symbol\n"
    + "  symbol:   class Money\n"
    + "[INFO] BUILD FAILURE\n"
)


def test_a_failure_repeated_300_times_is_one_block_with_a_count() -> None:
    analysis = analyze_stream([DENSE.encode()], max_blocks=5)
    repeated = [b for b in analysis.excerpt if "ConnectException" in b.text]
    assert len(repeated) == 1
    block = repeated[0]
    assert block.count == 300
    assert block.first_line == block.start_line == 3  # the first occurrence is the one shown
    assert "attempt 0)" in block.text
    texts = [b.text for b in analysis.excerpt]
    assert any("cannot find symbol" in t for t in texts)  # the other failure is not pushed out
    assert len(set(texts)) == len(texts)


def test_every_cited_cause_line_is_inside_a_returned_block() -> None:
    analysis = analyze_stream([DENSE.encode()], max_blocks=2)
    assert analysis.causes
    for cause in analysis.causes:
        assert any(b.start_line <= cause.line <= b.end_line for b in analysis.excerpt), cause


def test_a_repeated_header_above_a_new_error_stays_in_its_block() -> None:
    log = (
        "$ pytest\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 3, in <module>\n'
        "ValueError: bad config\n"
        "$ pytest tests/other\n"
        "Traceback (most recent call last):\n"  # the same line again: a repeat on its own ...
        '  File "other.py", line 9, in <module>\n'
        "KeyError: 'missing'\n"  # ... but a new error below it: the header belongs to its block
    )
    analysis = analyze_stream([log.encode()])
    block = next(b for b in analysis.excerpt if "KeyError" in b.text)
    assert block.start_line == 6
    assert block.count == 1


def test_repeats_next_to_the_open_block_extend_it() -> None:
    log = "$ make\n" + "".join(f"src/a.c:{n}:1: error: expected ';' before '}}' token\n" for n in range(1, 6))
    analysis = analyze_stream([log.encode()])
    first = analysis.excerpt[0]
    assert (first.start_line, first.end_line) == (2, 6)
    assert first.count == 1


def test_different_failures_are_not_merged() -> None:
    log = "".join(f"ERROR: test_{name} failed\n\n\n\n\n\n" for name in ("alpha", "beta", "gamma"))
    analysis = analyze_stream([log.encode()])
    assert [b.count for b in analysis.excerpt] == [1, 1, 1]
