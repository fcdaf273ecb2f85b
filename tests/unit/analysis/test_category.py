"""How the category is decided: a known cause when one names it, the inner step's cause for a wrapper, and the
first block's own words for a toolchain no rule knows."""

from __future__ import annotations

from worker.analysis import analyze_stream, load_knowledge_base
from worker.analysis.category import hinted


def _category(log: str) -> str:
    return analyze_stream([log.encode()]).category


def test_words_of_the_first_block_decide_when_no_rule_knows_the_tool() -> None:
    log = "\n".join(
        [
            "$ ./run-acme-checks",
            "acme-verify 2.1 starting",
            "src/a.acme:3: assertion failed: expected 4 but got 5",
            'The command "./run-acme-checks" exited with 1.',
            "",
        ]
    )
    assert _category(log) == "test"


def test_a_docker_build_wrapper_takes_the_category_of_its_run_step() -> None:
    log = "\n".join(
        [
            "#7 [4/6] RUN npm ci",
            "#7 9.812 npm error code E404",
            "#7 9.812 npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fui-kit - Not found",
            '#7 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
            'ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
            "",
        ]
    )
    assert _category(log) == "dependency"


def test_hints_count_lines_and_unknown_without_any() -> None:
    kb = load_knowledge_base()
    assert hinted(kb, ["all good", "nothing to see"]) == "unknown"
    assert (
        hinted(kb, ["Connection refused by db:5432", "network is unreachable", "assert x"])
        == "infrastructure"
    )


def test_warning_level_lines_never_decide_the_category() -> None:
    kb = load_knowledge_base()
    lines = [
        "[WARNING] The POM for org.acme:ui:jar:1.2 is missing, dependency resolution may fail",
        "warning: unused variable `x` (lint dead_code)",
        "npm warn deprecated request@2.88.2: request has been deprecated, could not resolve a newer one",
        "src/a.acme:3: assertion failed: expected 4 but got 5",
    ]
    assert hinted(kb, lines) == "test"
    assert hinted(kb, lines[:3]) == "unknown"


def test_a_lower_case_failed_is_no_test_verdict() -> None:
    kb = load_knowledge_base()
    assert hinted(kb, ["           failed {", "           ^"]) == "unknown"
    assert hinted(kb, ["FAIL\tgithub.com/acme/shop\t0.012s"]) == "test"
