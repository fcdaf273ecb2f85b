"""``jenkins-ai analyze``: run the engine on log files and print the result for people or for programs."""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from worker.analysis.engine import analyze_path
from worker.analysis.kb import KnowledgeBaseError, load_knowledge_base
from worker.analysis.models import Analysis

if TYPE_CHECKING:
    from rich.console import Console

_CATEGORY_STYLE = {
    "compilation": "bold red",
    "test": "bold yellow",
    "lint": "bold magenta",
    "dependency": "bold cyan",
    "infrastructure": "bold blue",
    "timeout": "bold red",
    "out_of_memory": "bold red",
    "configuration": "bold magenta",
    "unknown": "bold white",
}


@click.command("analyze")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "jsonl"]),
    default="text",
    show_default=True,
    help="text: coloured, for people; json: one pretty document (a list when several files); "
    "jsonl: one JSON object per FILE, in argument order.",
)
@click.option(
    "--previous",
    "previous",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Log of the last successful build of the same job: lines also found there are noise.",
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
def analyze(
    files: tuple[str, ...],
    output_format: str,
    previous: Path | None,
    max_blocks: int,
    rule_dirs: tuple[Path, ...],
) -> None:
    """Find why a build failed: the few log lines that say it, the known cause and its fix.

    FILE may be a path, a .gz file or '-' for stdin. Each file is analysed on its own; a file that cannot be
    read is reported and the others are still analysed (the exit code is then 1).
    """
    try:
        kb = load_knowledge_base(rule_dirs)
    except KnowledgeBaseError as exc:
        raise click.UsageError(f"--rules: {exc}") from exc
    if previous is not None and not previous.is_file():
        raise click.BadParameter(
            f"file {str(previous)!r} does not exist or is not a file", param_hint="--previous"
        )
    failed = False
    results: list[dict[str, object]] = []
    out = click.get_text_stream("stdout")
    console = None
    if output_format == "text":
        # rich is imported only for people: start-up time matters when a program runs us per log.
        from rich.console import Console

        console = Console(file=out, highlight=False, soft_wrap=True)
    for name in files:
        try:
            analysis = analyze_path(name, previous=previous, knowledge_base=kb, max_blocks=max_blocks)
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            failed = True
            message = _describe_error(name, exc)
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
            _print_text(console, name, analysis)
    if output_format == "json":
        payload: object = results[0] if len(results) == 1 and len(files) == 1 else results
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    if failed:
        sys.exit(1)


def _describe_error(name: str, exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, EOFError | gzip.BadGzipFile | zlib.error):
        return f"not a readable gzip file ({exc})"
    return str(exc) or exc.__class__.__name__


def _print_text(console: Console, name: str, analysis: Analysis) -> None:
    from rich.markup import escape
    from rich.text import Text

    style = _CATEGORY_STYLE.get(analysis.category, "bold")
    console.rule(Text(name, style="bold"))
    console.print(Text.assemble(("category ", "dim"), (analysis.category, style)))
    console.print(Text.assemble(("summary  ", "dim"), analysis.summary))
    for cause in analysis.causes[:3]:
        heading = f"[dim]cause[/dim]    [bold]{escape(cause.id)}[/bold] (line {cause.line}): "
        console.print(heading + escape(cause.description))
        console.print(f"[dim]fix[/dim]      [green]{escape(cause.fix)}[/green]")
    for n, block in enumerate(analysis.excerpt, 1):
        first = block.first_line or block.start_line
        repeats = f" · × {block.count:,}, first at line {first:,}" if block.count > 1 else ""  # noqa: RUF001
        console.print(
            f"\n[dim]── block {n}: lines {block.start_line}-{block.end_line} (score {block.score:g}){repeats} ──[/dim]"
        )
        width = len(str(block.end_line))
        for offset, line in enumerate(block.text.split("\n")):
            number = Text(f"{block.start_line + offset:>{width}} │ ", style="dim")
            console.print(Text.assemble(number, Text(line, style="red" if n == 1 else "")))
    stats = analysis.stats
    console.print(
        f"\n[dim]{stats.lines} lines, {stats.bytes} bytes in {stats.seconds:.3f}s · fingerprint "
        f"{analysis.fingerprint}[/dim]"
    )


if __name__ == "__main__":  # pragma: no cover
    analyze()
