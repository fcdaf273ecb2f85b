"""``jenkins-ai analyze``: run the engine on log files and print the result for people or for programs.

What a script can rely on: the exit code is 0 only when every file was analysed (1 when one could not be read,
2 for a bad option); every error is one line on stderr (``error: ...``); stdout carries only the results, so
JSON output stays parseable; a reader that stops early (``jenkins-ai analyze big.log | head``) ends the
program quietly, as SIGPIPE ends grep. On a terminal, files over 50 MB show a progress bar on stderr
(``--quiet`` hides it).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

from worker.analysis.engine import analyze_path
from worker.analysis.kb import KnowledgeBaseError, load_knowledge_base

if TYPE_CHECKING:
    from rich.console import Console

#: Files at least this big show a progress bar (on a terminal).
PROGRESS_MIN_BYTES = 50 << 20
#: Exit status after the reader closed the pipe: what a program killed by SIGPIPE reports (128 + 13).
EXIT_BROKEN_PIPE = 141


@click.command("analyze")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "jsonl"]),
    default="text",
    show_default=True,
    help="text: for people (wrapped with the line numbers kept on a terminal, plain when piped); json: one "
    "pretty document (a list when several files); jsonl: one JSON object per FILE, in argument order.",
)
@click.option(
    "--previous",
    "previous",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Log of the last successful build of the same job: lines also found there are noise, lines not "
    "found there are marked '+' in the text output.",
)
@click.option(
    "--max-blocks", type=click.IntRange(1, 50), default=5, show_default=True, help="Excerpt blocks."
)
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Extra directory of knowledge-base YAML files (repeatable).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def analyze(
    files: tuple[str, ...],
    output_format: str,
    previous: Path | None,
    max_blocks: int,
    rule_dirs: tuple[Path, ...],
    quiet: bool,
) -> None:
    """Find why a build failed: the few log lines that say it, the known cause and its fix.

    FILE may be a path, a .gz file or '-' for stdin. Each file is analysed on its own; a file that cannot be
    read is reported and the others are still analysed (the exit code is then 1).
    """
    try:
        failed = _run(files, output_format, previous, max_blocks, rule_dirs, quiet)
    except BrokenPipeError:
        _quiet_exit()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: still one line for the script that runs us, not a traceback
        _fail(f"internal error: {type(exc).__name__}: {_one_line(str(exc))}", 1)
    if failed:
        sys.exit(1)


def _run(
    files: tuple[str, ...],
    output_format: str,
    previous: Path | None,
    max_blocks: int,
    rule_dirs: tuple[Path, ...],
    quiet: bool,
) -> bool:
    """Analyse ``files`` and print the results; True when one of them failed."""
    try:
        kb = load_knowledge_base(rule_dirs)
    except KnowledgeBaseError as exc:
        _fail(f"--rules: {_one_line(str(exc))}", 2)
    if previous is not None and not previous.is_file():
        _fail(f"--previous: file {str(previous)!r} does not exist or is not a file", 2)
    failed = False
    results: list[dict[str, object]] = []
    out = sys.stdout  # click.get_text_stream is deprecated (click 8.5); CliRunner swaps sys.stdout too
    # rich only for a terminal: through a pipe the plain writer says the same without importing it.
    console = _console(out) if output_format == "text" and out.isatty() else None
    for name in files:
        try:
            with _progress(name, quiet) as progress:
                analysis = analyze_path(
                    name, previous=previous, knowledge_base=kb, max_blocks=max_blocks, progress=progress
                )
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            failed = True
            message = _describe_error(exc)
            click.echo(f"error: {name}: {message}", err=True)
            if output_format == "jsonl":
                out.write(json.dumps({"path": name, "error": message}) + "\n")
            elif output_format == "json":
                results.append({"path": name, "error": message})
            continue
        document = {"path": name, **analysis.model_dump(mode="json")}
        if output_format == "jsonl":
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
            out.flush()
        elif output_format == "json":
            results.append(document)
        elif console is not None:
            from worker.analysis.render import print_analysis

            print_analysis(console, name, analysis)
        else:
            from worker.analysis.render import write_plain

            write_plain(out, name, analysis)
    if output_format == "json":
        payload: object = results[0] if len(results) == 1 and len(files) == 1 else results
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    out.flush()
    return failed


def _console(out: IO[str]) -> Console:
    # rich is imported only for a person at a terminal: start-up time matters when a program runs us per log.
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1 at once: the command ends quietly instead (_quiet_exit)

    return _Console(file=out, highlight=False)


@contextmanager
def _progress(name: str, quiet: bool) -> Iterator[Callable[[int], object] | None]:
    """A progress bar on stderr (bytes, MB/s, time left) for a big file when stderr is a terminal."""
    size = _size(name)
    if quiet or size < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    # A .gz file's size is its compressed size: the analysis counts the bytes it reads out of it.
    total = None if _is_gzip(name) else size
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task(Path(name).name, total=total)
        yield lambda done: bar.update(task, completed=done)


def _size(name: str) -> int:
    if name == "-":
        return 0
    try:
        return os.stat(name).st_size
    except OSError:
        return 0  # the analysis reports it


def _is_gzip(name: str) -> bool:
    try:
        with open(name, "rb") as raw:
            return raw.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, EOFError | gzip.BadGzipFile | zlib.error):
        return f"not a readable gzip file ({_one_line(str(exc))})"
    return _one_line(str(exc)) or exc.__class__.__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _quiet_exit() -> NoReturn:
    """The reader closed stdout: stop without a word. Python would complain again when it flushes stdout at
    exit, so stdout is pointed at /dev/null first (the recipe of the Python documentation, "Note on
    SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's captured stream)
        pass
    sys.exit(EXIT_BROKEN_PIPE)


def main(args: Any = None) -> None:  # pragma: no cover - `python -m worker.analysis.cli`
    analyze.main(args=args)


if __name__ == "__main__":  # pragma: no cover
    main()
