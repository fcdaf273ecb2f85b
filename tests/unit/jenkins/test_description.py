"""Our block in a build description never clobbers what people wrote there."""

from __future__ import annotations

from worker.jenkins.description import (
    MARK_END,
    MARK_START,
    MAX_BLOCK_CHARS,
    extract_block,
    format_analysis_line,
    merge_description,
)


def test_an_empty_description_gets_just_our_block() -> None:
    assert merge_description(None, "AI: test") == f"{MARK_START}AI: test{MARK_END}"
    assert merge_description("", "AI: test") == f"{MARK_START}AI: test{MARK_END}"


def test_existing_text_is_kept_and_our_block_appended() -> None:
    merged = merge_description("deployed to <b>staging</b>", "AI: test")
    assert merged == f"deployed to <b>staging</b>\n{MARK_START}AI: test{MARK_END}"


def test_a_second_update_replaces_only_our_block() -> None:
    first = merge_description("before", "old analysis")
    edited = first + "\nafter, added by a person"
    second = merge_description(edited, "new analysis")
    assert second == f"before\n{MARK_START}new analysis{MARK_END}\nafter, added by a person"
    assert extract_block(second) == "new analysis"


def test_duplicate_blocks_collapse_into_one() -> None:
    doubled = f"x {MARK_START}a{MARK_END} y {MARK_START}b{MARK_END} z"
    merged = merge_description(doubled, "c")
    assert merged.count(MARK_START) == 1
    assert merged == f"x {MARK_START}c{MARK_END} y  z"


def test_empty_text_removes_our_block_only() -> None:
    assert merge_description(f"keep me\n{MARK_START}old{MARK_END}", "") == "keep me"
    assert merge_description("keep me", "") == "keep me"


def test_markers_inside_the_text_cannot_break_the_block() -> None:
    merged = merge_description(None, f"evil {MARK_END} text {MARK_START}")
    assert merged.count(MARK_START) == 1 and merged.count(MARK_END) == 1
    assert extract_block(merged) == "evil  text"


def test_long_text_is_cut_to_a_summary() -> None:
    block = extract_block(merge_description(None, "x" * 5000))
    assert block is not None and len(block) == MAX_BLOCK_CHARS and block.endswith("…")


def test_the_analysis_line_escapes_log_text_and_links_the_analysis() -> None:
    line = format_analysis_line("test", "expected <foo> & got <bar>", "https://ai/x?a=1&b=2")
    assert "expected &lt;foo&gt; &amp; got &lt;bar&gt;" in line
    assert '<br><a href="https://ai/x?a=1&amp;b=2">Full analysis</a>' in line
    assert line.startswith("<b>AI analysis: test</b> - ")


def test_plain_text_is_two_readable_lines_without_markup() -> None:
    from worker.jenkins.description import description_block

    block = description_block("text", "test", "expected <1>\n  but   was <2>", "https://ai/analyses/t")
    assert block == "AI analysis: test - expected <1> but was <2>\nFull analysis: https://ai/analyses/t"
    assert "<!--" not in block and "<b>" not in block


def test_plain_text_keeps_people_text_and_never_doubles_our_lines() -> None:
    from worker.jenkins.description import merge_any

    first = merge_any("deployed to staging", "AI analysis: lint - x\nFull analysis: https://ai/a", "text")
    again = merge_any(
        first + "\nchecked by ops", "AI analysis: test - y\nFull analysis: https://ai/b", "text"
    )
    assert again == "deployed to staging\nchecked by ops\nAI analysis: test - y\nFull analysis: https://ai/b"


def test_switching_formats_leaves_no_stale_block() -> None:
    from worker.jenkins.description import description_block, merge_any

    html = merge_any("note", description_block("html", "test", "x", "https://ai/a"), "html")
    text = merge_any(html, description_block("text", "test", "y", "https://ai/b"), "text")
    assert text == "note\nAI analysis: test - y\nFull analysis: https://ai/b"
    back = merge_any(text, description_block("html", "test", "z", None), "html")
    assert back == f"note\n{MARK_START}<b>AI analysis: test</b> - z{MARK_END}"


def test_the_html_block_uses_only_tags_the_safe_html_formatter_keeps() -> None:
    import re

    from worker.jenkins.description import SAFE_HTML_TAGS, description_block

    block = description_block("html", "test", "expected <foo> & <script>x</script>", "https://ai/p?a=1&b=2")
    tags = {t.lower() for t in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", block)}
    assert tags == {"b", "br", "a"} and tags <= SAFE_HTML_TAGS
    assert "&lt;script&gt;" in block
