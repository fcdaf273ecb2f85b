"""`jenkins-ai analyze`: formats, several files, stdin, .gz, and per-file errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from worker.analysis.cli import analyze

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"
KEYS = {"path", "category", "summary", "excerpt", "causes", "fingerprint", "stats"}


def test_jsonl_prints_one_object_per_file_in_argument_order() -> None:
    files = [str(SAMPLES / "npm-dependency-error.log"), str(SAMPLES / "maven-test-failure.log")]
    result = CliRunner().invoke(analyze, ["--format", "jsonl", *files])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["path"] for r in rows] == files
    assert all(set(r) == KEYS for r in rows)
    assert rows[0]["category"] == "dependency" and rows[1]["category"] == "test"
    block = rows[1]["excerpt"][0]
    assert set(block) == {"start_line", "end_line", "text", "score", "new_lines", "count", "first_line"}
    assert set(rows[1]["causes"][0]) == {"id", "category", "description", "fix", "line"}
    assert set(rows[1]["stats"]) == {"lines", "bytes", "seconds"}


def test_missing_file_is_reported_and_the_others_still_analysed(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.log")
    good = str(SAMPLES / "gradle-compile-error.log")
    result = CliRunner().invoke(analyze, ["--format", "jsonl", missing, good])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0] == {"path": missing, "error": "no such file"}
    assert rows[1]["category"] == "compilation"
    assert f"error: {missing}: no such file" in result.stderr


def test_corrupt_gzip_is_an_error_for_that_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = CliRunner().invoke(analyze, ["--format", "jsonl", str(bad)])
    assert result.exit_code == 1
    assert "bad.log.gz" in result.stderr


def test_stdin_and_gzip_files(tmp_path: Path) -> None:
    data = (SAMPLES / "npm-dependency-error.log").read_bytes()
    packed = tmp_path / "build.log.gz"
    packed.write_bytes(gzip.compress(data))
    result = CliRunner().invoke(analyze, ["--format", "jsonl", "-", str(packed)], input=data)
    assert result.exit_code == 0, result.output
    a, b = (json.loads(line) for line in result.output.splitlines())
    assert a["path"] == "-"
    assert {k: v for k, v in a.items() if k not in ("path", "stats")} == {
        k: v for k, v in b.items() if k not in ("path", "stats")
    }


def test_previous_green_log_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        analyze,
        [
            "--format",
            "json",
            "--previous",
            str(SAMPLES / "maven-test-failure.previous.log"),
            str(SAMPLES / "maven-test-failure.log"),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["category"] == "test"
    missing = CliRunner().invoke(
        analyze, ["--previous", str(tmp_path / "none.log"), str(SAMPLES / "maven-test-failure.log")]
    )
    assert missing.exit_code == 2
    assert "--previous" in missing.output


def test_text_format_shows_cause_fix_and_numbered_lines() -> None:
    result = CliRunner().invoke(analyze, [str(SAMPLES / "gradle-compile-error.log")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "compilation" in out
    assert "javac.compile-error" in out
    assert "fix" in out
    assert "18 │ /var/lib/jenkins/workspace/mobile-backend_nightly/core/src/main/java" in out


def test_json_format_with_several_files_is_a_list() -> None:
    files = [str(SAMPLES / "npm-dependency-error.log"), str(SAMPLES / "agent-oom-killed.log")]
    result = CliRunner().invoke(analyze, ["--format", "json", *files])
    assert result.exit_code == 0
    documents = json.loads(result.output)
    assert [d["path"] for d in documents] == files


def test_extra_rules_directory(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(
        "causes:\n  - id: team.flaky-vpn\n    category: infrastructure\n    description: VPN dropped.\n"
        "    fix: Retry.\n    patterns: ['VPN tunnel .* went down']\n"
    )
    log = tmp_path / "build.log"
    log.write_text("connecting\nVPN tunnel vpn-eu-1 went down\n")
    result = CliRunner().invoke(analyze, ["--format", "jsonl", "--rules", str(tmp_path), str(log)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["causes"][0]["id"] == "team.flaky-vpn"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.yaml").write_text("causes: [\n")
    result = CliRunner().invoke(analyze, ["--rules", str(bad), str(log)])
    assert result.exit_code == 2
    assert "not valid YAML" in result.output
