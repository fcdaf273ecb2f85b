"""Cheaper trigger forms (kb.TRIGGER_FORMS) select a superset of their rule's lines and change no result."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from worker.analysis import analyze_stream, load_knowledge_base
from worker.analysis.kb import TRIGGER_FORMS, TRIGGER_SUFFIXES, anchor_after_prefix
from worker.analysis.trigger_scan import alternatives, atoms

# What the part cut off a rule may contain: atoms that never match a newline (so the cut form's match ends on
# the same line as the rule's).
_SAME_LINE_TAIL = re.compile(r"(?:\\[dwS\[\]().+*?{}]|[^\\\[\].\s]|\[[^\]^\\]*(?:\\[dw][^\]^\\]*)*\]|[*+?])*")


@pytest.mark.parametrize(("regex", "form"), sorted(TRIGGER_FORMS.items()))
def test_a_trigger_form_is_its_rule_cut_where_the_rest_stays_on_the_line(regex: str, form: str) -> None:
    assert regex.startswith(form) and form != regex
    assert _SAME_LINE_TAIL.fullmatch(regex[len(form) :]), regex[len(form) :]


@pytest.mark.parametrize(("regex", "form"), sorted(TRIGGER_FORMS.items()))
def test_a_trigger_form_matches_every_line_its_rule_matches(regex: str, form: str) -> None:
    lines = [
        "  X Shop.Tests.CartTest.AddsItem [12ms]",
        "X Shop.Tests.CartTest.AddsItem [3 ms]",
        "2024-05-01T10:00:00.123Z   X Shop.Tests.Cart [7s]",
        "[INFO] Building core 1.3.0-SNAPSHOT [3/12]",
    ]
    _rule_lines_the_form_matches(regex, form, lines)


def _rule_lines_the_form_matches(regex: str, form: str, lines: list[str]) -> int:
    """How many of ``lines`` the rule matches (as the engine anchors it), asserting its form matches each."""
    exact, cheap = re.compile(anchor_after_prefix(regex), re.M), re.compile(anchor_after_prefix(form), re.M)
    matched = 0
    for line in lines:
        if exact.search(line):
            matched += 1
            assert cheap.search(line), line
    return matched


def test_a_line_only_a_trigger_form_selects_is_not_evidence(tmp_path: Path) -> None:
    """Weak signals (no trigger) reaching weight 1 together count only on a line an exact trigger matched."""
    (tmp_path / "weak.yaml").write_text(
        "signals:\n  - {pattern: 'zzz', weight: 0.6}\n  - {pattern: 'yyy', weight: 0.6}\n"
    )
    kb = load_knowledge_base([tmp_path])
    noise = "\n".join(f"step {i} done" for i in range(30))
    # "X zzz_yyy [" matches the dotnet rule's cheaper form, not the rule: the weak signals alone stay noise.
    quiet = analyze_stream([f"{noise}\n  X zzz_yyy [\nstep 31 done\n".encode()], knowledge_base=kb)
    assert quiet.excerpt[0].score == 0.0 and not quiet.causes
    failing = analyze_stream([f"{noise}\n  X Shop.CartTest.Adds [12ms]\n".encode()], knowledge_base=kb)
    assert [c.id for c in failing.causes] == ["dotnet.test-failure"]
    assert failing.causes[0].line == 31


def test_every_trigger_form_belongs_to_a_built_in_rule() -> None:
    """A form is keyed by its rule's exact regex: editing the rule must not silently drop the form."""
    regexes = {info.regex for info in load_knowledge_base().patterns}
    assert set(TRIGGER_FORMS) <= regexes


@pytest.mark.parametrize(("regex", "form"), sorted(TRIGGER_SUFFIXES.items()))
def test_a_trigger_suffix_is_the_end_of_every_alternative_from_an_atom_on(regex: str, form: str) -> None:
    # A match of each alternative then ends with a match of the form, at the same byte (so on the same line).
    for alternative in alternatives(regex):
        parts = ["".join(a + q for a, q in atoms(alternative)[k:]) for k in range(1, len(atoms(alternative)))]
        assert form in parts, (alternative, form)


@pytest.mark.parametrize(("regex", "form"), sorted(TRIGGER_SUFFIXES.items()))
def test_a_trigger_suffix_matches_every_line_its_rule_matches(regex: str, form: str) -> None:
    lines = [
        "  testAddsItem, XCTAssertEqual failed: (1) is not equal to (2)",
        "2024-05-01T10:00:00.123Z   testLogin, failed - timed out",
        "\ttestB, threw an error",
        "./build.sh: line 12: mvn: not found",
        "sh: yarn: not found",
        "/bin/bash: 3: gradle: not found\r",
        "[12:00:01] sh: node: not found",
    ]
    assert _rule_lines_the_form_matches(regex, form, lines) >= 2  # the rule matches some of them


def test_every_trigger_suffix_belongs_to_a_built_in_trigger() -> None:
    kb = load_knowledge_base()
    regexes = {kb.patterns[i].regex for i in kb.triggers}
    assert set(TRIGGER_SUFFIXES) <= regexes
    assert not set(TRIGGER_SUFFIXES) & set(TRIGGER_FORMS)  # one cheaper form per rule
