"""``jenkins-ai chat``: an interactive session over the same supervisor as ``jenkins-ai ask``.

Each line is a task for ``run_task`` (the same routing, specialists, tools and confirmation rules as ``ask``),
with the session's context (``/context job=api-service``) and the configured LLM, or none (``/offline``).
While a turn runs, a spinner (rich) says what the supervisor is doing; when the model streams, its tokens are
printed as they arrive. A turn that would change Jenkins shows the planned actions and asks y/N; "y" confirms
through the path ``ask`` uses. Ctrl-C cancels the running turn (the REPL stays), Ctrl-D or ``/quit`` leaves.

Line editing and history: GNU readline from the standard library, not prompt_toolkit. It needs no dependency,
keeps a history file across sessions and works on any terminal, including a pty driven by a test or a pipe;
prompt_toolkit would add a package for features a one-line prompt does not use and queries the terminal
(cursor-position requests) that a pty without a real terminal emulator never answers.

A turn runs in a daemon thread so the main thread stays free for Ctrl-C: cancelling abandons the turn (its
output is dropped, a streaming model call is stopped at its next token) rather than killing the thread, so a
Jenkins request already sent completes; the message says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import shlex
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from rich.console import Console
    from rich.status import Status

    from worker.agents import AgentServices, TaskResult
    from worker.settings import Settings

PROMPT = "jenkins-ai> "
COMMANDS = ("/help", "/context", "/offline", "/quit", "/exit")
HELP = """\
Type a task in plain words, e.g. "why did api-service #42 fail" or "generate a Jenkinsfile for a Rust project".
  /context                 show the context sent with every task
  /context job=api-service build=42   set keys (values may be JSON: parameters='{"A": "1"}')
  /context -job            remove a key;  /context clear  remove all
  /offline [on|off]        answer without the LLM (local router and deterministic specialists), or with it
  /help                    this text
  /quit                    leave (or Ctrl-D)
Ctrl-C cancels the running answer; actions that change Jenkins are asked for (y/N) before they are done."""


class TurnCancelled(Exception):
    """Raised inside a cancelled turn's model stream, to stop it at the next token."""


@dataclasses.dataclass
class Turn:
    """One task being answered in the background thread."""

    thread: threading.Thread | None = None
    result: TaskResult | None = None
    error: BaseException | None = None
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)
    streamed: list[str] = dataclasses.field(default_factory=list)
    tokens_allowed: bool = False  # routing replies are not the answer: stream only once a specialist runs


class Terminal:
    """The spinner and the streamed tokens of the current turn; callbacks from any other thread are ignored."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lock = threading.Lock()
        self.turn: Turn | None = None
        self.status: Status | None = None
        self.mid_line = False
        self.abandoned: set[threading.Thread] = set()  # threads of cancelled turns: their model calls stop

    def _current(self) -> Turn | None:
        turn = self.turn
        if turn is None or turn.cancelled.is_set() or threading.current_thread() is not turn.thread:
            return None
        return turn

    def begin(self, turn: Turn) -> None:
        with self.lock:
            self.turn, self.mid_line = turn, False
            self.status = self.console.status("thinking …", spinner="dots")
            self.status.start()

    def progress(self, stage: str, data: dict[str, Any]) -> None:
        """``AgentServices.progress``: what the supervisor is doing, shown on the spinner."""
        with self.lock:
            turn = self._current()
            if turn is None or self.status is None:
                return
            if stage == "routed":
                turn.tokens_allowed = True
            text = _describe(stage, data)
            if text is None:
                return
            if self.mid_line:  # tokens were streaming: the spinner goes below them
                self.console.file.write("\n")
                self.mid_line = False
            self.status.update(text)
            self.status.start()

    def token(self, text: str) -> None:
        """A streamed token of the model's reply."""
        with self.lock:
            if threading.current_thread() in self.abandoned:
                raise TurnCancelled
            turn = self._current()
            if turn is None or not turn.tokens_allowed or not text:
                return
            if self.status is not None:
                self.status.stop()
            turn.streamed.append(text)
            self.console.file.write(text)
            self.console.file.flush()
            self.mid_line = not text.endswith("\n")

    def cancel(self, turn: Turn) -> None:
        with self.lock:
            turn.cancelled.set()
            if turn.thread is not None:
                self.abandoned.add(turn.thread)
        self.end()

    def end(self) -> None:
        with self.lock:
            self.abandoned = {t for t in self.abandoned if t.is_alive()}
            if self.status is not None:
                self.status.stop()
            if self.mid_line:
                self.console.file.write("\n")
                self.mid_line = False
            self.turn = None


def _describe(stage: str, data: dict[str, Any]) -> str | None:
    if stage == "routing":
        return "routing …"
    if stage == "routed":
        return f"{data.get('agent')} specialist …"
    if stage == "thinking":
        return f"{data.get('agent')} specialist: asking the model …"
    if stage == "tool":
        return f"running {data.get('tool')} …"
    if stage == "handoff":
        return f"handing over to the {data.get('target')} specialist …"
    if stage == "confirmed":
        return "doing the confirmed actions …"
    return None


def _token_handler(terminal: Terminal) -> Any:
    from langchain_core.callbacks import BaseCallbackHandler

    class StreamToTerminal(BaseCallbackHandler):
        raise_error = True  # TurnCancelled must reach the model call and stop it

        def on_llm_new_token(self, token: str | list[str | dict[str, Any]], **kwargs: Any) -> None:
            terminal.token(token if isinstance(token, str) else "")

    return StreamToTerminal()


def _streaming(llm: BaseChatModel, terminal: Terminal) -> bool:
    """Ask the model for streamed replies with tokens to the terminal; False when the model cannot stream."""
    if "streaming" not in type(llm).model_fields:
        return False
    # LangChain logs every exception a callback raises before passing it on; a cancelled turn is not an error.
    logging.getLogger("langchain_core.callbacks.manager").addFilter(
        lambda record: "TurnCancelled" not in record.getMessage()
    )
    llm.streaming = True  # type: ignore[attr-defined]  # ChatOpenAI's field (checked above)
    if "stream_usage" in type(llm).model_fields:
        llm.stream_usage = True  # type: ignore[attr-defined]  # token accounting needs the usage chunk
    llm.callbacks = [_token_handler(terminal)]
    return True


def _unstreamed(answer: str, streamed: str) -> str:
    """The part of ``answer`` still to print after ``streamed``: what follows the longest start of the answer,
    cut at a line end outside a code block, that the stream ended with (spacing aside). That is the checked
    Jenkinsfile the pipeline specialist puts after the model's words (``pipeline.finish``); an answer that
    does not begin with what was streamed last (a replacement) is printed whole."""
    tail = " ".join(streamed.split())
    cuts: list[int] = []
    fenced = False
    for line in re.finditer(r"[^\n]*(?:\n|$)", answer):
        if line.group().lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.end() > line.start():
            cuts.append(line.end())
    for cut in reversed(cuts):
        head = " ".join(answer[:cut].split())
        if head and tail.endswith(head):
            return answer[cut:].strip()
    return answer


def _pending(result: TaskResult) -> list[str]:
    """What a result only planned (it would change Jenkins): these need the user's y."""
    if result.status != "needs_confirmation":
        return []
    return [action.sentence for action in result.plan] or [result.answer]


class ChatSession:
    """The REPL's state: settings, clients, context, offline switch; runs turns and prints their results."""

    def __init__(
        self, settings: Settings, *, offline: bool, context: dict[str, Any], console: Console
    ) -> None:
        from worker.agents import AgentServices, build_chat_model
        from worker.agents.cli import _confirmation_store

        self.settings = settings
        self.context = context
        self.terminal = Terminal(console)
        self.llm = build_chat_model(settings)
        self.offline = offline or self.llm is None
        self.streams = self.llm is not None and _streaming(self.llm, self.terminal)
        self.jenkins = None
        if settings.jenkins_url:
            from worker.jenkins import JenkinsClient

            self.jenkins = JenkinsClient.from_settings(settings)
        self.store = _confirmation_store(settings)  # None without Redis: plans are shown without a token
        self.services: AgentServices = AgentServices(
            settings=settings, jenkins=self.jenkins, progress=self.terminal.progress, confirmations=self.store
        )

    def close(self) -> None:
        if self.jenkins is not None:
            self.jenkins.close()

    def banner(self) -> str:
        if self.llm is None:
            mode = "offline (no LLM configured)"
        else:
            mode = f"LLM {self.settings.llm_model}" + (", streaming" if self.streams else "")
            mode += " (offline now: /offline off)" if self.offline else ""
        return f"jenkins-ai chat: {mode}. /help lists commands; Ctrl-C cancels an answer, Ctrl-D leaves."

    # --- turns ---------------------------------------------------------------------------------------

    def run(self, work: Any) -> TaskResult | None:
        """Run ``work()`` (returns a TaskResult) in a thread; Ctrl-C abandons it. None when cancelled/failed."""
        turn = Turn()

        def target() -> None:
            try:
                turn.result = work()
            except BaseException as exc:  # reported by the main thread; a thread must not die loudly
                turn.error = exc
            finally:
                turn.done.set()

        turn.thread = threading.Thread(target=target, name="chat-turn", daemon=True)
        self.terminal.begin(turn)
        turn.thread.start()
        try:
            while not turn.done.wait(0.1):
                pass
        except KeyboardInterrupt:
            self.terminal.cancel(turn)
            click.echo("Cancelled. (A request already sent to Jenkins still completes.)")
            return None
        self.terminal.end()
        if isinstance(turn.error, ValueError):  # bad input, e.g. a context value: say which and go on
            click.echo(f"Error: {turn.error}")
            return None
        if turn.error is not None:
            click.echo(f"Error: the task failed ({type(turn.error).__name__}: {turn.error})")
            return None
        if turn.result is not None:
            self.show(turn.result, "".join(turn.streamed))
        return turn.result

    def ask(self, text: str) -> None:
        from worker.agents import run_task

        llm = None if self.offline else self.llm
        context = dict(self.context)
        result = self.run(lambda: run_task(text, context, services=self.services, llm=llm))
        if result is None:
            return
        pending = _pending(result)
        if not pending:
            return
        click.echo("This would change Jenkins:")
        for line in pending:
            click.echo(f"  - {line}")
        if not _yes("Do it? [y/N] "):
            click.echo("Nothing was changed.")
            return
        self.run(lambda: self.confirm(result, text, context, llm))

    def confirm(
        self, result: TaskResult, text: str, context: dict[str, Any], llm: BaseChatModel | None
    ) -> TaskResult:
        """Do exactly what ``result`` planned, as ``jenkins-ai ask --confirm TOKEN`` does: claim the single-use
        token and run the plan's actions once. Without Redis there is no token; then, as the plan's answer
        says, the task runs again with ``confirm=true``."""
        from worker.agents import run_confirmed, run_task

        if result.confirmation is not None and self.store is not None:
            plan = self.store.claim(result.confirmation.token)
            if plan is None:
                raise ValueError("confirmation: the token is unknown, expired or already used")
            return run_confirmed(plan, services=self.services, store=self.store)
        return run_task(text, {**context, "confirm": True}, services=self.services, llm=llm)

    def show(self, result: TaskResult, streamed: str) -> None:
        answer = result.answer.strip()
        if not streamed.strip():
            click.echo(answer)
        elif answer not in streamed:  # the supervisor added to or replaced what the model streamed
            rest = _unstreamed(answer, streamed)
            if rest:
                click.echo(f"\n{rest}")
        done = [a for a in result.actions if a.get("done")]
        for action in done:
            click.echo(f"Done: {action['action']} {action['target']} - {action.get('detail', '')}")
        how = f"{result.agent}, {result.routing.method}, {result.confidence:.2f}"
        if result.usage.llm_calls:
            u = result.usage
            how += f"; LLM {u.llm_calls} calls, {u.input_tokens}+{u.output_tokens} tokens"
        click.secho(f"[{how}]", dim=True)

    # --- commands ------------------------------------------------------------------------------------

    def command(self, line: str) -> bool:
        """Run a /command; False means leave the REPL."""
        name, _, rest = line.strip().partition(" ")
        if name in ("/quit", "/exit"):
            return False
        if name == "/help":
            click.echo(HELP)
        elif name == "/offline":
            self.set_offline(rest.strip().lower())
        elif name == "/context":
            self.set_context(rest.strip())
        else:
            click.echo(f"Unknown command {name}; /help lists them.")
        return True

    def set_offline(self, arg: str) -> None:
        if arg not in ("", "on", "off"):
            click.echo("Usage: /offline [on|off]")
            return
        if self.llm is None:
            click.echo("No LLM is configured (OPENAI_BASE_URL / OPENAI_API_KEY): answers are offline.")
            return
        self.offline = (not self.offline) if arg == "" else arg == "on"
        click.echo(
            "Offline: local router and deterministic specialists." if self.offline else "Using the LLM."
        )

    def set_context(self, arg: str) -> None:
        from worker.agents.cli import _parse_context

        if arg == "clear":
            self.context.clear()
        elif arg:
            try:
                words = shlex.split(arg)
            except ValueError as exc:
                click.echo(f"Error: /context: {exc}")
                return
            removed = [w[1:] for w in words if w.startswith("-")]
            try:
                added = _parse_context(tuple(w for w in words if not w.startswith("-")))
            except click.BadParameter as exc:
                click.echo(f"Error: /context: {exc.message} (use KEY=VALUE)")
                return
            if "confirm" in added:
                # A standing confirm would let every later task change Jenkins unasked.
                click.echo("Error: /context: confirm is asked for each action (answer y at the prompt)")
                return
            for key in removed:
                self.context.pop(key, None)
            self.context.update(added)
        shown = " ".join(
            f"{k}={v!r}" if not isinstance(v, str) else f"{k}={v}" for k, v in self.context.items()
        )
        click.echo(f"Context: {shown or '(empty)'}")


def _yes(prompt: str) -> bool:
    try:
        return input(prompt).strip().lower() in {"y", "yes"}
    except (KeyboardInterrupt, EOFError):
        click.echo("")
        return False


def _history(path: Path) -> Any:
    """readline with the history file and /command completion; None where readline is missing (Windows)."""
    try:
        import readline
    except ImportError:
        return None
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def complete(text: str, state: int) -> str | None:
        matches = [c for c in COMMANDS if c.startswith(text)] if text.startswith("/") else []
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n")
    readline.parse_and_bind("tab: complete")
    return readline


@click.command("chat")
@click.option(
    "--offline",
    is_flag=True,
    help="Start without the LLM (toggle with /offline): local router and specialists.",
)
@click.option(
    "--context",
    "context_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Initial context, repeatable (as for ask; change it with /context).",
)
@click.option(
    "--history-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("~/.jenkins_ai_history"),
    show_default=True,
    help="Where the line history is kept between sessions.",
)
def chat(offline: bool, context_pairs: tuple[str, ...], history_file: Path) -> None:
    """Talk to the assistant interactively: the same agents as `ask`, one task per line."""
    from rich.console import Console

    from worker.agents.cli import _parse_context
    from worker.settings import get_settings

    context = _parse_context(context_pairs)
    if "confirm" in context:
        raise click.BadParameter("confirm is asked for each action in chat", param_hint="--context")
    history_path = history_file.expanduser()
    readline = _history(history_path) if sys.stdin.isatty() else None
    session = ChatSession(get_settings(), offline=offline, context=context, console=Console(highlight=False))
    click.echo(session.banner())
    try:
        while True:
            try:
                line = input(PROMPT).strip()
                if line.startswith("/"):
                    if not session.command(line):
                        break
                elif line:
                    session.ask(line)
            except KeyboardInterrupt:  # at the prompt (or between turns): clears the line, as in a shell
                click.echo("")
            except EOFError:
                click.echo("")
                break
    finally:
        session.close()
        if readline is not None:
            with contextlib.suppress(OSError):
                history_path.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(history_path)
