"""What the engine keeps while it streams a log: bounded, whatever the log's size.

The steps seen and how they ended, the candidate blocks (the best ones by evidence and the most recent ones),
the block still growing, the last lines (context for the next block, and the tail shown when nothing matched),
the first occurrence of each failure seen (repeats are counted on it) and the repeats not yet known to be alone.
"""

from __future__ import annotations

import heapq
from collections import deque

from worker.analysis.blocks import STEP_UNKNOWN, Candidate, Hit
from worker.analysis.kb import KnowledgeBase
from worker.analysis.selection import LineRule, LineRules

# Bounded state: the best candidates by evidence and the most recent ones.
KEEP_BEST = 200
KEEP_RECENT = 64
TAIL_LINES = 100


#: A repeat that starts no block: counted on ``first``, its first occurrence, unless new evidence follows it
#: within ``reach`` lines (see :mod:`worker.analysis.ghosts`). (line, rule, first, step, start offset in its
#: block, reach); a tuple, as one is made per repeated line (thousands per MB of a dense log).
Ghost = tuple[int, LineRule, Hit, int, int, int]


class StreamState:
    """Everything the engine keeps while streaming; bounded regardless of the log's size."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.lines = 0  # number of '\n' seen so far
        self.bytes = 0
        self.ends_with_newline = True
        self.step = 0
        self.step_status = bytearray([STEP_UNKNOWN])
        self.step_cause = bytearray([0])  # per step: 1 once a known cause matched in it
        self.step_start_line = 0
        self.step_fail_lines: deque[int] = deque(maxlen=KEEP_BEST)
        self.build_failed_at: int | None = None
        # The step running when Declarative's post { } actions began (None until they do).
        self.step_before_post_build: int | None = None
        # Jenkins Pipeline reports which shell step (sh, bat, powershell) failed only after it: a later stage
        # "skipped due to earlier failure(s)", or "ERROR: script returned exit code N" at the very end. The last
        # lines of the recent shell steps are kept until then (step -> (first line, lines)).
        self.command_step: int | None = None
        self.command_line = 0
        self.command_tails: dict[int, tuple[int, list[str]]] = {}
        self.last_evidence_step = 0
        self.best: list[tuple[float, int, Candidate]] = []  # min-heap by evidence
        self.recent: deque[Candidate] = deque(maxlen=KEEP_RECENT)
        self.counter = 0
        self.last_end = 0  # last line of the candidates closed so far: a new one starts after it
        self.open: Candidate | None = None
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.first_cause_line: dict[int, int] = {}
        self.seq_last_first: dict[int, int] = {}  # sequence index -> last line where ``first`` matched
        self.rules = LineRules(kb)
        # The first occurrence of each failure seen (rule -> repeat key -> its hit): later ones are counted on it.
        self.repeats: dict[LineRule, dict[bytes, Hit]] = {}
        self.repeat_keys = 0
        # Repeats not yet known to be alone (line, rule): new evidence just after them makes them part of its
        # block again (a repeated "Traceback (most recent call last):" above a new exception).
        self.ghosts: deque[Ghost] = deque()
        # Echo lines of the step tails seen (steps._echoes): read, never changed.
        self.echo_memo: dict[tuple[str, ...], list[bool]] = {}

    # -- candidates ---------------------------------------------------------------------------------

    def close_open(self) -> None:
        cand = self.open
        if cand is None:
            return
        self.open = None
        self.add_candidate(cand)

    def add_candidate(self, cand: Candidate) -> None:
        self.last_end = max(self.last_end, cand.end)
        self.counter += 1
        self.recent.append(cand)
        item = (cand.evidence(), self.counter, cand)
        if len(self.best) < KEEP_BEST:
            heapq.heappush(self.best, item)
        elif item[0] > self.best[0][0]:
            heapq.heapreplace(self.best, item)

    def candidates(self) -> list[Candidate]:
        seen: dict[int, Candidate] = {}
        for _, _, cand in self.best:
            seen[id(cand)] = cand
        for cand in self.recent:
            seen[id(cand)] = cand
        return sorted(seen.values(), key=lambda c: c.start)
