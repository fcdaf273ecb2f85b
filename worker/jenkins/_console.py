"""Console logs, streamed through ``logText/progressiveText`` in bounded chunks (never the whole log)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import requests

from worker.jenkins._core import ClientCore
from worker.jenkins.errors import JenkinsTimeout, JenkinsUnavailable
from worker.jenkins.urls import build_path


class ConsoleStream(Iterator[bytes]):
    """A console log being read in chunks. ``end_offset`` is Jenkins' own offset (``X-Text-Size``) after the
    last answer: where a later read of the same log continues (it counts the log file's bytes, which are not
    the bytes of text received when Jenkins strips console notes)."""

    def __init__(self, start: int) -> None:
        self.end_offset = start
        self._chunks: Iterator[bytes] = iter(())

    def __iter__(self) -> ConsoleStream:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)


class ConsoleMixin(ClientCore):
    """A build's console log."""

    def stream_console(
        self,
        job: str,
        build: int,
        *,
        start: int = 0,
        chunk_size: int | None = None,
        follow: bool = True,
        poll_interval: float | None = None,
        max_wait: float | None = None,
    ) -> ConsoleStream:
        """Yield a build's console log in chunks of at most ``chunk_size`` bytes, never holding the whole log.

        Uses ``logText/progressiveText?start=<offset>``: Jenkins returns the text from ``offset``, the next
        offset in ``X-Text-Size`` and ``X-More-Data: true`` while the build still writes. With ``follow``
        (default) a running build is followed until it ends (polling every ``poll_interval`` seconds, up to
        ``max_wait`` seconds in total); otherwise only what exists now is returned.
        """
        # Validate now, not at the first next(): bad arguments should fail where they are passed.
        size = self.chunk_size if chunk_size is None else chunk_size
        if size < 1:
            raise ValueError(f"chunk_size: must be >= 1 byte, got {size!r}")
        if start < 0:
            raise ValueError(f"start: must be >= 0, got {start!r}")
        interval = self.poll_interval if poll_interval is None else poll_interval
        if interval <= 0:
            raise ValueError(f"poll_interval: must be > 0 seconds, got {interval!r}")
        path = f"{build_path(job, build)}/logText/progressiveText"
        stream = ConsoleStream(start)
        stream._chunks = self._progressive(path, job, build, start, size, follow, interval, max_wait, stream)
        return stream

    def _progressive(
        self,
        path: str,
        job: str,
        build: int,
        start: int,
        size: int,
        follow: bool,
        interval: float,
        max_wait: float | None,
        stream: ConsoleStream,
    ) -> Iterator[bytes]:
        deadline = None if max_wait is None else time.monotonic() + max_wait
        offset = start
        while True:
            response = self.http.request("GET", path, params={"start": offset}, stream=True)
            try:
                try:
                    for chunk in response.iter_content(chunk_size=size):
                        # iter_content can hand back more than asked for once decoded; keep the promise.
                        for i in range(0, len(chunk), size):
                            yield chunk[i : i + size]
                except requests.exceptions.RequestException as exc:
                    # The stream broke mid-way (connection dropped, read timed out): transient, like a
                    # request that failed; the task reads the log again from its start.
                    raise JenkinsUnavailable(
                        f"the console stream of {job} #{build} broke after offset {offset}: {exc}",
                        url=self.http.url(path),
                    ) from exc
                more = response.headers.get("X-More-Data", "").lower() == "true"
                next_offset = int(response.headers.get("X-Text-Size", offset))
                stream.end_offset = next_offset
            finally:
                response.close()
            if not (more and follow):
                return
            if deadline is not None and time.monotonic() + interval > deadline:
                raise JenkinsTimeout(
                    f"build {job} #{build} was still writing its log after {max_wait}s",
                    url=self.http.url(path),
                )
            # Jenkins returns everything written since ``offset`` on each call, so waiting loses nothing and
            # keeps a chatty build from turning into a tight request loop against the controller.
            time.sleep(interval)
            offset = next_offset
