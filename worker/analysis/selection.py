"""What the lines a block's trigger scan selected mean, decided once per distinct line.

The engine's hot path per block (see :mod:`worker.analysis.engine`):

1. the trigger patterns scan the block; :func:`fastpath.select_lines` turns their matches into the distinct
   lines they end on (index, start offset, bytes), in one walk over the matches;
2. :meth:`LineRules.rules` gives each selected line its :class:`LineRule` (weight, cap, causes, markers,
   sequences): every pattern of the knowledge base is scanned only over lines not seen before, one line at a
   time, so a line's rule depends on its bytes alone (most selected lines of a real log repeat an earlier one,
   byte for byte);
3. a line of evidence whose *repeat key* (its bytes with digits masked, from :func:`fastpath.select_lines`,
   and its rule) was seen before is the same failure again: the engine counts it on the first occurrence instead of building a
   block around it.

Both caches are bounded: the line memo forgets the lines not seen for a while (it only saves work), the repeat
table stops taking new keys (it decides the output, which must not depend on eviction order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from worker.analysis.kb import TRIGGER_WEIGHT, KnowledgeBase

#: Distinct lines whose rule is remembered (about 100 bytes each), in two generations (see LineRules).
MEMO_LINES = 40_000
#: Distinct failures remembered for repeat counting; later new ones are not de-duplicated.
REPEAT_KEYS = 20_000


@dataclass(eq=False, slots=True)
class LineRule:
    """What the patterns matching a line say about it (one instance per distinct set of patterns)."""

    evidence: bool  # a trigger pattern matched: the line can be evidence or a marker
    weight: float  # the signals' and causes' weights (sequences are added per line: they depend on position)
    cap: float
    section: bool
    until: str
    causes: tuple[int, ...]
    seq_first: tuple[int, ...]  # sequences this line can start
    seq_then: tuple[tuple[int, int, float], ...]  # (sequence, cause, weight) this line can complete
    markers: tuple[str, ...]
    # Not part of a sequence: its evidence does not depend on where it is, so a repeat of it can be counted
    # instead of handled (its markers are handled all the same).
    repeatable: bool
    # Evidence on its own (weight reaches the threshold), repeatable and no marker: a repeat of such a line
    # needs nothing but counting (the engine's hot path).
    plain: bool = False


class LineRules:
    """:class:`LineRule` of selected lines, memoised by line bytes (bounded)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        # Two generations: when the current one is full it becomes the old one, so the lines seen recently stay.
        self._by_line: dict[bytes, LineRule] = {}
        self._old: dict[bytes, LineRule] = {}
        self._by_patterns: dict[tuple[int, ...], LineRule] = {}

    def rules(self, lines: list[bytes]) -> list[LineRule]:
        """The rule of each line; the knowledge base scans (once, together) only the lines not seen before."""
        memo = self._by_line
        found = [memo.get(line) for line in lines]
        todo = [i for i, rule in enumerate(found) if rule is None]
        if not todo:
            return found  # type: ignore[return-value]  # no None left
        old = self._old
        unknown: list[int] = []
        for i in todo:
            rule = found[i] = old.get(lines[i])
            if rule is None:
                unknown.append(i)
            else:
                memo[lines[i]] = rule
        # The distinct new lines, each scanned alone (kb.scan_each_line: a line's rule depends on its bytes only).
        new = list(dict.fromkeys([lines[i] for i in unknown]))
        for line, patterns in zip(new, self.kb.scan_each_line(new), strict=True):
            memo[line] = self._rule(patterns)
        for i in unknown:
            found[i] = memo[lines[i]]
        if len(memo) > MEMO_LINES // 2:
            self._old, self._by_line = memo, {}
        return found  # type: ignore[return-value]  # every None was filled above

    def _rule(self, patterns: tuple[int, ...]) -> LineRule:
        rule = self._by_patterns.get(patterns)
        if rule is None:
            rule = self._by_patterns[patterns] = self._interpret(patterns)
        return rule

    def _interpret(self, patterns: tuple[int, ...]) -> LineRule:
        kb = self.kb
        weight = 0.0
        cap = math.inf
        section = False
        until = ""
        causes: list[int] = []
        seq_first: list[int] = []
        seq_then: list[tuple[int, int, float]] = []
        markers: list[str] = []
        for index in patterns:
            info = kb.patterns[index]
            if info.kind == "signal":
                weight += info.weight
                cap = min(cap, info.cap)
                section = section or info.section
                until = until or info.until
            elif info.kind == "cause":
                if info.cause not in causes:  # several indications of one cause on a line count once
                    weight += info.weight
                    causes.append(info.cause)
            elif info.kind == "seq_first":
                seq_first.append(info.sequence)
            elif info.kind == "seq_then":
                seq_then.append((info.sequence, info.cause, info.weight))
            elif info.kind == "marker":
                markers.append(info.marker)
        return LineRule(
            # Selected by a trigger's cheaper superset form only (kb.TRIGGER_FORMS), it is not evidence.
            evidence=not kb.trigger_set.isdisjoint(patterns),
            weight=weight,
            cap=cap,
            section=section,
            until=until,
            causes=tuple(causes),
            seq_first=tuple(seq_first),
            seq_then=tuple(seq_then),
            markers=tuple(markers),
            repeatable=not (seq_first or seq_then),
            plain=not (seq_first or seq_then or markers)
            and not kb.trigger_set.isdisjoint(patterns)
            and min(weight, cap) >= TRIGGER_WEIGHT,
        )
