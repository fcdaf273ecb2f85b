"""The compiled hot loop and its pure-Python twin give the same output, byte for byte, on the same inputs."""

from __future__ import annotations

import math
import os
import random
import sys
import types
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from worker.analysis import analyze_stream, fastpath, lines, load_knowledge_base
from worker.analysis.blocks import Hit
from worker.analysis.reader import clean_line
from worker.analysis.selection import LineRule

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"

compiled = fastpath._compiled_module
if compiled is None and os.environ.get("CI"):
    # CI installs the project with `pip install -e .`, which builds the extension: it must be there.
    raise AssertionError("worker.analysis._fast was not built (pip install -e . needs a C compiler)")
needs_compiled = pytest.mark.skipif(
    compiled is None, reason="worker.analysis._fast is not built here: run `pip install -e .` (CI builds it)"
)

# Bytes that make escape sequences, carets, newlines and multi-byte characters meet in every way.
PIECES = [
    b"\x1b",
    b"[",
    b"]",
    b"^",
    b"^[[",
    b"\x1b[",
    b"\x1b]",
    b"0",
    b"31",
    b";",
    b"?",
    b" ",
    b"/",
    b"m",
    b"K",
    b"\x07",
    b"\\",
    b"\n",
    b"\r",
    b"ERROR",
    b"\xe2\x9c\x97",
    b"\xff",
    b"x",
]


def _random_bytes(rng: random.Random, size: int) -> bytes:
    return b"".join(rng.choice(PIECES) for _ in range(size))


@needs_compiled
def test_strip_ansi_is_the_same_in_c_and_python() -> None:
    rng = random.Random(7)
    cases = [
        b"",
        b"plain text\n",
        b"\x1b[1;31mERROR\x1b[0m done\n",
        b"\x1b]0;title\x07x\x1b]8;;http://a\x1b\\link\x1b]8;;\x1b\\\n",
        b"\x1b[31",  # cut before its final byte
        b"\x1b\n\x1b",  # ESC before a newline and at the end stay
        b"^[[1;32mok^[[0m ^[[ ^[x",
        b"^\x1b[0m[[31mred",  # removing the ESC sequence makes a caret sequence: removed too, as by the regexes
        b"\x1b\x1b[0m",
    ]
    cases += [_random_bytes(rng, rng.randrange(1, 60)) for _ in range(20000)]
    for data in cases:
        assert compiled.strip_ansi(data) == fastpath.strip_ansi_python(data), data
    assert compiled.strip_ansi(bytearray(b"\x1b[0ma")) == b"a"  # any bytes-like object


@needs_compiled
def test_select_lines_is_the_same_in_c_and_python() -> None:
    rng = random.Random(11)
    for _ in range(5000):
        data = _random_bytes(rng, rng.randrange(0, 80))
        ends = sorted(rng.randrange(0, len(data) + 1) for _ in range(rng.randrange(0, 12)))
        if rng.random() < 0.1:
            rng.shuffle(ends)  # out of order: sorted first by both
        assert compiled.select_lines(data, ends) == fastpath.select_lines_python(data, ends), (data, ends)
    # The same lines again and again (a failure repeated): made once per call, equal all the same.
    for _ in range(500):
        data = b"\n".join(
            rng.choice([b"E1 x", b"E 22 y", b"", b"E1 x ", b"z" * 20]) for _ in range(rng.randrange(1, 3000))
        )
        ends = sorted(rng.randrange(0, len(data) + 1) for _ in range(rng.randrange(0, 2000)))
        selected = compiled.select_lines(data, ends)
        assert selected == fastpath.select_lines_python(data, ends)
        if len(set(selected[3])) < len(selected[3]):
            text = selected[3][-1]
            assert selected[3][selected[3].index(text)] is text  # one object per distinct line


def test_select_lines_finds_each_matched_line_once_with_its_repeat_key() -> None:
    data = b"one\ntwo ERROR x ERROR\nthree\nfour ERROR 404 in 0.25s"
    newlines, numbers, starts, lines, keys = fastpath.select_lines(data, [13, 21, 38])
    assert newlines == 3
    assert numbers == [1, 3]
    assert starts == [4, 28]
    assert lines == [b"two ERROR x ERROR", b"four ERROR 404 in 0.25s"]
    assert keys == [b"two ERROR x ERROR", b"four ERROR 0 in 0.0s"]


# Bytes that make clean_line take every branch: carriage returns, tabs, Unicode and control spaces at the end,
# invalid UTF-8, Travis control lines, lines over MAX_LINE_CHARS.
LINE_PIECES = [
    b"a",
    b" ",
    b"\t",
    b"\r",
    b"\n",
    b"\x0b",
    b"\x1c",
    b"\xc2\xa0",  # NO-BREAK SPACE: str.rstrip strips it
    b"\xe2\x80\x83",  # EM SPACE
    b"\xe2\x9c\x97",
    b"\xe2",  # cut multi-byte sequence
    b"\xff",
    b"travis_",
    b"travis_fold:start:install",
    b"x" * 400,
]


@needs_compiled
def test_line_text_is_clean_line_where_it_answers() -> None:
    rng = random.Random(5)
    answered = 0
    for _ in range(50000):
        data = b"".join(rng.choice(LINE_PIECES) for _ in range(rng.randrange(0, 10)))
        start = rng.randrange(0, len(data) + 1)
        text, end = compiled.line_text(data, start)
        stop = data.find(b"\n", start)
        assert end == (stop if stop >= 0 else len(data)), (data, start)
        if text is not None:  # else the caller cleans the line in Python
            answered += 1
            assert text == clean_line(data[start:end]), (data, start)
        assert lines.line_text(data, start) == (clean_line(data[start:end]), end)
    assert answered > 10000  # the plain decode is the common case


def _rule(plain: bool, section: bool = False, until: str = "") -> LineRule:
    return LineRule(
        evidence=True, weight=2.0, cap=math.inf, section=section, until=until, causes=(), seq_first=(),
        seq_then=(), markers=(), repeatable=True, plain=plain,
    )  # fmt: skip


def _count_repeats_state(
    rng: random.Random,
) -> tuple[list[Any], dict[LineRule, dict[bytes, Hit]], deque[Any]]:
    """Selected lines (numbers, starts, keys, rules), first occurrences and ghosts, drawn so that runs of
    repeats meet non-plain rules, unknown keys, the ghosts' reach and the echo steps' limit."""
    rules = [_rule(True), _rule(True, section=True), _rule(True, until="^end$"), _rule(False)]
    keys = [b"a", b"b", b"c", b"d"]
    repeats: dict[LineRule, dict[bytes, Hit]] = {}
    for rule in rules[:3]:
        repeats[rule] = {}
        for key in keys[:3]:
            if rng.random() < 0.8:
                hit = Hit(rng.randrange(1, 50), 2.0, [])
                for step in rng.sample(range(12), rng.randrange(0, 10)):
                    hit.repeated(rng.randrange(1, 50), step)
                repeats[rule][key] = hit
    count = rng.randrange(0, 120)
    numbers = sorted(rng.sample(range(0, 400), count))
    starts = [10 * n for n in numbers]
    chosen_keys = [rng.choice(keys) if rng.random() < 0.1 else rng.choice(keys[:2]) for _ in numbers]
    chosen_rules = [rules[3] if rng.random() < 0.03 else rng.choice(rules[:3]) for _ in numbers]
    ghosts: deque[Any] = deque()
    line = 0
    for _ in range(rng.randrange(0, 6)):
        line += rng.randrange(1, 90)
        ghosts.append((line, rules[0], Hit(1, 2.0, []), 0, 0, rng.choice([43, 160])))
    return [numbers, starts, chosen_keys, chosen_rules], repeats, ghosts


def _observed(repeats: dict[LineRule, dict[bytes, Hit]], ghosts: deque[Any], index: int) -> object:
    hits = [(h.repeats, list(h.echoes.items())) for known in repeats.values() for h in known.values()]
    ghost = [(g[0], (g[1].section, g[1].until), (g[2].line, g[2].repeats), g[3], g[4], g[5]) for g in ghosts]
    return index, hits, ghost


@needs_compiled
def test_count_repeats_is_the_same_in_c_and_python() -> None:
    for seed in range(3000):
        observed = []
        for count_repeats in (compiled.count_repeats, fastpath.count_repeats_python):
            rng = random.Random(seed)  # the same state for both
            selected, repeats, ghosts = _count_repeats_state(rng)
            index = rng.randrange(0, len(selected[0]) + 1)
            first_line, step = rng.randrange(1, 1000), rng.randrange(0, 14)
            done = count_repeats(*selected, index, first_line, step, repeats, ghosts, 160, 43)
            observed.append(_observed(repeats, ghosts, done))
        assert observed[0] == observed[1], seed


def _analysis(data: bytes) -> dict[str, object]:
    return analyze_stream([data]).model_dump(exclude={"stats": {"seconds"}})


@needs_compiled
def test_the_engine_gives_the_same_analysis_with_either_path() -> None:
    rng = random.Random(3)
    logs = [path.read_bytes() for path in sorted(SAMPLES.glob("*.log"))]
    # Colour codes everywhere (as a coloured console prints them), and repeated failures.
    logs.append(b"".join(b"\x1b[31m" + line + b"\x1b[0m\n" for line in logs[0].splitlines()))
    repeated = b"".join(b"ERROR: test_%d failed: timeout after 30s\n" % i for i in range(50))
    logs.append(b"$ make test\n" + repeated + b"make: *** Error 1\n")
    logs.append(b"\n".join(_random_bytes(rng, 40) + b" error: x" for _ in range(200)))
    for data in logs:
        with fastpath.use_compiled(True):
            fast = _analysis(data)
        with fastpath.use_compiled(False):
            pure = _analysis(data)
        assert fast == pure


@needs_compiled
def test_the_compiled_match_handler_collects_what_a_python_one_does() -> None:
    kb = load_knowledge_base()
    for path in sorted(SAMPLES.glob("*.log")):
        data = fastpath.strip_ansi(path.read_bytes())
        with fastpath.use_compiled(True):
            fast = kb.trigger_ends(data)
        with fastpath.use_compiled(False):
            pure = kb.trigger_ends(data)
        assert type(fast) is compiled.Ends and type(pure) is not compiled.Ends
        assert list(fast) == list(pure) and len(fast) == len(pure), path.name
        assert compiled.select_lines(data, fast) == fastpath.select_lines_python(data, pure)
    ends = compiled.Ends()
    for end in (9, 3, 7):  # out of order: select_lines sorts a copy
        ends(0, 0, end, 0, None)
    assert compiled.select_lines(b"ab\ncd\nef\ngh", ends) == fastpath.select_lines_python(
        b"ab\ncd\nef\ngh", [9, 3, 7]
    )
    assert list(ends) == [9, 3, 7]
    with pytest.raises(IndexError):
        ends[3]
    with pytest.raises(TypeError):
        ends(1, 2)


def test_a_build_from_an_older_source_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-place build not redone after an update lacks newer functions: the pure twins are used instead of
    failing on import."""
    stale = types.ModuleType("worker.analysis._fast")
    stale.strip_ansi = fastpath.strip_ansi_python  # type: ignore[attr-defined]
    stale.select_lines = fastpath.select_lines_python  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "worker.analysis._fast", stale)
    assert fastpath._load_compiled() is None
    if compiled is not None:
        monkeypatch.setitem(sys.modules, "worker.analysis._fast", compiled)
        assert fastpath._load_compiled() is compiled


# Lines that make the continuation rules take every branch: blank and prefix-only lines, stack frames, indented
# detail, tags, list items, report separators and the line ending a section, lines that are not a plain decode.
BLOCK_LINES = [
    b"",
    b"   ",
    b"2024-01-02T03:04:05Z ",
    b"[12:00:01] ",
    b"ERROR: something failed:",
    b"    at com.example.Foo.bar(Foo.java:12)",
    b"Caused by: java.lang.IllegalStateException",
    b"  indented detail",
    b"[error] compile failed",
    b"[error]   detail",
    b"[info] - a test",
    b"npm ERR! code 1",
    b"  1) failing test",
    b"  \xe2\x9c\x93 passing test",
    b"____ test_b ____",
    b"---- Captured log ----",
    b"tests/test_x.py:12: AssertionError",
    b"plain words",
    b"tab\there",
    b"progress 10%\rprogress 100%",
    b"\xff\xfe bad utf-8",
    b"\xc2\xa0",
]


def _block(rng: random.Random) -> tuple[bytes, int, int]:
    count = rng.randrange(1, 60)
    data = b"\n".join(rng.choice(BLOCK_LINES) for _ in range(count))
    if rng.random() < 0.7:
        data += b"\n"
    first_line = rng.randrange(1, 500)
    last_line = first_line + data.count(b"\n") - (1 if data.endswith(b"\n") else 0)
    return data, first_line, max(first_line, last_line)


@needs_compiled
def test_block_lines_are_the_same_in_c_and_python() -> None:
    rng = random.Random(13)
    for _ in range(3000):
        data, first_line, last_line = _block(rng)
        pure, fast = (
            lines.BlockLines(data, first_line, last_line),
            compiled.BlockLines(data, first_line, last_line),
        )
        assert (fast.data, fast.first_line, fast.last_line) == (data, first_line, last_line)
        starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == 10]
        for _ in range(rng.randrange(0, 5)):  # anchors, as the selected lines give them
            number = rng.randrange(first_line, last_line + 1)
            pure.add_anchor(number, starts[number - first_line])
            fast.add_anchor(number, starts[number - first_line])
        for _ in range(20):
            number = rng.randrange(first_line - 3, last_line + 4)
            if rng.random() < 0.5:
                assert fast.line(number) == pure.line(number), (data, number)
            elif first_line <= number <= last_line:
                assert fast.offset_of(number) == pure.offset_of(number), (data, number)
            low = rng.randrange(first_line - 3, last_line + 4)
            high = low + rng.randrange(0, 8)
            assert fast.get(low, high) == pure.get(low, high), (data, low, high)
        assert fast.texts == pure.texts


@needs_compiled
def test_continue_block_is_the_same_in_c_and_python() -> None:
    from worker.analysis import growth
    from worker.analysis.blocks import Candidate
    from worker.analysis.blocks import compiled as compile_regex

    rng = random.Random(17)
    grown = 0
    for _ in range(4000):
        data, first_line, last_line = _block(rng)
        tail = deque(clean_line(rng.choice(BLOCK_LINES)) for _ in range(rng.randrange(0, 6)))
        start = rng.randrange(first_line - len(tail), last_line + 1)
        kind = rng.random()
        ends = sorted(rng.randrange(start, last_line + 3) for _ in range(rng.randrange(1, 4)))
        observed = []
        for block_lines in (compiled.BlockLines, lines.BlockLines):
            state = types.SimpleNamespace(tail=tail)
            lines_of = block_lines(data, first_line, last_line)
            cand = Candidate(start=start, first_hit=start, last_hit=start, step=0)
            cand.lines = [growth.line_at(state, lines_of, start) or ""]  # type: ignore[arg-type]
            cand.last_text = cand.lines[-1]
            cand.section = kind < 0.4
            cand.until = compile_regex(r"^\S+\.py:\d+: \w+Error$") if kind < 0.2 else None
            for upto in ends:  # as blocks of the log end, and hits come
                growth.continue_block(cand, lines_of, upto, state)  # type: ignore[arg-type]
            observed.append((cand.lines, cand.settled))
        grown += len(observed[0][0]) > 1
        assert observed[0] == observed[1], (data, start, kind)
    assert grown > 1000  # the blocks do grow


@needs_compiled
def test_the_compiled_pattern_collector_finds_what_a_python_one_does() -> None:
    kb = load_knowledge_base()
    checked = 0
    for path in sorted(SAMPLES.glob("*.log")):
        for line in fastpath.strip_ansi(path.read_bytes()).split(b"\n"):
            with fastpath.use_compiled(True):
                fast = kb.scan_patterns(line)
            with fastpath.use_compiled(False):
                pure = kb.scan_patterns(line)
            assert fast == pure == tuple(sorted({p for p, _end in kb.scan(line)})), line
            checked += bool(fast)
    assert checked > 20  # lines with matches, some with several
    found = compiled.Patterns()
    for pattern in (7, 3, 7, 0):
        found(pattern, 0, 1, 0, None)
    assert found.patterns() == (0, 3, 7)
    with pytest.raises(TypeError):
        found(1, 2)


@needs_compiled
def test_the_compiled_match_collector_gives_the_lines_a_python_one_does() -> None:
    kb = load_knowledge_base()
    for path in sorted(SAMPLES.glob("*.log")):
        lines_of = fastpath.strip_ansi(path.read_bytes()).split(b"\n")
        for first in range(0, len(lines_of), 7):  # a few lines joined, as a failed step's last lines are
            joined = b"\n".join(lines_of[first : first + 20])
            with fastpath.use_compiled(True):
                fast = kb.scan_lines(joined)
            with fastpath.use_compiled(False):
                pure = kb.scan_lines(joined)
            assert fast == pure == fastpath.lines_of_matches(joined, kb.scan(joined)), path.name
    found = compiled.Matches()
    for pattern, end in ((4, 2), (1, 6), (2, 5), (3, 9)):  # out of order: counted forward, as in Python
        found(pattern, 0, end, 0, None)
    data = b"a\nbc\nde\nf"
    assert found.by_line(data) == fastpath.lines_of_matches(data, [(4, 2), (1, 6), (2, 5), (3, 9)])
    with pytest.raises(TypeError):
        found(1, 2)


@needs_compiled
def test_hits_grow_the_same_blocks_in_c_and_python() -> None:
    from worker.analysis import growth
    from worker.analysis.stream_state import StreamState

    kb = load_knowledge_base()
    rng = random.Random(19)
    joined = 0
    for _ in range(1500):
        data, first_line, last_line = _block(rng)
        tail = [clean_line(rng.choice(BLOCK_LINES)) for _ in range(rng.randrange(0, 6))]
        hits = sorted(
            {rng.randrange(first_line - len(tail), last_line + 1) for _ in range(rng.randrange(1, 8))}
        )
        kinds = [(rng.random() < 0.2, r"^\S+\.py:\d+: \w+Error$" if rng.random() < 0.1 else "") for _ in hits]
        observed = []
        for block_lines in (compiled.BlockLines, lines.BlockLines):
            state = StreamState(kb)
            state.tail.extend(tail)
            lines_of = block_lines(data, first_line, last_line)
            for line, (section, until) in zip(hits, kinds, strict=True):
                growth.on_hit(state, lines_of, Hit(line, 2.0, [], section or bool(until), until))  # type: ignore[arg-type]
            state.close_open()
            observed.append(
                [
                    (
                        c.start,
                        c.lines,
                        c.last_hit,
                        c.last_text,
                        [h.line for h in c.hits],
                        c.settled,
                        c.section,
                    )
                    for c in state.candidates()
                ]
            )
        joined += sum(len(c[4]) > 1 for c in observed[0])
        assert observed[0] == observed[1], (data, hits, kinds)
    assert joined > 300  # hits do join open blocks


@pytest.mark.parametrize("compiled_lines", [True, False])
def test_a_hit_joining_a_block_older_than_the_tail_ring_has_no_text(compiled_lines: bool) -> None:
    # Replayed repeats (ghosts) may lie further above a block than the tail ring reaches: the block they start
    # has no lines, and a second hit on it joined it by indexing its last line (IndexError, in C and Python,
    # once on 40 MB of the error-dense log analysed in 1 MB chunks). Both now take "" as a new block does.
    from worker.analysis import growth
    from worker.analysis.stream_state import StreamState

    if compiled_lines and compiled is None:
        pytest.skip("the compiled extension is not built")
    block_lines = compiled.BlockLines if compiled_lines else lines.BlockLines
    data = b"".join(b"line %d\n" % n for n in range(20))
    first_line = 1000
    state = StreamState(load_knowledge_base())
    state.tail.extend([f"tail {n}" for n in range(5)])  # lines 995..999
    lines_of = block_lines(data, first_line, first_line + 19)
    for line in (900, 900, 901):  # far above the tail ring: no text
        growth.on_hit(state, lines_of, Hit(line, 2.0, [], False, None))
    growth.on_hit(state, lines_of, Hit(1002, 2.0, [], False, None))  # a new block, with text
    state.close_open()
    observed = [
        (c.start, c.lines, c.last_hit, c.last_text, [h.line for h in c.hits]) for c in state.candidates()
    ]
    assert observed == [(901, [], 901, "", [900, 900, 901]), (1002, ["line 2"], 1002, "line 2", [1002])]


@needs_compiled
def test_message_start_is_the_same_in_c_and_python() -> None:
    from worker.analysis import growth

    rng = random.Random(23)
    moved = 0
    for _ in range(3000):
        data, first_line, last_line = _block(rng)
        tail = deque(clean_line(rng.choice(BLOCK_LINES)) for _ in range(rng.randrange(0, 6)))
        line = rng.randrange(first_line - len(tail), last_line + 1)
        state = types.SimpleNamespace(
            tail=tail, last_end=rng.randrange(0, line + 1), step_start_line=rng.randrange(0, line + 1)
        )
        starts = [
            growth._message_start(state, block_lines(data, first_line, last_line), line)  # type: ignore[arg-type]
            for block_lines in (compiled.BlockLines, lines.BlockLines)
        ]
        moved += starts[0] < line
        assert starts[0] == starts[1], (data, line, state)
    assert moved > 300  # messages do start above their evidence
