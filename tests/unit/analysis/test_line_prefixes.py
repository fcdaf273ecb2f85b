"""A constant per-line prefix that a runner puts before a tool's output (Timestamper timestamps in their three
forms, GitHub Actions' ISO stamps, Docker BuildKit's "#N seconds") changes nothing: wrapped logs give the same
blocks, causes and category as the bare ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.analysis import Analysis, analyze_stream
from worker.analysis.reader import strip_prefix

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"
LOGS = sorted(p for p in SAMPLES.glob("*.log") if not p.name.endswith(".previous.log"))

PREFIXES = {
    "timestamper-iso": "[2024-05-02T10:15:30.123Z] ",
    "timestamper-clock": "10:15:30  ",
    "timestamper-date": "2024-05-02 10:15:30  ",
    "github-actions": "2024-05-02T10:15:30.1234567Z ",
    "buildkit": "#12 3.456 ",
}


def _shape(analysis: Analysis) -> tuple[object, ...]:
    return (
        analysis.category,
        [(b.start_line, b.end_line) for b in analysis.excerpt],
        [(c.id, c.line) for c in analysis.causes],
    )


@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
@pytest.mark.parametrize("log", LOGS, ids=[p.name for p in LOGS])
def test_prefixed_log_gives_the_same_blocks(log: Path, prefix: str) -> None:
    # Some samples already carry timestamps: the bare log is the tools' own output.
    text = "".join(strip_prefix(line) + "\n" for line in log.read_text(encoding="utf-8").splitlines())
    wrapped = "".join(prefix + line for line in text.splitlines(keepends=True))
    bare = analyze_stream([text.encode()])
    assert bare.excerpt
    assert _shape(analyze_stream([wrapped.encode()])) == _shape(bare)
