"""The cache of validated rules: same knowledge base as a fresh build, never stale after an edit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from worker.analysis import kb as kb_module
from worker.analysis.kb import KnowledgeBase, compile_knowledge_base, rule_files, trigger_expression

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"

RULE = """
causes:
  - id: custom.widget-broke
    category: test
    description: The widget broke.
    fix: Mend the widget.
    patterns: ['WIDGET BROKE: \\d+']
signals:
  - {pattern: 'wobble', weight: 0.5}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    directory.mkdir()
    monkeypatch.setattr(kb_module, "_cache_dir", lambda: directory)
    return directory


def _rules(kb: KnowledgeBase) -> tuple[object, ...]:
    return (kb.causes, kb.patterns, kb.sequences, kb.expressions, kb.triggers)


def test_cached_rules_equal_a_fresh_build_and_skip_yaml(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = rule_files()
    fresh = compile_knowledge_base(files, cache=False)
    first = compile_knowledge_base(files)
    assert len(list(cache_dir.glob("kb-*.json"))) == 1
    # A second process would load the JSON: YAML must not be needed at all.
    monkeypatch.setitem(sys.modules, "yaml", None)
    cached = compile_knowledge_base(files)
    assert _rules(cached) == _rules(first) == _rules(fresh)
    data = b"[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0\nok\n"
    assert cached.scan(data) == fresh.scan(data) != []
    # The trigger scanner's rewritten expressions come from the cache too, the same as computed afresh.
    (cache_file,) = cache_dir.glob("kb-*.json")
    stored = json.loads(cache_file.read_text(encoding="utf-8"))["trigger_expressions"]
    assert [tuple(e) for e in stored] == [trigger_expression(fresh, i) for i in fresh.scanned]
    log = (SAMPLES / "maven-test-failure.log").read_bytes()
    assert cached.scan_triggers(log) == fresh.scan_triggers(log) != []


def test_a_cache_file_of_another_shape_is_rebuilt(cache_dir: Path) -> None:
    files = rule_files()
    compile_knowledge_base(files)
    (cache_file,) = cache_dir.glob("kb-*.json")
    data = json.loads(cache_file.read_text(encoding="utf-8"))
    data["trigger_expressions"] = data["trigger_expressions"][:-1]  # not one per scanned trigger
    cache_file.write_text(json.dumps(data), encoding="utf-8")
    rebuilt = compile_knowledge_base(files)
    fresh = compile_knowledge_base(files, cache=False)
    log = (SAMPLES / "maven-test-failure.log").read_bytes()
    assert rebuilt.scan_triggers(log) == fresh.scan_triggers(log) != []
    stored = json.loads(cache_file.read_text(encoding="utf-8"))["trigger_expressions"]
    assert len(stored) == len(fresh.scanned)


def test_an_edited_rule_file_is_never_served_from_the_cache(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text(RULE, encoding="utf-8")
    before = compile_knowledge_base([path])
    assert before.causes[0].description == "The widget broke."
    path.write_text(RULE.replace("The widget broke.", "The widget fell apart."), encoding="utf-8")
    after = compile_knowledge_base([path])
    assert after.causes[0].description == "The widget fell apart."
    assert len(list(cache_dir.glob("kb-*.json"))) == 2


def test_a_corrupt_cache_file_is_rebuilt(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text(RULE, encoding="utf-8")
    compile_knowledge_base([path])
    (cached,) = cache_dir.glob("kb-*.json")
    cached.write_text('{"causes": [', encoding="utf-8")
    kb = compile_knowledge_base([path])
    assert [c.id for c in kb.causes] == ["custom.widget-broke"]
    assert kb.patterns[1].weight == 0.5 and kb.triggers == [0]
