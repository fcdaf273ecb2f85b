"""Build descriptions we share with people: our text lives in one marked block, everything else is theirs.

A build description is often set by the Jenkinsfile (``currentBuild.description = "deployed to staging"``)
or by hand. We never overwrite it: our text goes between two HTML comments, which Jenkins' "Safe HTML" markup
formatter
hides, and each update replaces only that block::

    deployed to staging
    <!-- langchain-jenkins -->AI analysis: test - 3 tests failed in FooTest ... <!-- /langchain-jenkins -->
"""

from __future__ import annotations

import html
import re

MARK_START = "<!-- langchain-jenkins -->"
MARK_END = "<!-- /langchain-jenkins -->"
MAX_BLOCK_CHARS = 1000  # a description is a summary line on the build page, not a report

_BLOCK = re.compile(re.escape(MARK_START) + r".*?" + re.escape(MARK_END), re.DOTALL)


def merge_description(existing: str | None, text: str) -> str:
    """Return ``existing`` with our marked block set to ``text`` (added at the end if absent).

    An empty ``text`` removes our block and leaves the rest untouched. Marker strings inside ``text`` are
    removed so that a later merge still finds exactly one block.
    """
    text = text.replace(MARK_START, "").replace(MARK_END, "").strip()
    if len(text) > MAX_BLOCK_CHARS:
        text = text[: MAX_BLOCK_CHARS - 1].rstrip() + "…"
    current = existing or ""
    block = f"{MARK_START}{text}{MARK_END}" if text else ""
    if _BLOCK.search(current):
        # Replace the first block and drop any stray duplicates (e.g. from a copy-pasted description).
        first = True

        def replace(_: re.Match[str]) -> str:
            nonlocal first
            out, first = (block if first else ""), False
            return out

        merged = _BLOCK.sub(replace, current)
        return merged.strip() if not block else merged
    if not block:
        return current
    return f"{current.rstrip()}\n{block}" if current.strip() else block


def extract_block(description: str | None) -> str | None:
    """Our text inside ``description``, or ``None`` if we have not written one."""
    match = _BLOCK.search(description or "")
    if not match:
        return None
    return match.group(0)[len(MARK_START) : -len(MARK_END)]


def format_analysis_line(category: str, summary: str, link: str | None = None) -> str:
    """The short line we publish: category, one-line cause and a link to the full analysis.

    The summary comes from a build log, so it is HTML-escaped: Jenkins renders descriptions through its markup
    formatter and a log line such as ``expected <foo>`` must stay text.
    """
    line = f"AI analysis: <b>{html.escape(category)}</b> - {html.escape(summary.strip())}"
    if link:
        line += f' (<a href="{html.escape(link, quote=True)}">full analysis</a>)'
    return line
