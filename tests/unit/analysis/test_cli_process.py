"""`jenkins-ai analyze` run as a real process: exit codes, one-line errors, closed pipes, terminals and pipes."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import threading
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "logs"
REPO = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "worker.cli", "analyze"]


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )


def test_a_missing_file_fails_with_one_line_on_stderr(tmp_path: Path) -> None:
    done = _run("--format", "jsonl", str(tmp_path / "nope.log"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"error: {tmp_path / 'nope.log'}: no such file"]


def test_bad_options_fail_with_one_line_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "x.yaml").write_text("causes: [\n")
    done = _run("--rules", str(bad), str(SAMPLES / "maven-test-failure.log"))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("error: --rules: ") and "not valid YAML" in done.stderr
    done = _run("--previous", str(tmp_path / "green.log"), str(SAMPLES / "maven-test-failure.log"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: --previous: file {str(tmp_path / 'green.log')!r} does not exist or is not a file"
    ]


def test_a_closed_pipe_ends_the_program_quietly() -> None:
    files = [str(SAMPLES / "gradle-compile-error.log")] * 300  # far more output than a pipe buffers
    process = subprocess.Popen([*CLI, *files], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(100)  # `| head -c 100`
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141  # as a program killed by SIGPIPE
    assert stderr == b""


def test_piped_text_is_never_wrapped_and_has_no_colour(tmp_path: Path) -> None:
    long = "x" * 300
    log = tmp_path / "build.log"
    log.write_text(f"$ make\nsrc/app.c:3:5: error: 'x' undeclared {long}\nmake: *** [all] Error 1\n")
    done = _run(str(log), env={**os.environ, "COLUMNS": "60"})
    assert done.returncode == 0, done.stderr
    assert f"2 │ src/app.c:3:5: error: 'x' undeclared {long}" in done.stdout.splitlines()
    assert "\x1b[" not in done.stdout


def _on_terminal(args: list[str], columns: int = 60) -> str:
    """The program's stdout as a terminal of ``columns`` columns shows it."""
    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm"}
    process = subprocess.Popen([*CLI, *args], cwd=REPO, stdout=secondary, stderr=subprocess.DEVNULL, env=env)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:  # the program closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def test_wrapped_lines_keep_the_line_number_gutter(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    words = " ".join(f"word{i}" for i in range(40))
    log.write_text(f"$ make\nsrc/app.c:3:5: error: 'x' undeclared {words}\nmake: *** [all] Error 1\n")
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", _on_terminal([str(log)]))
    rows = screen.replace("\r", "").split("\n")
    first = next(i for i, row in enumerate(rows) if row.startswith("2 │ src/app.c"))
    continued = rows[first + 1 : first + 4]
    assert all(re.match(r"^ +│ \S", row) for row in continued), rows[first : first + 5]
    assert "word39" in "".join(rows[first : first + 10])


def test_previous_marks_the_lines_new_since_the_green_build() -> None:
    done = _run(
        "--previous",
        str(SAMPLES / "maven-test-failure.previous.log"),
        str(SAMPLES / "maven-test-failure.log"),
    )
    assert done.returncode == 0, done.stderr
    marked = [row for row in done.stdout.splitlines() if " + │ " in row]
    assert any("expected: <107.00> but was: <100.00>" in row for row in marked)
    assert any(" │ " in row and " + │ " not in row for row in done.stdout.splitlines())


def _big_log(tmp_path: Path) -> Path:
    path = tmp_path / "big.log"
    sample = (SAMPLES / "maven-test-failure.log").read_bytes()
    with path.open("wb") as out:
        for _ in range((51 << 20) // len(sample) + 1):
            out.write(sample)
    return path


def _stderr_on_terminal(args: list[str]) -> tuple[str, str]:
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [*CLI, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=secondary, env={**os.environ, "TERM": "xterm"}
    )
    os.close(secondary)
    # The terminal is read while the process runs: a slow run redraws its bar more often, and a terminal nobody
    # reads blocks the writer once its buffer (a few KB) is full.
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: every writer closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(main)
    assert process.returncode == 0
    return out.decode(), b"".join(chunks).decode()


def test_a_big_file_shows_progress_on_a_terminal_but_never_in_the_json(tmp_path: Path) -> None:
    import json

    big = _big_log(tmp_path)
    out, err = _stderr_on_terminal(["--format", "json", str(big)])
    assert json.loads(out)["path"] == str(big)  # stdout: the document alone
    assert "MiB" in err and "/s" in err  # bytes and speed on stderr
    out, err = _stderr_on_terminal(["--format", "json", "--quiet", str(big)])
    assert err == ""
    done = _run("--format", "json", str(big))  # stderr not a terminal: no bar
    assert done.stderr == ""
