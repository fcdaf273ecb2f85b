"""The knowledge base of known failure causes, and the multi-pattern scanner built from it.

Rules are data: YAML files in ``worker/analysis/kb/`` (one per toolchain) plus any ``*.yaml`` in extra
directories given by the user (``KNOWLEDGE_BASE_DIRS``). A file looks like::

    causes:
      - id: maven.test-failure          # unique, "<toolchain>.<what>"
        category: test                  # one of models.CATEGORIES
        description: Maven Surefire reported failing tests.
        fix: Open the surefire report of the failing test ...
        weight: 8                       # how much a matching line says about *the* cause (default 6)
        caseless: false
        patterns: ['Tests run: \\d+, Failures: [1-9]']          # single-line indications
        sequences:                                             # multi-line indications
          - {first: 'BUILD FAILURE', then: 'Compilation failure', within: 30}
    signals:                              # generic evidence: no cause, only ranks lines; "section: true"
                                          # marks a report header: the report's lines follow it, up to
                                          # the line matching "until" when given (else a double blank)
      - {pattern: '\\bERROR\\b', weight: 2}
      - {pattern: 'npm ERR! Test failed', cap: 0.3}   # only echoes a failure reported above: weighs <= cap
    markers:                              # structure: where steps begin and how they end
      - {kind: step_fail, pattern: 'The command ".*" exited with [1-9]'}

Every regex of every file is compiled once into one Hyperscan database (google-re2 as fallback) that scans
megabytes per call. Patterns must use the common subset of both engines: no backreferences, no lookaround.
A match is attributed to the line where it *ends*; patterns should not span lines.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

from worker.analysis import fastpath, trigger_scan
from worker.analysis.models import CATEGORIES, Category

BUILTIN_DIR = Path(__file__).parent / "kb"

MarkerKind = Literal[
    "step_start",
    "command_start",
    "step_ok",
    "step_fail",
    "after_failure",
    "build_fail",
    "stage",
    "post_build",
    "pipeline_end",
]
_MARKER_KINDS: frozenset[str] = frozenset(get_args(MarkerKind))


#: A line is evidence when its weight reaches this; signals below it never select a line on their own.
TRIGGER_WEIGHT = 1.0


class KnowledgeBaseError(ValueError):
    """A rule file is malformed; the message names the file, the rule and the field."""


@dataclass(frozen=True)
class CauseRule:
    """One known failure cause."""

    id: str
    category: Category
    description: str
    fix: str
    weight: float
    source: str


@dataclass(frozen=True)
class PatternInfo:
    """What a compiled pattern means when it matches a line."""

    kind: Literal["cause", "signal", "marker", "seq_first", "seq_then"]
    weight: float = 0.0
    cause: int = -1  # index into KnowledgeBase.causes
    marker: str = ""
    sequence: int = -1  # index into KnowledgeBase.sequences
    regex: str = ""
    # A line matching this weighs at most ``cap`` (messages that only echo a failure reported elsewhere).
    cap: float = float("inf")
    section: bool = False  # heads a report section (e.g. "There were 2 failures:"): its body follows it
    # A section that ends with a known line (pytest's "file.py:12: AssertionError"): that line's regex.
    until: str = ""
    # A category hint (a signal naming the kind of failure its words describe; see category.py).
    category: str = ""


@dataclass(frozen=True)
class Sequence_:
    """A multi-line indication: ``then`` matching within ``within`` lines after ``first``."""

    cause: int
    first: int  # pattern index
    then: int  # pattern index
    within: int


@dataclass
class KnowledgeBase:
    """All rules, with their patterns compiled into one multi-pattern scanner."""

    causes: list[CauseRule] = field(default_factory=list)
    patterns: list[PatternInfo] = field(default_factory=list)
    sequences: list[Sequence_] = field(default_factory=list)
    expressions: list[tuple[str, bool]] = field(default_factory=list)  # (regex, caseless) by pattern index
    scanner: Scanner | None = None
    trigger_scanner: Scanner | None = None
    triggers: list[int] = field(default_factory=list)  # patterns that can make a line evidence (or mark)
    scanned: list[int] = field(default_factory=list)  # triggers in the trigger scanner (_scanned_triggers)

    @cached_property
    def trigger_set(self) -> frozenset[int]:
        """:attr:`triggers` as a set, for membership tests."""
        return frozenset(self.triggers)

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        """All ``(pattern_index, end_offset)`` matches in ``data``, in order of end offset."""
        assert self.scanner is not None, "knowledge base not compiled"
        return self.scanner.scan(data)

    def scan_patterns(self, data: bytes) -> tuple[int, ...]:
        """The distinct patterns matching in ``data`` (one line), sorted."""
        assert self.scanner is not None, "knowledge base not compiled"
        return self.scanner.scan_patterns(data)

    def scan_each_line(self, lines: Sequence[bytes]) -> list[tuple[int, ...]]:
        """:meth:`scan_patterns` of each of ``lines``, one scan per line (a line's patterns depend on its bytes
        alone: lines joined by ``\\n`` are not scanned alike, see :meth:`Scanner.scan_each_line`)."""
        assert self.scanner is not None, "knowledge base not compiled"
        return self.scanner.scan_each_line(lines)

    def scan_lines(self, joined: bytes) -> list[tuple[int, int]]:
        """``(line_index, pattern_index)`` for every match in lines joined by ``\\n`` (a few selected lines
        scanned together), by the line where each match ends."""
        assert self.scanner is not None, "knowledge base not compiled"
        return self.scanner.scan_lines(joined)

    @cached_property
    def echo_patterns(self) -> tuple[int, ...]:
        """The *echo* signals: capped at the evidence threshold, they only repeat a failure reported elsewhere
        (npm's ELIFECYCLE trailer, make's "Error 2", a runner's exit line; see :func:`blocks.echo_lines`)."""
        return tuple(
            i for i, info in enumerate(self.patterns) if info.kind == "signal" and info.cap <= TRIGGER_WEIGHT
        )

    @cached_property
    def echo_scanner(self) -> Scanner:
        """The echo signals alone in one database: a failed step's last lines and each block's edges are
        scanned for them only, ~40 patterns instead of ~500. A database is meant to report every match of each
        of its patterns whatever else it holds, but Hyperscan 5.4.12 misses one case (:meth:`Scanner.
        scan_each_line`), so this was checked, not assumed: the same matches as the full database on 8,997 echo
        scans and 88,466 twenty-line windows of the real logs (``bench.equivalence``: output identical). Built
        on first use."""
        assert self.scanner is not None, "knowledge base not compiled"
        return build_scanner([self.expressions[i] for i in self.echo_patterns], self.scanner.name)

    def echo_line_indexes(self, joined: bytes) -> set[int]:
        """The lines of ``joined`` (lines joined by ``\\n``) where an echo signal (:attr:`echo_patterns`) ends a
        match, counted as :meth:`scan_lines` counts them."""
        if not self.echo_patterns:
            return set()  # a knowledge base without any (an empty database does not compile)
        return {index for index, _pattern in self.echo_scanner.scan_lines(joined)}

    def scan_triggers(self, data: bytes) -> list[tuple[int, int]]:
        """Matches of the trigger patterns, in order of end offset: the lines they end on are the point (the
        first item is a position in the trigger scanner, not a pattern index).

        Triggers are the patterns that can make a line evidence on their own or mark structure; the others
        (negative or small weights, caps) only refine a line that a trigger already selected. Scanning the bulk
        of a log with the triggers alone keeps Python out of the way of the many lines that only mention
        "warning" or "Failures: 0".

        A few triggers are scanned in a cheaper form that may also select lines the pattern itself does not
        match (see :data:`TRIGGER_FORMS`): a selected line is evidence only if :meth:`scan` finds one of
        :attr:`trigger_set` on it. Triggers whose lines a word signal always selects too are not scanned
        (:mod:`worker.analysis.trigger_scan`): the same lines are selected.
        """
        assert self.trigger_scanner is not None, "knowledge base not compiled"
        return self.trigger_scanner.scan(data)

    def trigger_ends(self, data: bytes) -> Sequence[int]:
        """The end offsets of :meth:`scan_triggers`' matches (the engine only needs their lines)."""
        assert self.trigger_scanner is not None, "knowledge base not compiled"
        return self.trigger_scanner.scan_ends(data)


# --------------------------------------------------------------------------------------------------------
# Scanners: one compiled database for every pattern; a scan returns (pattern index, end offset) pairs.


class Scanner:
    """Interface of the multi-pattern engines."""

    name = "abstract"

    def scan(self, data: bytes) -> list[tuple[int, int]]:  # pragma: no cover - interface
        raise NotImplementedError

    def scan_ends(self, data: bytes) -> Sequence[int]:
        """The end offsets of :meth:`scan`'s matches, in the same order."""
        return [end for _pattern, end in self.scan(data)]

    def scan_patterns(self, data: bytes) -> tuple[int, ...]:
        """The distinct patterns of :meth:`scan`'s matches, sorted."""
        return tuple(sorted({pattern for pattern, _end in self.scan(data)}))

    def scan_lines(self, joined: bytes) -> list[tuple[int, int]]:
        """``(line index, pattern)`` of :meth:`scan`'s matches in ``joined`` (lines joined by ``\\n``)."""
        return fastpath.lines_of_matches(joined, self.scan(joined))

    def scan_each_line(self, lines: Sequence[bytes]) -> list[tuple[int, ...]]:
        """:meth:`scan_patterns` of each line, one scan per line.

        Not one scan of the lines joined: a pattern that can match a newline (``\\s``, ``[^x]``) would join two
        lines into one match, and Hyperscan reports one match per pattern and end offset. Not even with every
        such atom narrowed to leave the newline out (then no match can cross a line, and each line's matches
        are those of the line alone): Hyperscan 5.4.12 does not report ``^\\s*\\d+\\) \\S`` (with the
        runner prefix) on "1) Composer\\Test" after "There were 3 errors:" when ``^\\s*\\d+\\) (?:Failure|Error):``
        is in the same database; 18 of 26,002 distinct selected lines of the real logs came out different so.
        """
        return [self.scan_patterns(line) for line in lines]


class HyperscanScanner(Scanner):
    """Intel Hyperscan in block mode: all patterns in one pass over the buffer, SIMD-accelerated."""

    name = "hyperscan"

    def __init__(self, expressions: Sequence[tuple[str, bool]], *, cache: bool = True) -> None:
        import hyperscan

        self._hs = hyperscan
        flags = [
            hyperscan.HS_FLAG_MULTILINE | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
            for _, caseless in expressions
        ]
        encoded = [regex.encode("utf-8") for regex, _ in expressions]
        # Compiling ~500 patterns takes ~0.3 s; a serialised database loads in milliseconds. The cache key is
        # the patterns, their flags and the library version, so an edited rule file is never served stale.
        key = hashlib.sha256(
            repr((encoded, flags, getattr(hyperscan, "__version__", ""))).encode()
        ).hexdigest()
        cache_dir = _cache_dir() if cache else None
        cache_file = cache_dir / f"hs-{key[:32]}.db" if cache_dir is not None else None
        if cache_file is not None and cache_file.is_file():
            try:
                self._db = hyperscan.loadb(cache_file.read_bytes(), hyperscan.HS_MODE_BLOCK)
            except Exception:  # a corrupt or foreign cache file: compile instead
                cache_file.unlink(missing_ok=True)
            else:
                self._local = threading.local()
                return
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=encoded, ids=list(range(len(encoded))), elements=len(encoded), flags=flags
        )
        if cache_file is not None:
            try:
                tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(hyperscan.dumpb(self._db))
                tmp.replace(cache_file)  # atomic: concurrent workers never read half a file
                _prune_cache(cache_file.parent)
            except OSError:
                pass
        # Scratch space is per thread: a Celery worker or the API may analyse in several threads.
        self._local = threading.local()

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        found: list[tuple[int, int]] = []
        append = found.append

        def on_match(pattern_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            append((pattern_id, end))

        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        return found

    def scan_ends(self, data: bytes) -> Sequence[int]:
        # Hyperscan calls back once per match (~800 per MB of a real log, ~7,000 in a dense one): the offsets
        # are collected in C when the engine's extension is built (fastpath.end_collector).
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        ends = fastpath.end_collector()
        self._db.scan(data, match_event_handler=ends, scratch=scratch)
        return cast(
            "Sequence[int]", ends
        )  # a sequence of int (registered as one: see fastpath.end_collector)

    def scan_patterns(self, data: bytes) -> tuple[int, ...]:
        # The exact scan of each new selected line (selection.LineRules): the patterns collected in C when the
        # engine's extension is built (fastpath.pattern_collector), without a Python frame per match.
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        found = fastpath.pattern_collector()
        self._db.scan(data, match_event_handler=found, scratch=scratch)
        return found.patterns()

    def scan_each_line(self, lines: Sequence[bytes]) -> list[tuple[int, ...]]:
        # The exact scan of the new selected lines of a block (selection.LineRules): scan_patterns per line
        # without its lookups per call (~0.3 of its ~2.5 us per line).
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        scan = self._db.scan
        collector = fastpath.pattern_collector
        out: list[tuple[int, ...]] = []
        for line in lines:
            found = collector()
            scan(line, match_event_handler=found, scratch=scratch)
            out.append(found.patterns())
        return out

    def scan_lines(self, joined: bytes) -> list[tuple[int, int]]:
        # The echo lines of each failed step's last lines (blocks.echo_lines): the matches collected in C.
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        found = fastpath.match_collector()
        self._db.scan(joined, match_event_handler=found, scratch=scratch)
        return found.by_line(joined)


_CACHE_KEEP = 8


def _prune_cache(directory: Path, pattern: str = "hs-*.db") -> None:
    """Keep the newest few databases: every edit of a rule file makes a new one."""
    files = sorted(directory.glob(pattern), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in files[_CACHE_KEEP:]:
        old.unlink(missing_ok=True)


def _cache_dir() -> Path | None:
    """Where compiled databases are cached: ``~/.cache/langchain-jenkins``, else the temp dir."""
    for candidate in (
        Path.home() / ".cache" / "langchain-jenkins",
        Path(tempfile.gettempdir()) / "langchain-jenkins",
    ):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    return None


class Re2Scanner(Scanner):
    """google-re2 fallback: one alternation finds matching lines, a ``re2.Set`` tells which patterns."""

    name = "re2"

    def __init__(self, expressions: Sequence[tuple[str, bool]]) -> None:
        import re2

        self._re2 = re2
        parts = [f"(?i:{regex})" if caseless else f"(?:{regex})" for regex, caseless in expressions]
        options = re2.Options()
        options.max_mem = 256 << 20
        self._any = re2.compile(("(?m)" + "|".join(parts)).encode("utf-8"), options)
        self._set = re2.Set.SearchSet(options)
        for part in parts:
            self._set.Add(("(?m)" + part).encode("utf-8"))
        self._set.Compile()

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        pos = 0
        size = len(data)
        while pos < size:
            match = self._any.search(data, pos)
            if match is None:
                break
            start = data.rfind(b"\n", 0, match.start()) + 1
            end = data.find(b"\n", match.end())
            if end < 0:
                end = size
            line = data[start:end]
            # The exact end offset of each pattern is not needed: the engine works per line.
            found.extend((index, end) for index in sorted(self._set.Match(line)))
            pos = end + 1
        return found


#: What CI runners put before a tool's output on each line: GitHub Actions and Jenkins Timestamper timestamps
#: (ISO in consoleText, ``HH:MM:SS`` plus two spaces in the classic console, ``yyyy-MM-dd HH:mm:ss`` when
#: configured so), Docker BuildKit's step number and seconds (``#12 3.45 ``), and GitHub Actions
#: ``##[error]``-style commands. ``reader._PREFIX_RE`` strips the same.
LINE_PREFIX = (
    r"(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z? {0,2}|\[\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?\] {0,2}"
    r"|\[?\d\d:\d\d:\d\d(?:\.\d+)?\]? {1,2})?(?:#\d+ \d+\.\d+ )?(?:##\[(?:error|warning)\])?"
)
_LINE_START = re.compile(r"(^|(?<!\\)\||\(\?:|(?<!\\)\()\^")


# ``$`` at the end of the pattern or of a top-level alternative (not escaped).
_LINE_END = re.compile(r"(?<!\\)\$(?=\)|\||$)")


def anchor_after_prefix(regex: str) -> str:
    """Anchors as a rule's author means them: ``^`` also after a runner's timestamp prefix, ``$`` also before
    the carriage returns of CRLF logs. Rules are written against the tool's output, not the transport."""
    regex = _LINE_START.sub(lambda m: f"{m.group(1)}^{LINE_PREFIX}", regex)
    return _LINE_END.sub(lambda _m: "\\r*$", regex)


#: Cheaper forms of a few trigger patterns for the bulk scan, by rule regex. Each form is the regex cut where
#: the part cut off can only match within one line (no ``\s``, ``.``, negated classes), so it matches wherever
#: the regex does and ends on the same line: it selects a superset of the regex's lines, and the engine keeps
#: only the lines where the exact patterns match (:meth:`KnowledgeBase.scan_triggers`).
TRIGGER_FORMS: dict[str, str] = {
    # Hyperscan anchors this one on " [" + digit, common in build logs (Maven's "[3/12]", timestamper's
    # "[2024-..."), and then runs an automaton for the "X \S+" before it at each: measured ~12% of the whole
    # trigger scan on a Maven log. Cut before the digits, it is anchored on "X " (a line starting "X ").
    r"^\s*X \S+ \[\d+m?s\]": r"^\s*X \S+ \[",
}


#: Cheaper forms of a few trigger patterns for the bulk scan, by rule regex: the end that every top-level
#: alternative of the regex ends with, from an atom on (its start left out: the ``^`` and the runner prefix it
#: stands for, the atoms before). A match of an alternative ends with a match of its end, at the same byte: the
#: form selects every line the rule selects (and those the engine then finds no trigger on are no evidence).
#: Chosen by measuring each trigger's share of the bulk scan (the scan without it, on the real logs of
#: ``bench.speed``): these two cost ~10% of it as their unanchored forms, and select the same lines in this form.
TRIGGER_SUFFIXES: dict[str, str] = {
    # As "test\w*, .*(...)" Hyperscan starts the tail automaton at every "test" of a test log: 7.7% of the scan.
    r"^\s{2}test\w*, .*(?:failed|error|Error|threw)": r"\s{2}test\w*, .*(?:failed|error|Error|threw)",
    # Two \S+ runs ahead of the literal: 3.8% of the scan. Both alternatives end with the message.
    r"^\S+: (?:\d+|line \d+): \S+: not found$|^(?:\S*/)?(?:ba|da|k|z)?sh: \S+: not found$": r": not found$",
}


def trigger_expression(kb: KnowledgeBase, index: int) -> tuple[str, bool]:
    """What the trigger scanner compiles for pattern ``index``: its :data:`TRIGGER_FORMS` or
    :data:`TRIGGER_SUFFIXES` form, if any, without its line-start anchors where that keeps it selective
    (:func:`trigger_scan.unanchored_form`)."""
    regex, caseless = kb.expressions[index]
    rule = kb.patterns[index].regex
    form = trigger_scan.unanchored_form(TRIGGER_FORMS.get(rule) or TRIGGER_SUFFIXES.get(rule, rule))
    return (anchor_after_prefix(form), caseless) if form != rule else (regex, caseless)


def _scanned_triggers(kb: KnowledgeBase) -> list[int]:
    """The triggers the bulk scan needs: not those whose lines a word signal always selects too."""
    rules = [(info.regex, caseless) for info, (_, caseless) in zip(kb.patterns, kb.expressions, strict=True)]
    redundant = trigger_scan.redundant_triggers(rules, kb.triggers)
    return [i for i in kb.triggers if i not in redundant]


def build_scanner(
    expressions: Sequence[tuple[str, bool]], engine: str | None = None, *, cache: bool = True
) -> Scanner:
    """Hyperscan when importable (x86-64), else google-re2. ``cache=False`` for one-off scanners."""
    if engine in (None, "hyperscan"):
        try:
            return HyperscanScanner(expressions, cache=cache)
        except ImportError:
            if engine == "hyperscan":
                raise
    return Re2Scanner(expressions)


# --------------------------------------------------------------------------------------------------------
# Loading


def _require(rule: dict[str, Any], key: str, where: str) -> Any:
    if key not in rule or rule[key] in (None, ""):
        raise KnowledgeBaseError(f"{where}: field '{key}' is required")
    return rule[key]


def _as_str_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KnowledgeBaseError(f"{where}: field '{key}' must be a regex or a list of regexes")
    return cast(list[str], value)


class _Builder:
    def __init__(self) -> None:
        self.kb = KnowledgeBase()
        self._ids: dict[str, str] = {}

    def add_pattern(self, regex: str, caseless: bool, info: PatternInfo, where: str) -> int:
        if "\n" in regex:
            raise KnowledgeBaseError(f"{where}: patterns must not contain a newline: {regex!r}")
        self.kb.expressions.append((anchor_after_prefix(regex), caseless))
        self.kb.patterns.append(info)
        return len(self.kb.patterns) - 1

    def add_file(self, path: Path) -> None:
        # Imported here: with a fresh rules cache (see compile_knowledge_base) YAML is never needed, and
        # importing it is a tenth of the engine's start-up.
        import yaml

        # libyaml when available: parsing the built-in rules is then ~10x faster.
        loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        except yaml.YAMLError as exc:
            raise KnowledgeBaseError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise KnowledgeBaseError(f"{path}: expected a mapping with 'causes', 'signals' or 'markers'")
        unknown = set(data) - {"causes", "signals", "markers", "toolchain"}
        if unknown:
            raise KnowledgeBaseError(f"{path}: unknown top-level field(s) {sorted(unknown)}")
        for n, rule in enumerate(data.get("causes") or []):
            self._add_cause(rule, f"{path.name}: causes[{n}]", str(path))
        for n, rule in enumerate(data.get("signals") or []):
            where = f"{path.name}: signals[{n}]"
            regex = _require(rule, "pattern", where)
            cap = float(rule["cap"]) if rule.get("cap") is not None else float("inf")
            # A capping signal needs no weight of its own; any other signal does.
            weight = float(rule.get("weight", 0)) if "cap" in rule else float(_require(rule, "weight", where))
            until = str(rule.get("until") or "")
            if until:
                try:
                    re.compile(until)
                except re.error as exc:
                    raise KnowledgeBaseError(f"{where}: field 'until' is not a valid regex: {exc}") from exc
            section = bool(rule.get("section", False)) or bool(until)
            hint = str(rule.get("category") or "")
            if hint and hint not in CATEGORIES:
                raise KnowledgeBaseError(f"{where}: field 'category' must be one of {list(CATEGORIES)}")
            self.add_pattern(
                regex,
                bool(rule.get("caseless", False)),
                PatternInfo(
                    "signal", weight, regex=regex, cap=cap, section=section, until=until, category=hint
                ),
                where,
            )
        for n, rule in enumerate(data.get("markers") or []):
            where = f"{path.name}: markers[{n}]"
            kind = _require(rule, "kind", where)
            if kind not in _MARKER_KINDS:
                raise KnowledgeBaseError(f"{where}: field 'kind' must be one of {sorted(_MARKER_KINDS)}")
            regex = _require(rule, "pattern", where)
            self.add_pattern(
                regex,
                bool(rule.get("caseless", False)),
                PatternInfo("marker", marker=kind, regex=regex),
                where,
            )

    def _add_cause(self, rule: Any, where: str, source: str) -> None:
        if not isinstance(rule, dict):
            raise KnowledgeBaseError(f"{where}: expected a mapping")
        cause_id = str(_require(rule, "id", where))
        where = f"{where} ({cause_id})"
        if cause_id in self._ids:
            raise KnowledgeBaseError(f"{where}: field 'id' duplicates a rule in {self._ids[cause_id]}")
        self._ids[cause_id] = source
        category = _require(rule, "category", where)
        if category not in CATEGORIES:
            raise KnowledgeBaseError(f"{where}: field 'category' must be one of {list(CATEGORIES)}")
        weight = float(rule.get("weight", 6))
        caseless = bool(rule.get("caseless", False))
        cause = CauseRule(
            id=cause_id,
            category=cast(Category, category),
            description=str(_require(rule, "description", where)).strip(),
            fix=str(_require(rule, "fix", where)).strip(),
            weight=weight,
            source=source,
        )
        self.kb.causes.append(cause)
        index = len(self.kb.causes) - 1
        patterns = _as_str_list(rule.get("patterns"), where, "patterns")
        sequences = rule.get("sequences") or []
        if not patterns and not sequences:
            raise KnowledgeBaseError(f"{where}: needs 'patterns' or 'sequences'")
        for regex in patterns:
            self.add_pattern(regex, caseless, PatternInfo("cause", weight, cause=index, regex=regex), where)
        for n, seq in enumerate(sequences):
            sw = f"{where}: sequences[{n}]"
            first = _require(seq, "first", sw)
            then = _require(seq, "then", sw)
            within = int(seq.get("within", 20))
            if within < 1:
                raise KnowledgeBaseError(f"{sw}: field 'within' must be >= 1")
            seq_index = len(self.kb.sequences)
            first_i = self.add_pattern(
                first, caseless, PatternInfo("seq_first", sequence=seq_index, regex=first), sw
            )
            then_i = self.add_pattern(
                then,
                caseless,
                PatternInfo("seq_then", weight, cause=index, sequence=seq_index, regex=then),
                sw,
            )
            self.kb.sequences.append(Sequence_(index, first_i, then_i, within))


def rule_files(extra_dirs: Iterable[Path] = ()) -> list[Path]:
    """The built-in rule files, then each extra directory's ``*.yaml``/``*.yml`` files, sorted by name."""
    files = sorted(BUILTIN_DIR.glob("*.yaml"))
    for directory in extra_dirs:
        directory = Path(directory)
        if not directory.is_dir():
            raise KnowledgeBaseError(f"knowledge base directory {directory} does not exist")
        files.extend(sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]))
    return files


def compile_knowledge_base(
    files: Sequence[Path], engine: str | None = None, *, cache: bool = True
) -> KnowledgeBase:
    """Load and validate ``files`` and compile every pattern into one scanner.

    The validated rules are cached as JSON next to the compiled databases, keyed by the files' bytes and this
    module's source: a process that starts with a fresh cache neither imports nor parses YAML.
    ``cache=False`` neither reads nor writes any cache.
    """
    cache_file = _rules_cache_file(files) if cache else None
    loaded = _load_rules(cache_file) if cache_file is not None else None
    if loaded is None:
        builder = _Builder()
        for path in files:
            builder.add_file(path)
        kb = builder.kb
        kb.triggers = [
            i
            for i, info in enumerate(kb.patterns)
            if info.kind != "signal" or (info.weight >= TRIGGER_WEIGHT and info.cap >= TRIGGER_WEIGHT)
        ]
        kb.scanned = _scanned_triggers(kb)  # cached with the rules: proving it takes ~10 ms
        # Cached too: rewriting ~370 triggers (trigger_scan.unanchored_form) was ~5 ms of every CLI run.
        trigger_expressions = [trigger_expression(kb, i) for i in kb.scanned]
    else:
        kb, trigger_expressions = loaded
        cache_file = None  # already cached
    try:
        kb.scanner = build_scanner(kb.expressions, engine, cache=cache)
        kb.trigger_scanner = build_scanner(trigger_expressions, engine, cache=cache)
    except Exception as exc:  # the engines' compile errors name only the pattern index
        raise KnowledgeBaseError(_explain_compile_error(kb, exc)) from exc
    if cache_file is not None:
        _save_rules(kb, trigger_expressions, cache_file)  # only rules that compile are cached
    return kb


def _rules_cache_file(files: Sequence[Path]) -> Path | None:
    """Where the validated rules of ``files`` are cached (None without a writable cache directory)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(trigger_scan.__file__).read_bytes())  # it chooses the scanned triggers
    digest.update(repr(CATEGORIES).encode())  # the categories the rules were validated against
    try:
        for path in files:
            content = Path(path).read_bytes()
            digest.update(f"\0{path}\0{len(content)}\0".encode())
            digest.update(content)
    except OSError:
        return None  # unreadable: the builder reports it with the file's name
    directory = _cache_dir()
    return directory / f"kb-{digest.hexdigest()[:32]}.json" if directory is not None else None


def _load_rules(cache_file: Path) -> tuple[KnowledgeBase, list[tuple[str, bool]]] | None:
    """The rules cached in ``cache_file`` and the trigger scanner's expressions, or None when it is missing or
    unreadable."""
    try:
        data = json.loads(cache_file.read_bytes())
        kb = KnowledgeBase(
            causes=[CauseRule(**c) for c in data["causes"]],
            patterns=[PatternInfo(**p) for p in data["patterns"]],
            sequences=[Sequence_(**q) for q in data["sequences"]],
            expressions=[(regex, bool(caseless)) for regex, caseless in data["expressions"]],
            triggers=[int(i) for i in data["triggers"]],
            scanned=[int(i) for i in data["scanned"]],
        )
        trigger_expressions = [
            (str(regex), bool(caseless)) for regex, caseless in data["trigger_expressions"]
        ]
        if len(trigger_expressions) != len(kb.scanned):
            raise ValueError("trigger expressions do not match the scanned triggers")
        return kb, trigger_expressions
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):  # corrupt or from another version: rebuild
        cache_file.unlink(missing_ok=True)
        return None


def _save_rules(kb: KnowledgeBase, trigger_expressions: list[tuple[str, bool]], cache_file: Path) -> None:
    data = {
        "causes": [asdict(c) for c in kb.causes],
        "patterns": [asdict(p) for p in kb.patterns],
        "sequences": [asdict(q) for q in kb.sequences],
        "expressions": kb.expressions,
        "triggers": kb.triggers,
        "scanned": kb.scanned,
        "trigger_expressions": trigger_expressions,
    }
    try:
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(cache_file)  # atomic: concurrent workers never read half a file
        _prune_cache(cache_file.parent, "kb-*.json")
    except OSError:
        pass


def _explain_compile_error(kb: KnowledgeBase, exc: Exception) -> str:
    """Find the offending pattern by compiling each alone, so the error names the rule."""
    for (regex, caseless), info in zip(kb.expressions, kb.patterns, strict=True):
        try:
            build_scanner([(regex, caseless)], cache=False)
        except Exception as single:
            owner = kb.causes[info.cause].id if info.cause >= 0 else info.kind
            return f"pattern {regex!r} of {owner} does not compile: {single}"
    return f"knowledge base does not compile: {exc}"


@lru_cache(maxsize=8)
def _cached(extra_dirs: tuple[str, ...]) -> KnowledgeBase:
    return compile_knowledge_base(rule_files(Path(d) for d in extra_dirs))


def load_knowledge_base(extra_dirs: Sequence[Path | str] = ()) -> KnowledgeBase:
    """The built-in rules plus ``extra_dirs``, compiled once per process and cached."""
    return _cached(tuple(str(Path(d).resolve()) for d in extra_dirs))
