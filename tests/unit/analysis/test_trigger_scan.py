"""The bulk scan leaves out only triggers whose lines a word signal always selects too: the same lines result."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.analysis import load_knowledge_base
from worker.analysis.kb import build_scanner, trigger_expression
from worker.analysis.reader import strip_ansi
from worker.analysis.trigger_scan import delimited_words, redundant_triggers, unanchored_form

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"
WORD_SIGNALS = [(r"\berror\b", True), (r"\b(?:ERROR|FATAL|FAILED|FAIL)\b", False)]


def _redundant(regex: str, caseless: bool = False) -> bool:
    rules = [*WORD_SIGNALS, (regex, caseless)]
    return len(rules) - 1 in redundant_triggers(rules, range(len(rules)))


@pytest.mark.parametrize(
    "regex",
    [
        r"^BUILD FAILED$",  # "FAILED" after a space, before the end of the line
        r"^\[ERROR\] Failed to execute goal",
        r"configure: error: ",
        r"\.java:\d+: error: ",
        r"at\s+ERROR: \d",  # \s+ before the word (after it, it could run onto the next line)
        r"runtime error: .*(?:overflow|out of bounds)",  # "." and the group stay on the line
        r"cannot find -l\S+ error |^Finished: FAILED$",  # every alternative has a word
    ],
)
def test_a_rule_with_a_delimited_signal_word_is_left_out_of_the_bulk_scan(regex: str) -> None:
    assert _redundant(regex)


@pytest.mark.parametrize(
    ("regex", "caseless"),
    [
        (r"errors?: \d+", False),  # "errors:" is not the word "error"
        (r"^error: aborting", False),  # a runner prefix before it may end in "Z" (a word character)
        (r"xerror: ", False),
        (r" error [^\]]+\] done", False),  # a negated class can run onto the next line
        (r" error\s\d", False),  # \s can run onto the next line: the match may end on a line without the word
        (r" FATAL: x", True),  # caseless rule, and the only signal for FATAL is case-sensitive
        (r" error(?:s)? ", False),  # the word's neighbour is optional
        (r" error: |^Finished: SUCCESS$", False),  # one alternative without a word
        (r"(?i) ERROR: ", False),  # inline flags are not read
    ],
)
def test_a_rule_that_may_match_without_a_signal_word_is_scanned(regex: str, caseless: bool) -> None:
    assert not _redundant(regex, caseless)


def test_delimited_words_are_the_literal_words_with_non_word_characters_around() -> None:
    assert delimited_words(r" BUILD FAILED in \d+s") == ["BUILD", "FAILED", "in"]
    assert delimited_words(r"Tests run: \d+, Failures: [1-9]") == ["run", "Failures"]


def test_the_bulk_scan_selects_the_same_lines_as_scanning_every_trigger() -> None:
    kb = load_knowledge_base()
    every = build_scanner([trigger_expression(kb, i) for i in kb.triggers], cache=False)
    for path in sorted(SAMPLES.glob("*.log")):
        data = strip_ansi(path.read_bytes())

        def lines(matches: list[tuple[int, int]], data: bytes = data) -> set[int]:
            return {data.count(b"\n", 0, end - 1) for _, end in matches}

        assert lines(kb.scan_triggers(data)) == lines(every.scan(data)), path.name


@pytest.mark.parametrize(
    ("regex", "form"),
    [
        (
            r"^\s*Failed \S+ \[\d+ ?m?s\]",
            r"Failed \S+ \[\d+ ?m?s\]",
        ),  # the anchor and what precedes a literal
        (r"^Caused by: ", "Caused by: "),
        (r"^\S+\.go:\d+:\d+: (?:undefined|x)", r"\.go:\d+:\d+: (?:undefined|x)"),
        (r"^FAILURES!$|^ERRORS!$", "FAILURES!$|ERRORS!$"),  # each alternative
        (r"^E\s{3}", r"^E\s{3}"),  # "E" and three spaces: too little to look for
        (r"^\s*\d+\) \S", r"^\s*\d+\) \S"),  # ") " of any numbered list
        (r"(?:^|\s)ERROR: x", r"(?:^|\s)ERROR: x"),  # not a leading anchor
        (r"(?i)^panic: ", r"(?i)^panic: "),  # inline flags are not read
    ],
)
def test_an_anchored_trigger_is_scanned_from_its_first_literal(regex: str, form: str) -> None:
    assert unanchored_form(regex) == form


def test_the_bulk_scan_selects_every_line_an_exact_trigger_matches() -> None:
    """Unanchored and cheaper forms select more lines, never fewer; the extra ones are no evidence (the full
    scan of a selected line finds no trigger on it), so the analysis is the same."""
    kb = load_knowledge_base()
    exact = build_scanner([kb.expressions[i] for i in kb.triggers], cache=False)
    for path in sorted(SAMPLES.glob("*.log")):
        data = strip_ansi(path.read_bytes())

        def lines(matches: list[tuple[int, int]], data: bytes = data) -> set[int]:
            return {data.count(b"\n", 0, end - 1) for _, end in matches}

        assert lines(kb.scan_triggers(data)) >= lines(exact.scan(data)), path.name
