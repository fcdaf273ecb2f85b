"""The failure-analysis engine: log bytes in, ranked excerpt blocks, known causes and a fingerprint out.

How it stays fast and bounded on multi-gigabyte logs:

1. The input is regrouped into blocks of whole lines (:func:`reader.iter_blocks`).
2. Each block is scanned once by the *trigger* patterns (everything that can make a line evidence, plus the
   structure markers) compiled into one Hyperscan database; the lines they hit are then scanned again, each
   distinct line once, with every pattern (weights, caps, causes). Python never iterates over the lines of a
   block (:mod:`scan`).
3. A repeat of a failure already seen is counted on its first occurrence (:mod:`ghosts`); other matched lines
   ("hits") are grouped into candidate blocks and extended with the lines that continue their message (stack
   frames, indented detail), taken from the current block or the ring of lines kept from the previous ones
   (:mod:`growth`); the result does not depend on where blocks were cut. Only a bounded number of candidates is
   kept (:mod:`stream_state`): the best ones by evidence, and the most recent ones.
4. Structure markers (a CI step starting, a command exiting non-zero, ``Finished: FAILURE``) tell which step
   failed (:mod:`steps`); blocks inside a failed step rank higher, blocks in steps that succeeded rank lower.
5. With the last green build's log, lines that appear there too (after normalisation) are noise (:mod:`green`).

This module reads the blocks and assembles the result (:mod:`ranking`, :mod:`repeats`, :mod:`verdict`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from worker.analysis.blocks import digest
from worker.analysis.category import decide as decide_category
from worker.analysis.green import seen_in_previous, unseen_lines, wanted_lines
from worker.analysis.kb import KnowledgeBase, load_knowledge_base
from worker.analysis.models import Analysis, Category, ExcerptBlock, Stats
from worker.analysis.ranking import rank
from worker.analysis.reader import BLOCK_SIZE, iter_blocks, open_chunks, strip_ansi
from worker.analysis.redact import redact
from worker.analysis.repeats import merge_repeats
from worker.analysis.scan import scan_block
from worker.analysis.similarity import fingerprint_text
from worker.analysis.stream_state import StreamState
from worker.analysis.verdict import cause_of, cause_order, cited_causes, key_lines, summary_of


def analyze_stream(
    chunks: Iterable[bytes],
    *,
    previous: Iterable[bytes] | None = None,
    knowledge_base: KnowledgeBase | None = None,
    max_blocks: int = 5,
    progress: Callable[[int], object] | None = None,
) -> Analysis:
    """Analyse a console log given as an iterable of byte chunks (any sizes).

    ``previous`` is the log of the last successful build of the same job, if known: lines that also appear
    there (after normalising numbers, times, ids and paths) are treated as noise. ``progress`` is called with
    the number of log bytes analysed so far after each block of a few megabytes.
    """
    if max_blocks < 1:
        raise ValueError("max_blocks must be >= 1")
    started = time.perf_counter()
    kb = knowledge_base or load_knowledge_base()
    state = StreamState(kb)
    for block in iter_blocks(chunks, BLOCK_SIZE):
        scan_block(state, strip_ansi(block))
        del block  # freed before the next block is read, so its memory is reused (see reader._read_file)
        if progress is not None:
            progress(state.bytes)
    state.close_open()
    total_lines = state.lines + (0 if state.ends_with_newline or state.bytes == 0 else 1)
    candidates = state.candidates()

    noise: set[bytes] = set()
    if previous is not None and candidates:
        # Evidence lines found in the green log are noise (ranking reads only those); the other lines of the
        # candidates are looked up in the same pass so the excerpt can say which lines are new.
        wanted = wanted_lines(line for c in candidates for line in c.lines)
        noise = seen_in_previous(previous, wanted)

    # The same failure shown once, with a count; then the blocks after the first are cut to their end.
    shown = merge_repeats(rank(state, candidates, total_lines, noise))
    ranked = [s.cand for s in shown]
    for cand in ranked[1:max_blocks]:
        digest(cand)
    excerpt = [
        ExcerptBlock(
            start_line=s.cand.start,
            end_line=s.cand.end,
            text=redact("\n".join(s.cand.lines)),
            score=round(s.cand.score, 3),
            new_lines=None if previous is None else unseen_lines(s.cand.start, s.cand.lines, noise),
            count=s.count,
            first_line=min(s.first_line, s.cand.start),
        )
        for s in shown[:max_blocks]
    ]
    if not excerpt and total_lines:
        tail = list(state.tail)
        start_line = max(1, total_lines - len(tail) + 1)
        excerpt = [
            ExcerptBlock(
                start_line=start_line,
                end_line=total_lines,
                text=redact("\n".join(tail)),
                score=0.0,
                first_line=start_line,
            )
        ]
    order = cause_order(state, ranked)
    # A cause that names a category beats a generic one ("the build failed", a wrapper) ranked above it; with
    # none, the first block's words decide. Every cause that matched has its say, shown in a block or not.
    matched = [cause_of(kb, c, state.first_cause_line[c]) for c in order[:10]]
    category: Category = decide_category(kb, matched, ranked[0].lines if ranked else [])
    causes = cited_causes(state, order, ranked[:max_blocks])
    summary = summary_of(ranked, causes)
    fingerprint = fingerprint_text(
        "\n".join([*(c.id for c in causes[:3]), *(key_lines(ranked[0]) if ranked else [])])
    )
    return Analysis(
        category=category,
        summary=summary,
        excerpt=excerpt,
        causes=causes,
        fingerprint=fingerprint,
        stats=Stats(lines=total_lines, bytes=state.bytes, seconds=round(time.perf_counter() - started, 4)),
    )


def analyze_path(
    path: str | Path,
    *,
    previous: str | Path | None = None,
    knowledge_base: KnowledgeBase | None = None,
    max_blocks: int = 5,
    progress: Callable[[int], object] | None = None,
) -> Analysis:
    """Analyse a log file (``.gz`` decompressed on the fly; ``-`` reads stdin); ``progress`` as for
    :func:`analyze_stream` (bytes of the log, decompressed)."""
    return analyze_stream(
        open_chunks(path),
        previous=open_chunks(previous) if previous is not None else None,
        knowledge_base=knowledge_base,
        max_blocks=max_blocks,
        progress=progress,
    )
