"""``jenkins-ai analyze``'s text output: an analysis as a person reads it, on a terminal or through a pipe.

On a terminal (rich) long lines wrap inside their column, so the line-number gutter stays on the left of every
row, with colour. Through a pipe (``| less``, ``> file``) the same text is written plainly: no colour, lines
never wrapped, and rich is not even imported (a script running us per log pays no start-up for it). With
``--previous`` the gutter marks the lines not seen in the last green build with ``+``.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

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
#: Width of the rule above each log's analysis in plain output (what rich draws when it is not a terminal).
RULE_WIDTH = 80


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


def _rows(block: ExcerptBlock) -> list[tuple[int, str]]:
    return [(block.start_line + offset, line) for offset, line in enumerate(block.text.split("\n"))]


def _footer(analysis: Analysis) -> str:
    stats = analysis.stats
    return f"{stats.lines} lines, {stats.bytes} bytes in {stats.seconds:.3f}s · fingerprint {analysis.fingerprint}"


def write_plain(out: IO[str], name: str, analysis: Analysis) -> None:
    """``analysis`` of log ``name`` as plain text: no colour, no wrapping (a pipe or a file)."""
    title = f" {name} "
    side = max(2, (RULE_WIDTH - len(title)) // 2)
    parts = ["─" * side + title + "─" * max(2, RULE_WIDTH - side - len(title))]
    parts.append(f"category {analysis.category}")
    parts.append(f"summary  {analysis.summary}")
    for cause in analysis.causes[:3]:
        parts.append(f"cause    {cause.id} (line {cause.line}): {cause.description}")
        parts.append(f"fix      {cause.fix}")
    for n, block in enumerate(analysis.excerpt, 1):
        parts.append(f"\n── block {n}: {block_heading(block)} ──")
        width = len(str(block.end_line))
        parts.extend(gutter(block, number, width) + line for number, line in _rows(block))
    parts.append(f"\n{_footer(analysis)}")
    out.write("\n".join(parts) + "\n")


def print_analysis(console: Console, name: str, analysis: Analysis) -> None:
    """``analysis`` of log ``name`` on a terminal: colour, and long lines wrapped inside their column."""
    from rich.markup import escape
    from rich.text import Text

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
        _print_block(console, block, highlight="red" if n == 1 else "")
    console.print(f"\n[dim]{escape(_footer(analysis))}[/dim]")


def _print_block(console: Console, block: ExcerptBlock, *, highlight: str) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = len(str(block.end_line))
    new = set(block.new_lines or ())
    # A table keeps wrapped text in its own column, right of the rule: the gutter stays on every row.
    table = Table(show_header=False, show_edge=False, box=box.MINIMAL, padding=(0, 1), pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for number, line in _rows(block):
        mark_style = "bold green" if number in new else "dim"
        table.add_row(Text(gutter(block, number, width)[:-3], style=mark_style), Text(line, style=highlight))
    console.print(table)
