"""The Jenkins double's ``tree=`` filter behaves like Stapler's (the integration tests rely on it)."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from tests.jenkins_double.tree import apply_tree, parse_tree, to_python_literal

DOC = {
    "_class": "Job",
    "name": "app",
    "lastBuild": {"_class": "Run", "number": 3, "url": "u"},
    "builds": [{"number": n, "result": "SUCCESS", "url": "u"} for n in (5, 4, 3, 2)],
}


def test_keeps_only_named_fields_and_class() -> None:
    assert apply_tree(DOC, parse_tree("name,lastBuild[number]")) == {
        "_class": "Job",
        "name": "app",
        "lastBuild": {"_class": "Run", "number": 3},
    }


def test_an_object_without_sub_fields_keeps_only_its_class() -> None:
    assert apply_tree(DOC, parse_tree("lastBuild"))["lastBuild"] == {"_class": "Run"}


def test_a_plain_map_without_sub_fields_is_kept_whole() -> None:
    doc = {"_class": "Plugin", "dependencies": {"git": "5.0", "scm-api": "2.0"}}
    assert apply_tree(doc, parse_tree("dependencies")) == doc


def test_ranges_slice_lists() -> None:
    assert apply_tree(DOC, parse_tree("builds[number]{0,2}"))["builds"] == [{"number": 5}, {"number": 4}]
    assert apply_tree(DOC, parse_tree("builds[number]{1}"))["builds"] == [{"number": 4}]
    assert apply_tree(DOC, parse_tree("builds[number]{,1}"))["builds"] == [{"number": 5}]


@pytest.mark.parametrize("bad", ["a[b", "a,,b", "[x]", ""])
def test_malformed_trees_are_errors(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_tree(bad)


def test_api_python_rendering_reads_back_as_the_same_data(jenkins_response: Any) -> None:
    doc = jenkins_response("computers.json")  # nulls, booleans, nested maps, numbers
    doc["displayName"] = 'Nodes "None" & True\n\u2018quoted\u2019 \\ back\tslash \x01'
    text = to_python_literal(doc)
    assert ast.literal_eval(text) == doc
