"""The answer's prose and code pieces (worker.agents.fences), on which the answer's clean-ups rely."""

from __future__ import annotations

from worker.agents import fences
from worker.agents.answer import clean_answer, without_tool_talk
from worker.agents.grounding import facts, ground

ANSWER = "Build #42 failed.\n```groovy\nsh 'make #7'\n```\nSee line 12."


def test_pieces_join_back_and_mark_code() -> None:
    pieces = fences.pieces(ANSWER)
    assert "".join(piece for piece, _ in pieces) == ANSWER
    assert [is_code for _, is_code in pieces] == [False, True, False]
    assert pieces[1][0] == "```groovy\nsh 'make #7'\n```"


def test_an_unclosed_fence_runs_to_the_end() -> None:
    pieces = fences.pieces("Try this:\n```\npipeline {")
    assert pieces == [("Try this:\n", False), ("```\npipeline {", True), ("", False)]


def test_text_without_code_is_one_prose_piece() -> None:
    assert fences.pieces("no code here") == [("no code here", False)]
    assert fences.pieces("") == [("", False)]


def test_every_clean_up_leaves_code_alone() -> None:
    # The code block names a tool, repeats a fact no source has and would be a repeated paragraph: all kept.
    code = "```\nrebuild_build(job)\nbuild #99\n```"
    answer = f"Use `rebuild_build` now. It broke.\n\n{code}\n\nIt broke."
    cleaned, removed = without_tool_talk(answer, ["rebuild_build"])
    assert removed == 1 and code in cleaned and "Use `rebuild_build`" not in cleaned
    assert facts(answer) == []  # "#99" is inside the code block
    grounded, dropped = ground(f"Build #99 broke.\n{code}", sources=["nothing"])
    assert dropped == 1 and code in grounded
    assert clean_answer(f"{code}\n\n{code}") == code  # a repeated block is still a repeat
