"""What the user reads never tells them to call the assistant's own tools."""

from __future__ import annotations

from worker.agents.answer import without_tool_talk
from worker.agents.supervisor import ALL_TOOL_NAMES

#: The real model's .NET pipeline answer in CI's run of 4 December (its prose, then a Jenkinsfile of its own).
DOTNET = (
    "To generate a Jenkinsfile for a .NET project with tests, you can use the `generate_jenkinsfile` function "
    "with the following parameters:\n\n```groovy\n// Declarative\npipeline { agent any }\n```"
)


def test_a_sentence_telling_the_user_to_call_a_tool_goes_and_the_code_stays() -> None:
    text, removed = without_tool_talk(DOTNET, ALL_TOOL_NAMES)
    assert removed == 1
    assert "generate_jenkinsfile" not in text
    assert text.strip() == "```groovy\n// Declarative\npipeline { agent any }\n```"


def test_only_the_sentences_naming_a_tool_go() -> None:
    text, removed = without_tool_talk(
        "It builds and tests the crate with cargo. Call lint_jenkinsfile to check it again.\nIt also lints.",
        ALL_TOOL_NAMES,
    )
    assert (text, removed) == ("It builds and tests the crate with cargo.\nIt also lints.", 1)


def test_a_tool_named_like_an_english_word_counts_only_as_an_identifier() -> None:
    plain = "I would rebuild api-service #42 with DEBUG=false (once)."
    assert without_tool_talk(plain, ALL_TOOL_NAMES) == (plain, 0)
    for spelled in ("Use `rebuild` with the build number.", "Run rebuild(job='api-service', build=42) now."):
        assert without_tool_talk(spelled, ALL_TOOL_NAMES) == ("", 1)


def test_code_blocks_and_answers_without_tool_names_pass_untouched() -> None:
    answer = (
        "The build failed in `mvn test`.\n\n```groovy\nsh 'echo generate_jenkinsfile'\n```\n\nFix the test."
    )
    assert without_tool_talk(answer, ALL_TOOL_NAMES) == (answer, 0)
