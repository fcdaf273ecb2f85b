"""``jenkins-ai analyze``'s text output: an analysis as a person reads it, on a terminal or through a pipe.

On a terminal long lines wrap inside their column, so the line-number gutter stays on the left of every row;
through a pipe (``| less``, ``> file``) lines are never wrapped and carry no colour. With ``--previous`` the
gutter marks the lines not seen in the last green build with ``+``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from worker.analysis.models import Analysis, ExcerptBlock

if TYPE_CHECKING:
    from rich.console import Console

CATEGORY_STYLE = {
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

#: The gutter's mark for a line new since the last green build, and for one that was there too.
NEW, SEEN = "+", " "


def print_analysis(console: Console, name: str, analysis: Analysis, *, wrap: bool) -> None:
    """``analysis`` of log ``name``; ``wrap``: wrap long lines inside their column (a terminal)."""
    style = CATEGORY_STYLE.get(analysis.category, "bold")
    console.rule(Text(name, style="bold"))
    console.print(Text.assemble(("category ", "dim"), (analysis.category, style)))
    console.print(Text.assemble(("summary  ", "dim"), analysis.summary))
    for cause in analysis.causes[:3]:
        heading = f"[dim]cause[/dim]    [bold]{escape(cause.id)}[/bold] (line {cause.line}): "
        console.print(heading + escape(cause.description))
        console.print(f"[dim]fix[/dim]      [green]{escape(cause.fix)}[/green]")
    for n, block in enumerate(analysis.excerpt, 1):
        console.print(f"\n[dim]── block {n}: {escape(block_heading(block))} ──[/dim]")
        _print_block(console, block, highlight="red" if n == 1 else "", wrap=wrap)
    stats = analysis.stats
    console.print(
        f"\n[dim]{stats.lines} lines, {stats.bytes} bytes in {stats.seconds:.3f}s · fingerprint "
        f"{analysis.fingerprint}[/dim]"
    )


def block_heading(block: ExcerptBlock) -> str:
    """``lines 12-18 (score 4.2) · × 312, first at line 1,204`` (the count only for a repeated failure)."""  # noqa: RUF002
    text = f"lines {block.start_line}-{block.end_line} (score {block.score:g})"
    if block.count > 1:
        first = block.first_line or block.start_line
        text += f" · × {block.count:,}, first at line {first:,}"  # noqa: RUF001 (the multiplication sign)
    if block.new_lines is not None:
        text += f" · {len(block.new_lines)} new since the last green build"
    return text


def gutter(block: ExcerptBlock, number: int, width: int) -> str:
    """``  18 + │ `` : the line number, the new-line mark (with ``--previous``), the rule."""
    if block.new_lines is None:
        return f"{number:>{width}} │ "
    mark = NEW if number in block.new_lines else SEEN
    return f"{number:>{width}} {mark} │ "


def _print_block(console: Console, block: ExcerptBlock, *, highlight: str, wrap: bool) -> None:
    width = len(str(block.end_line))
    new = set(block.new_lines or ())
    rows = [(block.start_line + offset, line) for offset, line in enumerate(block.text.split("\n"))]
    if not wrap:
        for number, line in rows:
            console.print(
                Text.assemble((gutter(block, number, width), "dim"), (line, highlight)), soft_wrap=True
            )
        return
    # A table keeps wrapped text in its own column, right of the rule: the gutter stays on every row.
    table = Table(
        show_header=False,
        show_edge=False,
        box=box.MINIMAL,
        padding=(0, 1),
        pad_edge=False,
    )
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for number, line in rows:
        mark_style = "bold green" if number in new else "dim"
        table.add_row(Text(gutter(block, number, width)[:-3], style=mark_style), Text(line, style=highlight))
    console.print(table)
