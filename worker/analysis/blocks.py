"""Candidate excerpt blocks: what a block holds, which lines continue its message, where it ends.

The engine (:mod:`worker.analysis.engine`) grows blocks while it streams; the rules here decide the shape of a
block from its lines alone: a message and its continuation (stack frames, indented detail, a compiler's source
excerpt), report sections with a known last line, the echoes and verdicts trimmed from its edges.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

from worker.analysis.kb import TRIGGER_WEIGHT, KnowledgeBase
from worker.analysis.reader import strip_prefix

# A block never grows beyond this many lines; a longer run of errors is split.
MAX_BLOCK_LINES = 60
# A report section with a known last line (pytest's "____ test_x ____" failure report: the test's code, the
# locals, the traceback, then "file.py:NN: Error") is one message however long; it still ends after this many
# lines.
MAX_SECTION_LINES = 160
# Blocks after the first are cut to their last lines (see digest).
DIGEST_LINES = 40
# A block's last paragraph of at most this many lines, weighing less than this share of the rest, is a summary.
TRAILING_SUMMARY_LINES = 3
TRAILING_SUMMARY_RATIO = 0.8

STEP_UNKNOWN, STEP_OK, STEP_FAIL = 0, 1, 2
# A repeated hit remembers where it repeated in this many steps (the last ones).
MAX_ECHO_STEPS = 8


@dataclass
class Hit:
    line: int
    weight: float
    causes: list[int]
    section: bool = False
    until: str = ""  # the regex of the line that ends the section this hit heads
    repeats: int = 0  # later lines repeating this one (the same failure again: see fastpath.select_lines)
    # Where the repeats were: step -> last repeat line in it (the latest few steps), for the ranking's structure.
    echoes: dict[int, int] = field(default_factory=dict)

    def repeated(self, line: int, step: int) -> None:
        """Line ``line``, in step ``step``, repeats this hit."""
        self.repeats += 1
        echoes = self.echoes
        if step not in echoes and len(echoes) >= MAX_ECHO_STEPS:
            del echoes[next(iter(echoes))]  # the step seen first goes
        echoes[step] = line

    def not_repeated(self, line: int, step: int) -> None:
        """Undo :meth:`repeated`: line ``line`` was shown in a block of its own after all."""
        self.repeats -= 1
        if self.echoes.get(step) == line:
            del self.echoes[step]


@dataclass
class Candidate:
    """A candidate excerpt block under construction, then complete."""

    start: int  # first line of ``lines``
    first_hit: int
    last_hit: int
    step: int
    lines: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    score: float = 0.0
    last_text: str = ""
    settled: bool = False  # its continuation lines are complete
    section: bool = False  # a report section: every line up to a double blank line belongs to it
    until: re.Pattern[str] | None = None  # the line that ends the section (included)
    mark: bool = False  # a run of a test reporter's inline failure marks, repeated by a later report

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1

    def places(self) -> list[tuple[int, int]]:
        """(step, line) where this block's failure shows: its own last hit, and where its lines repeated."""
        return [(self.step, self.last_hit), *((s, n) for h in self.hits for s, n in h.echoes.items())]

    def occurrences(self) -> int:
        """How many times the failure this block shows occurs in the log (its lines repeated later count)."""
        return 1 + max((h.repeats for h in self.hits), default=0)

    def evidence(self) -> float:
        """Score from the hits alone (before structure, position and novelty are known)."""
        weights = sorted((h.weight for h in self.hits), reverse=True)
        if not weights:
            return 0.0
        # The strongest line counts fully, the others with diminishing returns: ten "ERROR" lines are not
        # ten times more telling than one compiler error.
        return weights[0] + 0.5 * math.log1p(sum(max(w, 0.0) for w in weights[1:]))


# Lines that belong to the message above them: stack frames, indented detail, "Caused by", the actual value
# under an assertion's expected one.
_CONTINUATION = re.compile(
    r"^(?:\s*at |\s*File \"|\s*#\d+ |\s*\d+: |Caused by|\s*\.\.\. \d+ more|\s*[|^~]|\s*-->|stack backtrace"
    r"|\s*\d+\s*\|"  # a compiler's source excerpt ("4 |     let x: u32 = ...": rustc, gcc, clang)
    r"|\s*(?:Actual|Received|But was|but was)\s*:)"
)


# A test reporter's list item: a pass/fail mark or a numbered failure.
_LIST_ITEM = re.compile(r"^\s*(?:[✓✔✗✖\u00d7√]|\d+\) )")


_TAG = re.compile(r"^\s*(\[[^\]]{1,20}\]|[A-Za-z]+ ERR!|[A-Z]\s{2,}|[A-Za-z_.-]+:)")


# A verdict or a tally: a line that only says *that* something failed, or counts the failures, in the words the
# tools document for it. What failed is in the detailed report printed before it.
#   Maven "BUILD FAILURE", "Tests run: 5, Failures: 1, ..." and "There are test failures"; Gradle "BUILD FAILED",
#   "FAILURE: Build failed with an exception", "5 tests completed, 1 failed", "There were failing tests";
#   xcodebuild "** TEST FAILED **", "Testing failed:", XCTest "Executed 5 tests, with 1 failure"; pytest's
#   "==== 1 failed, 2 passed in 0.1s ====" and "Interrupted: 1 error during collection"; unittest
#   "FAILED (failures=1)"; Jest "Tests: 1 failed" / "Test Suites: 1 failed"; mocha "  1 failing"; go "FAIL" and
#   "FAIL pkg 0.01s"; cargo "test result: FAILED." and "error: test failed, to rerun pass"; RSpec/hspec
#   "5 examples, 1 failure", minitest "5 runs, 9 assertions, 1 failures", ExUnit "5 tests, 1 failure"; PHPUnit
#   "FAILURES!" and "Tests: 5, Assertions: 9, Failures: 1"; dotnet "Failed!  - Failed: 1", "Test Run Failed.",
#   "Build FAILED."; CTest "80% tests passed, 1 tests failed out of 5"; prove "Result: FAIL", "Failed 1/5 test
#   programs", Test::More "# Looks like you failed 1 test of 5"; Pester "Tests Passed: 4, Failed: 1"; sbt
#   "[error] Failed: Total 5, Failed 1", "Tests: succeeded 4, failed 1", "*** 1 TEST FAILED ***"; Erlang
#   common_test "TEST COMPLETE, 4 ok, 1 failed"; ESLint "✖ 3 problems (2 errors, 0 warnings)", tsc/mypy/ruff
#   "Found 3 errors"; runners' exit lines: Jenkins "ERROR: script returned exit code 1", "Failed in branch",
#   "ERROR: <command> returned exit code 1", Travis "The command ... exited with 1", GitHub Actions
#   "Process completed with exit code 1", make's "*** [target] Error 2", npm's "Test failed", "exited with
#   code 1", "failed with exit code 1".
_VERDICT = re.compile(
    r"BUILD (?:FAILURE|FAILED)|There (?:are|were) (?:test failures|failing tests)"
    r"|FAILURE: Build failed with an exception|\b\d+ tests? completed, \d+ failed"
    r"|^\s*Tests run: \d+, Failures: \d+, Errors: \d+|\*\* (?:BUILD|TEST|ARCHIVE) FAILED \*\*|^Testing failed:"
    r"|Executed \d+ tests?, with [1-9]\d* failures?|^=+ .*\b\d+ (?:failed|errors?)\b.* in [\d.]+m?s.*=+$"
    r"|Interrupted: \d+ errors? during collection|^FAILED \((?:failures|errors)=\d+"
    r"|^(?:Tests|Test Suites):\s+\d+ failed|^\s*\d+ failing\s*$|^FAIL\s*$|^FAIL\s+\S+\s+[\d.]+s$"
    r"|^test result: FAILED|error: test failed, to rerun pass|^\d+ (?:examples?|tests?|runs?)(?:, \d+ \w+)*, [1-9]\d* failures?"
    r"|^FAILURES!$|^Tests: \d+, Assertions: \d+, (?:Failures|Errors)|^Failed!\s+- Failed:|^Test Run Failed\.|^Build FAILED\."
    r"|\d+% tests passed, \d+ tests? failed out of|^Result: FAIL|^Failed \d+/\d+ test programs"
    r"|# Looks like you failed \d+ tests?|Tests Passed: \d+,? Failed: [1-9]|Failed: Total \d+, Failed [1-9]"
    r"|Tests: succeeded \d+, failed [1-9]|\*\*\* \d+ TESTS? FAILED \*\*\*|TEST COMPLETE, \d+ ok, [1-9]\d* failed"
    r"|^✖ \d+ problems? \(|^Found \d+ errors?\b|returned exit code [1-9]|^Failed in branch"
    r"|The command \".*\" (?:exited with|failed)|Process completed with exit code [1-9]"
    r"|\*\*\* \[[^\]]+\] Error \d+|npm (?:ERR!|error) Test failed|exited with (?:code|status) [1-9]"
    r"|failed with exit code [1-9]"
)


def is_verdict(text: str) -> bool:
    """Whether ``text`` is a verdict or tally line (see :data:`_VERDICT`)."""
    return _VERDICT.search(strip_prefix(text).strip()) is not None


def is_blank(text: str) -> bool:
    """A blank line, or one with only a runner's prefix (a timestamp before nothing)."""
    return not strip_prefix(text).strip()


def announces_detail(text: str) -> bool:
    """A message ending with a colon announces the detail printed under it."""
    return strip_prefix(text).rstrip().endswith(":")


def is_continuation(previous: str, text: str, *, after_blank: bool = False) -> bool:
    previous, text = strip_prefix(previous), strip_prefix(text)
    if not text.strip():
        return False
    if _CONTINUATION.match(text):
        return True
    if not after_blank and announces_detail(previous):
        # A message ending with a colon announces its detail ("Failure:", "CMake Error at x.cmake:12
        # (message):"): the paragraph under it belongs to it, up to a blank line.
        return True
    if text[:1].isspace():
        # Indented detail belongs to the message above it, except the next item of the same list: a test
        # reporter's next result ("    ✓ next test" after "    1) failing test" or "    ✗ failing test").
        return not (
            indent(text) == indent(previous) and _LIST_ITEM.match(text) and _LIST_ITEM.match(previous)
        )
    tag = _TAG.match(previous)
    if not tag:
        return False
    label = tag.group(1).strip()
    stripped = text.lstrip()
    if not stripped.startswith(label):
        return False
    if _ERROR_TAG.search(label):
        return True  # "[error] ...", "npm ERR! ...": the tool is still reporting the same failure
    # Same neutral tag ("[info]"): the output goes on, unless it starts the next item of the same list
    # ("[info] - next test" after "[info] - failing test *** FAILED ***").
    rest, previous_rest = stripped[len(label) :], previous.lstrip()[len(label) :]
    if indent(rest) > indent(previous_rest):
        return True
    if indent(rest) < indent(previous_rest):
        return False  # back out of the message's detail: the next item ("[info] - next test")
    first, previous_first = rest.split(None, 1)[:1], previous_rest.split(None, 1)[:1]
    return not (first and first == previous_first and indent(rest) == indent(previous_rest))


_ERROR_TAG = re.compile(r"(?i)err|fail|fatal|^E$")


def indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def digest(cand: Candidate) -> None:
    """A long report shown after the first block keeps only its end, where the error is (pytest's "E" lines
    and "file.py:NN: Error"): the first block is read in full, the others are pointers to more failures."""
    if len(cand.lines) > DIGEST_LINES:
        cut = len(cand.lines) - DIGEST_LINES
        cand.lines = cand.lines[cut:]
        cand.start += cut


def max_lines(cand: Candidate) -> int:
    return MAX_SECTION_LINES if cand.until is not None else MAX_BLOCK_LINES


def ends_section(cand: Candidate, text: str) -> bool:
    return cand.until is not None and cand.until.search(strip_prefix(text)) is not None


@functools.lru_cache(maxsize=64)
def compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


# A titled separator line ("____ test_b ____", "---- Captured stdout call ----", "==== 2 failed ===="): it ends
# the report section above it.
SECTION_END = re.compile(r"^\s*[=_-]{3,} ?\S.*\S ?[=_-]{3,}\s*$")


def echo_lines(kb: KnowledgeBase, lines: list[str]) -> list[bool]:
    """Which of ``lines`` only echo a failure reported elsewhere (a signal capped at the evidence threshold:
    npm's ELIFECYCLE trailer, make's "Error 2", go's "FAIL pkg", a runner's exit line) or are blank: they add
    nothing at the edge of a block."""
    echo = [is_blank(line) for line in lines]
    if not lines:
        return echo
    for index in kb.echo_line_indexes("\n".join(lines).encode("utf-8", "replace")):
        echo[index] = True
    return echo


def trim_edges(kb: KnowledgeBase, cand: Candidate) -> None:
    """Drop blank and echo lines from both ends of a block (an echo that is the block's only evidence stays),
    then a short summary paragraph at its end."""
    echo = echo_lines(kb, cand.lines)
    evidence = {h.line - cand.start for h in cand.hits if h.weight >= TRIGGER_WEIGHT}
    keep = {i for i in evidence if 0 <= i < len(echo) and not echo[i]} or evidence
    first, last = 0, len(cand.lines) - 1
    while last > first and echo[last] and last not in keep:
        last -= 1
    while first < last and echo[first] and first not in keep:
        first += 1
    if not cand.section:
        last = _before_trailing_summary(cand, first, last)
    if first == 0 and last == len(cand.lines) - 1:
        return
    cand.lines = cand.lines[first : last + 1]
    cand.start += first
    cand.hits = [h for h in cand.hits if cand.start <= h.line <= cand.end] or cand.hits[:1]
    cand.last_hit = max(h.line for h in cand.hits)


def _before_trailing_summary(cand: Candidate, first: int, last: int) -> int:
    """Where the block ends without its last paragraph when that paragraph is short and says less than the
    rest: the tool's verdict on the error above it ("868 tests, 1 failures", "rake aborted!")."""
    blanks = [i for i in range(first + 1, last) if is_blank(cand.lines[i])]
    if not blanks or last - blanks[-1] > TRAILING_SUMMARY_LINES:
        return last
    cut = blanks[-1]
    after = strip_prefix(cand.lines[cut + 1])
    if _CONTINUATION.match(after) or after[:1].isspace():
        return last  # the message goes on after a blank line (a stack trace, indented detail): not a verdict
    weights = {h.line - cand.start: h.weight for h in cand.hits}
    head = max((w for i, w in weights.items() if first <= i < cut), default=0.0)
    rest = max((w for i, w in weights.items() if cut < i <= last), default=0.0)
    if rest >= TRAILING_SUMMARY_RATIO * head:
        return last
    last = cut - 1
    while last > first and is_blank(cand.lines[last]):
        last -= 1
    return last
