"""``jenkins-ai chat`` driven through a real pty, as a person would: the program is a subprocess on a
pseudo-terminal (readline, rich's spinner and SIGINT from Ctrl-C all real), talking to the Jenkins double and
the LLM stub over loopback. Assertions are on the transcript and on what Jenkins and the model received."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.llm_stub import StubLLM, route_reply
from tests.terminal import Terminal

PROMPT = r"jenkins-ai> "


@pytest.fixture
def start_chat(tmp_path: Path, jenkins_double: Any, redis_url: str) -> Iterator[Callable[..., Terminal]]:
    terminals: list[Terminal] = []

    def start(*args: str, llm_stub: StubLLM | None = None) -> Terminal:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "TERM": "xterm",
            "JENKINS_URL": jenkins_double.url,
            "JENKINS_USER": jenkins_double.user,
            "JENKINS_TOKEN": jenkins_double.token,
            "REDIS_URL": redis_url,
        }
        if llm_stub is not None:
            env.update(OPENAI_BASE_URL=llm_stub.url, OPENAI_API_KEY="sk-stub", LLM_MAX_RETRIES="0")
        argv = [
            sys.executable,
            "-m",
            "worker.cli",
            "chat",
            "--history-file",
            str(tmp_path / "history"),
            *args,
        ]
        terminal = Terminal(argv, env=env, cwd=str(tmp_path))  # cwd: no .env of the checkout is read
        terminals.append(terminal)
        return terminal

    yield start
    for terminal in terminals:
        terminal.close()


def test_offline_session_answers_asks_before_changing_jenkins_and_keeps_history(
    start_chat: Callable[..., Terminal], jenkins_double: Any, tmp_path: Path
) -> None:
    chat = start_chat()
    chat.expect(r"offline \(no LLM configured\)")
    chat.expect(PROMPT)
    chat.sendline("/help")
    chat.expect(r"/context job=api-service build=42")
    chat.expect(PROMPT)

    chat.sendline("/context job=api-service build=42")
    chat.expect(r"Context: job=api-service build=42")
    chat.sendline("/context confirm=true")  # a standing confirmation would bypass every prompt
    chat.expect(r"confirm is asked for each action")

    chat.sendline("generate a Jenkinsfile for a Rust project with lint")
    chat.expect(r"cargo clippy --all-targets --locked -- -D warnings")
    chat.expect(r"\[pipeline, offline, ")
    chat.expect(PROMPT)

    # A side effect is asked for; "n" changes nothing, "y" does exactly it.
    chat.sendline("/context clear")
    chat.expect(r"Context: \(empty\)")
    chat.sendline("create a job called orders-ci with a maven pipeline")
    chat.expect(r"This would change Jenkins:\n\s+- .*orders-ci")
    chat.expect(r"Do it\? \[y/N\] ")
    chat.sendline("n")
    chat.expect(r"Nothing was changed\.")
    chat.expect(PROMPT)
    assert "orders-ci" not in jenkins_double.jobs

    chat.sendline("create a job called orders-ci with a maven pipeline")
    chat.expect(r"Do it\? \[y/N\] ")
    chat.sendline("y")
    chat.expect(r"Created the pipeline job 'orders-ci'")
    chat.expect(PROMPT)
    assert "orders-ci" in jenkins_double.jobs

    # Up-arrow recalls the previous line (readline history).
    chat.sendline("/context job=api-service build=42")
    chat.sendline("/context -build")
    chat.expect(r"Context: job=api-service\n")
    chat.expect(PROMPT)
    chat.wait_until_reading()
    chat.send("\x1b[A\r")
    chat.expect(r"Context: job=api-service\n")
    chat.expect(PROMPT)

    chat.send("half a line")
    chat.expect(r"half a line")
    chat.wait_until_reading()  # see Terminal.wait_until_reading: CPython's readline and a fast Ctrl-C
    chat.ctrl_c()  # at the prompt: clears the line, the REPL stays
    chat.expect(PROMPT)
    chat.ctrl_d()
    assert chat.wait() == 0, chat.transcript[-2000:]
    history = (tmp_path / "history").read_text()
    assert "generate a Jenkinsfile for a Rust project with lint" in history
    assert "half a line" not in history


def test_llm_session_streams_the_answer_and_ctrl_c_cancels_only_the_turn(
    start_chat: Callable[..., Terminal], llm_stub: StubLLM
) -> None:
    def slow(_body: dict[str, Any]) -> str:
        time.sleep(6)  # a model thinking for a long time: the user gives up on this turn
        return "slow answer"

    llm_stub.script(slow)
    chat = start_chat(llm_stub=llm_stub)
    chat.expect(r"LLM gpt-4o-mini, streaming")
    chat.sendline("/context agent=log")  # no routing call: the specialist's model call is the slow one
    chat.expect(r"Context: agent=log")
    chat.sendline("why did api-service #42 fail")
    chat.expect(r"log specialist: asking the model …")  # the spinner while the supervisor works
    chat.ctrl_c()
    chat.expect(r"Cancelled\.")
    chat.expect(PROMPT)

    # The REPL is alive and answers the next task; offline, since the abandoned turn still holds the model.
    chat.sendline("/context clear")
    chat.sendline("/offline")
    chat.expect(r"Offline: local router")
    chat.sendline("generate a Jenkinsfile for a Go service")
    chat.expect(r"go build \./\.\.\.")
    chat.expect(r"\[pipeline, offline, ")
    chat.expect(PROMPT)
    time.sleep(6.5)  # let the abandoned turn finish: its output must not appear
    while llm_stub.remaining:
        time.sleep(0.1)

    chat.sendline("/offline off")
    chat.expect(r"Using the LLM\.")
    chat.expect(PROMPT)
    requests_before = len(llm_stub.requests)
    llm_stub.script(
        route_reply("plugin"),
        "Streamed answer: no plugin needs an update right now.",
    )
    chat.sendline("do any plugins need updates")
    chat.expect(r"Streamed answer: no plugin needs an update right now\.")
    chat.expect(r"\[plugin, llm, 0\.90; LLM 2 calls")
    chat.expect(PROMPT)
    chat.ctrl_d()
    assert chat.wait() == 0, chat.transcript[-2000:]

    # The specialist's model call was streamed (routing is a short structured call of its own), and the
    # streamed answer was not printed a second time.
    assert len(llm_stub.requests) == requests_before + 2
    assert llm_stub.requests[-1].get("stream") is True
    assert chat.transcript.count("Streamed answer: no plugin needs an update right now.") == 1
    # Nothing of the cancelled turn reached the screen after "Cancelled."
    after = chat.transcript.split("Cancelled.", 1)[1]
    assert "slow answer" not in after and "[log," not in after and "TurnCancelled" not in after


def test_a_streamed_pipeline_answer_shows_its_words_once_and_then_the_jenkinsfile(
    start_chat: Callable[..., Terminal], llm_stub: StubLLM
) -> None:
    # The model streams its words; the supervisor then puts the checked Jenkinsfile after them (pipeline.finish).
    # Only what was not streamed is printed after the stream: the words are not shown a second time.
    prose = "This pipeline builds the crate with cargo, lints it with clippy and runs its tests."
    llm_stub.script(route_reply("pipeline"), prose)
    chat = start_chat(llm_stub=llm_stub)
    chat.expect(r"LLM gpt-4o-mini, streaming")
    chat.expect(PROMPT)
    chat.sendline("generate a Jenkinsfile for a Rust project with lint")
    chat.expect(r"```groovy\n")
    chat.expect(r"cargo clippy --all-targets --locked -- -D warnings")
    chat.expect(r"\[pipeline, llm, 0\.90; LLM 2 calls")
    chat.expect(PROMPT)
    chat.ctrl_d()
    assert chat.wait() == 0, chat.transcript[-2000:]
    assert llm_stub.requests[-1].get("stream") is True  # the words were streamed
    assert chat.transcript.count(prose) == 1, chat.transcript[-3000:]
    # The words come before the Jenkinsfile, as in the answer `ask` prints.
    assert chat.transcript.index(prose) < chat.transcript.index("```groovy")
    assert chat.transcript.count("```groovy") == 1
