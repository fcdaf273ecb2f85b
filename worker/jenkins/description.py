"""Build descriptions we share with people: our text lives in one block, everything else is theirs.

A build description is often set by the Jenkinsfile (``currentBuild.description = "deployed to staging"``)
or by hand. We never overwrite it, and each update replaces only our block, in the form the controller's markup
formatter shows well (``JENKINS_DESCRIPTION_FORMAT``):

* ``text`` (default: Jenkins' own "Plain text" formatter, which escapes every ``<`` and turns line breaks into
  ``<br>``): two plain lines, no markup at all; they are ours because of how they start::

      deployed to staging
      AI analysis: test - 3 tests failed in FooTest: expected:<1> but was:<2>
      Full analysis: https://assistant.example.com/analyses/<signed token>

* ``html`` (the OWASP Markup Formatter plugin, "Safe HTML"): a block between two HTML comments, which that
  formatter drops when it renders (its sanitizer keeps no comments), holding only tags its policy keeps
  (``b``, ``br``, ``a href``; see :data:`SAFE_HTML_TAGS`)::

      deployed to staging
      <!-- langchain-jenkins --><b>AI analysis: test</b> - 3 tests failed ...<br><a href="...">Full analysis</a><!-- /langchain-jenkins -->

Switching formats never leaves a stale block behind: merging in one form removes the other's block too.
"""

from __future__ import annotations

import html
import re
from typing import Literal

DescriptionFormat = Literal["text", "html"]

MARK_START = "<!-- langchain-jenkins -->"
MARK_END = "<!-- /langchain-jenkins -->"
MAX_BLOCK_CHARS = 1000  # a description is a summary line on the build page, not a report

_BLOCK = re.compile(re.escape(MARK_START) + r".*?" + re.escape(MARK_END), re.DOTALL)

#: How our plain-text lines start (and how they are recognised on the next update).
TEXT_PREFIX = "AI analysis: "
TEXT_LINK_PREFIX = "Full analysis: "
_TEXT_LINES = re.compile(
    r"^(?:"
    + re.escape(TEXT_PREFIX)
    + r".*|"
    + re.escape(TEXT_LINK_PREFIX)
    + r"https?://\S*)[ \t]*(?:\r?\n|$)",
    re.MULTILINE,
)
#: The tags our HTML block uses; all are kept by the OWASP Markup Formatter's policy (its BLOCKS, FORMATTING
#: and LINKS sanitizers, with http(s) links only).
SAFE_HTML_TAGS = frozenset({"b", "br", "a"})
#: The one-line cause is cut here: a description is a summary on the build page and in the build history.
CAUSE_CHARS = 160


def one_line(text: str, limit: int = CAUSE_CHARS) -> str:
    """``text`` on one line (white space collapsed), at most ``limit`` characters."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def description_block(fmt: DescriptionFormat, category: str, cause: str, page_url: str | None) -> str:
    """Our block in ``fmt``: the category, the cause in one line and the link to the analysis page."""
    cause = one_line(cause) or "no cause found"
    if fmt == "text":
        lines = [f"{TEXT_PREFIX}{one_line(category, 40)} - {cause}"]
        if page_url:
            lines.append(f"{TEXT_LINK_PREFIX}{page_url}")
        return "\n".join(lines)
    return format_analysis_line(category, cause, page_url)


def merge_any(existing: str | None, block: str, fmt: DescriptionFormat) -> str:
    """``existing`` with our block (in ``fmt``) set to ``block``; the other format's block is removed."""
    if fmt == "html":
        return merge_description(_remove_text_lines(existing or ""), block)
    return merge_text_description(existing, block)


def merge_text_description(existing: str | None, block: str) -> str:
    """Plain-text form of :func:`merge_description`: our lines (and any HTML-marked block of ours) are
    removed wherever they are, the rest is kept as it was, and ``block`` goes at the end."""
    current = _BLOCK.sub("", existing or "")
    rest = _remove_text_lines(current).rstrip()
    block = _remove_marks(block).strip()
    if not block:
        return rest
    return f"{rest}\n{block}" if rest.strip() else block


def _remove_text_lines(text: str) -> str:
    return _TEXT_LINES.sub("", text)


def _remove_marks(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


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
    line = f"<b>AI analysis: {html.escape(category)}</b> - {html.escape(summary.strip())}"
    if link:
        line += f'<br><a href="{html.escape(link, quote=True)}">Full analysis</a>'
    return line
