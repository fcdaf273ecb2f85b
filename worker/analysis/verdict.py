"""What the analysis says once the log is read: the causes cited (each at a line shown), the summary line and
the lines the fingerprint is made of."""

from __future__ import annotations

from worker.analysis.blocks import Candidate
from worker.analysis.kb import KnowledgeBase
from worker.analysis.models import Cause
from worker.analysis.reader import strip_prefix
from worker.analysis.redact import redact
from worker.analysis.stream_state import StreamState


def cause_order(state: StreamState, ranked: list[Candidate]) -> list[int]:
    """Every cause that matched: those found in the best blocks first, then the others by weight."""
    kb = state.kb
    order: dict[int, float] = {}
    for position, cand in enumerate(ranked):
        for hit in cand.hits:
            for cause in hit.causes:
                order.setdefault(cause, position - kb.causes[cause].weight / 100.0)
    for cause in state.first_cause_line:
        order.setdefault(cause, 1000 - kb.causes[cause].weight)
    return sorted(order, key=lambda c: order[c])


def cited_causes(state: StreamState, order: list[int], shown: list[Candidate]) -> list[Cause]:
    """The causes seen in the blocks shown, in ``order``, each cited at its first line in them: a cause is
    never cited at a line the reader cannot see."""
    cited: dict[int, int] = {}
    for cand in shown:
        for hit in cand.hits:
            if cand.start <= hit.line <= cand.end:
                for cause in hit.causes:
                    cited[cause] = min(cited.get(cause, hit.line), hit.line)
    # A cause can match a line that is no evidence by itself (a capped echo) but is shown in a block.
    for cause, line in state.first_cause_line.items():
        if any(cand.start <= line <= cand.end for cand in shown):
            cited[cause] = min(cited.get(cause, line), line)
    return [cause_of(state.kb, cause, cited[cause]) for cause in [c for c in order if c in cited][:10]]


def cause_of(kb: KnowledgeBase, cause: int, line: int) -> Cause:
    rule = kb.causes[cause]
    return Cause(
        id=rule.id,
        category=rule.category,
        description=redact(rule.description),
        fix=redact(rule.fix),
        line=line,
    )


def key_lines(cand: Candidate) -> list[str]:
    """The strongest evidence lines of a block, in log order (the fingerprint's input)."""
    hits = sorted(cand.hits, key=lambda h: -h.weight)[:3]
    out = []
    for hit in sorted(hits, key=lambda h: h.line):
        index = hit.line - cand.start
        if 0 <= index < len(cand.lines):
            out.append(_strip_prefix(cand.lines[index]))
    return out


def _strip_prefix(text: str) -> str:
    return strip_prefix(text).strip()


def summary_of(ranked: list[Candidate], causes: list[Cause]) -> str:
    line = ""
    if ranked:
        best = max(ranked[0].hits, key=lambda h: (h.weight, -h.line))
        index = best.line - ranked[0].start
        if 0 <= index < len(ranked[0].lines):
            # Redacted before it is cut: a cut through a secret would leave a prefix no rule recognises.
            line = redact(_strip_prefix(ranked[0].lines[index]))
    if len(line) > 200:
        line = line[:200] + "…"
    if causes:
        text = f"{causes[0].description.rstrip('.')}" + (f": {line}" if line else "")
    else:
        text = line or "no failure evidence found in the log"
    return redact(" ".join(text.split()))
