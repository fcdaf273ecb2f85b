"""What the chat REPL prints after a streamed answer (``worker.agents.chat._unstreamed``); the REPL itself is
driven through a pty in tests/integration/agents/test_chat_repl.py."""

from __future__ import annotations

from worker.agents.chat import _unstreamed

WORDS = "This pipeline builds the crate with cargo and runs its tests."
BLOCK = "```groovy\npipeline {\n  agent any\n\n  stages { }\n}\n```"


def test_the_jenkinsfile_put_after_the_streamed_words_is_all_that_is_left() -> None:
    answer = f"{WORDS}\n\n{BLOCK}"
    assert _unstreamed(answer, WORDS) == BLOCK
    assert _unstreamed(answer, f"  {WORDS}\n") == BLOCK  # spacing aside
    # Words the model streamed before a tool call come first: the stream ends with the answer's words.
    assert _unstreamed(answer, f"Let me generate it.{WORDS}") == BLOCK
    # Words on both sides of the block: the ones after it were not streamed before it.
    assert _unstreamed(f"{WORDS}\n\n{BLOCK}\n\nThen push.", WORDS) == f"{BLOCK}\n\nThen push."


def test_an_answer_that_replaced_the_stream_is_printed_whole() -> None:
    answer = f"{WORDS}\n\n{BLOCK}"
    assert _unstreamed(answer, "Something else entirely.") == answer
    # The model wrote a Jenkinsfile of its own (replaced by the checked one): the stream does not end with the
    # answer's words, so the whole answer is printed.
    assert _unstreamed(answer, f"{WORDS}\n```groovy\npipeline {{ }}\n```") == answer


def test_an_answer_is_never_cut_inside_a_code_block() -> None:
    answer = f"{WORDS}\n\n{BLOCK}"
    # The stream ends as the answer does halfway through its block: the rest of the block alone would be
    # printed without its fence, so the whole answer is printed instead.
    streamed = f"{WORDS}\n\n```groovy\npipeline {{\n  agent any\n\n"
    assert _unstreamed(answer, streamed) == answer
