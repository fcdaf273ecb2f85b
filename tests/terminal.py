"""Drive an interactive program through a real pseudo-terminal (stdlib ``pty``), as a person at a terminal would.

``pty.fork`` makes the pty the child's controlling terminal, so Ctrl-C typed as ``\\x03`` goes through the
terminal's line discipline and arrives as SIGINT, exactly as from a keyboard. ``expect`` waits for a regex in
the output with ANSI escapes (rich's spinner, readline's redraws) removed; ``transcript`` keeps everything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r")


class Terminal:
    """A child process on a pty: ``expect``, ``send``, ``sendline``, ``ctrl_c``, ``wait``."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str], cwd: str) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: exec at once (no Python code of the parent's threads runs here)
            try:
                os.chdir(cwd)
                os.execve(argv[0], list(argv), env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        # A wide terminal: answers (Jenkinsfiles) are not wrapped, the spinner has room.
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.transcript = ""  # everything read, escapes removed
        self._unread = ""  # what expect has not consumed yet
        self.returncode: int | None = None

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal (exited)
            return False
        if not data:
            return False
        text = _ANSI.sub("", data.decode("utf-8", "replace"))
        self.transcript += text
        self._unread += text
        return True

    def expect(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """Wait until ``pattern`` appears in the output not consumed yet; consume up to its end."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self._unread)
            if match:
                self._unread = self._unread[match.end() :]
                return match
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and self._exited()):
                if (match := regex.search(self._unread)) is not None:
                    self._unread = self._unread[match.end() :]
                    return match
                raise AssertionError(
                    f"{pattern!r} did not appear within {timeout} s; not consumed yet: {self._unread[-300:]!r}; "
                    f"output so far:\n{self.transcript[-3000:]}"
                )

    def wait_until_reading(self, timeout: float = 30) -> None:
        """Wait until the child is blocked waiting for terminal input (``select``/``poll``/``read``).

        Readline in CPython notices a SIGINT only when it interrupts that wait; a Ctrl-C that lands while the
        previous keys are still being processed is seen at the next key. A person cannot type that fast, a
        test can: it waits for this before a Ctrl-C or an escape sequence."""
        waiting = {"0", "7", "23", "270", "271"}  # x86_64: read, poll, select, pselect6, ppoll
        deadline = time.monotonic() + timeout
        stable = 0
        while time.monotonic() < deadline:
            try:
                call = Path(f"/proc/{self.pid}/syscall").read_text().split()[0]
            except (OSError, IndexError):
                return  # no /proc (not Linux): nothing to wait on
            stable = stable + 1 if call in waiting else 0
            if stable >= 3:  # the same wait seen three times in a row: not a passing read
                return
            self._read(0.02)
        raise AssertionError(f"still busy after {timeout} s:\n{self.transcript[-3000:]}")

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def sendline(self, text: str) -> None:
        self.send(text + "\r")

    def ctrl_c(self) -> None:
        self.send("\x03")

    def ctrl_d(self) -> None:
        self.send("\x04")

    def _exited(self) -> bool:
        if self.returncode is not None:
            return True
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.returncode = os.waitstatus_to_exitcode(status)
        return True

    def wait(self, timeout: float = 30) -> int:
        """The exit code, reading (and keeping) the output until the child exits."""
        deadline = time.monotonic() + timeout
        while not self._exited():
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s:\n{self.transcript[-3000:]}")
            self._read(0.2)
        while self._read(0.05):
            pass
        assert self.returncode is not None
        return self.returncode

    def close(self) -> None:
        if not self._exited():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)
