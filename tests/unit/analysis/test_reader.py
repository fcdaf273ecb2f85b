"""The streaming reader: any chunking gives the same result; line numbers count '\\n'; terminal noise is cleaned."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from worker.analysis import analyze_path, analyze_stream
from worker.analysis.reader import clean_line, iter_blocks, strip_ansi

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"


def _chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _result(data: bytes, size: int, **kwargs: object) -> dict[str, object]:
    return analyze_stream(_chunked(data, size), **kwargs).model_dump(exclude={"stats": {"seconds"}})  # type: ignore[arg-type]


def test_every_chunk_size_gives_the_same_analysis() -> None:
    data = (SAMPLES / "gradle-compile-error.log").read_bytes()
    expected = _result(data, len(data))
    for size in range(1, 200):
        assert _result(data, size) == expected, f"chunk size {size}"


def test_block_boundaries_inside_evidence_do_not_change_the_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small internal blocks put block boundaries inside error blocks, context and failed-step tails."""
    import worker.analysis.engine as engine

    data = (SAMPLES / "maven-test-failure.log").read_bytes()
    expected = _result(data, 4096)
    for block_size in (64, 97, 128, 301, 512, 1000):
        monkeypatch.setattr(engine, "BLOCK_SIZE", block_size)
        assert _result(data, 7) == expected, f"block size {block_size}"


def test_iter_blocks_ends_blocks_on_newlines_and_loses_nothing() -> None:
    data = b"".join(f"line {i}\n".encode() for i in range(5000)) + b"last line without newline"
    blocks = list(iter_blocks(_chunked(data, 333), block_size=1000))
    assert b"".join(blocks) == data
    assert all(block.endswith(b"\n") for block in blocks[:-1])


def test_crlf_ansi_and_progress_bars_are_cleaned_but_line_numbers_kept() -> None:
    log = (
        b"travis_fold:start:install\r\x1b[0K$ npm install\r\n"
        b"Downloading 10%\rDownloading 50%\rDownloading 100%\r\n"
        b"\x1b[31mnpm ERR! code E404\x1b[0m\r\n"
        b"\x1b[?1h\x1b=done\r\n"
    )
    analysis = analyze_stream([log])
    block = next(b for b in analysis.excerpt if b.start_line <= 3 <= b.end_line)
    lines = block.text.split("\n")
    assert lines[3 - block.start_line] == "npm ERR! code E404"
    assert "\x1b" not in analysis.model_dump_json()
    assert "\r" not in block.text
    assert clean_line(b"Downloading 10%\rDownloading 50%\rDownloading 100%\r") == "Downloading 100%"
    assert clean_line(b"travis_fold:end:install\r") == ""
    assert strip_ansi(b"\x1b[1;31mERROR\x1b[0m \x1b]0;title\x07x") == b"ERROR x"


def test_line_numbers_are_one_based_and_count_newlines() -> None:
    lines = [f"noise {i}" for i in range(1, 300)]
    lines[149] = "fatal: Authentication failed for 'https://git.acme.io/x.git/'"
    analysis = analyze_stream(["\n".join(lines).encode()])
    assert analysis.causes[0].line == 150
    block = analysis.excerpt[0]
    assert block.text.split("\n")[150 - block.start_line] == lines[149]
    assert analysis.stats.lines == 299


def test_gzip_and_plain_files_give_the_same_analysis(tmp_path: Path) -> None:
    data = (SAMPLES / "npm-dependency-error.log").read_bytes()
    plain = tmp_path / "build.log"
    packed = tmp_path / "build.log.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))
    a = analyze_path(plain).model_dump(exclude={"stats": {"seconds"}})
    b = analyze_path(packed).model_dump(exclude={"stats": {"seconds"}})
    assert a == b
    assert a["stats"]["bytes"] == len(data)


def test_a_giant_line_is_cut_without_breaking_line_numbers() -> None:
    data = b"x" * (3 << 20) + b"\nsecond\nnpm ERR! code E404\n"
    analysis = analyze_stream(_chunked(data, 1 << 16))
    assert analysis.causes[0].line == 3
    assert analysis.stats.lines == 3
