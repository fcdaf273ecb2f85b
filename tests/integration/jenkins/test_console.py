"""Console logs stream through ``logText/progressiveText`` in bounded chunks, following running builds."""

from __future__ import annotations

import threading
import time
import tracemalloc

import pytest

from tests.jenkins_double import JenkinsDouble
from tests.logs import DISK_FULL, pipeline_log
from worker.jenkins import JenkinsClient, JenkinsTimeout

CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def big_log() -> bytes:
    """~5 MB of a Pipeline console log (a generated 330 KB one, 16 times)."""
    return pipeline_log(DISK_FULL, noise_lines=3100).encode() * 16


def _progressive_starts(double: JenkinsDouble, path: str) -> list[int]:
    return [int(r["query"]["start"]) for r in double.request_log if r["path"] == path]


def test_a_multi_mb_log_streams_in_bounded_chunks_with_one_request(
    client: JenkinsClient, jenkins_double: JenkinsDouble, big_log: bytes
) -> None:
    jenkins_double.add_build("team/app", 5, "FAILURE", big_log)
    sizes = 0
    count = 0
    largest = 0
    digest = bytearray()
    tracemalloc.start()
    try:
        for chunk in client.stream_console("team/app", 5, chunk_size=CHUNK):
            count += 1
            sizes += len(chunk)
            largest = max(largest, len(chunk))
            if count % 20 == 0:
                digest += chunk[:16]  # keep a sample, never the whole log
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sizes == len(big_log) > 5_000_000
    assert largest <= CHUNK
    assert count >= len(big_log) // CHUNK
    # Memory stays bounded by the chunk size, not the log size (the double sends a view, not a copy).
    assert peak < 1_000_000, peak
    assert _progressive_starts(jenkins_double, "/job/team/job/app/5/logText/progressiveText") == [0]


def test_streaming_reassembles_the_exact_bytes(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    log = b"".join(f"line {i} \xc3\xa9\r\n".encode("latin-1") for i in range(5000))
    jenkins_double.add_build("app", 1, "FAILURE", log)
    assert b"".join(client.stream_console("app", 1, chunk_size=1000)) == log


def test_start_offset_returns_only_the_rest(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 1, "FAILURE", b"0123456789abcdef")
    assert b"".join(client.stream_console("app", 1, start=10)) == b"abcdef"
    assert _progressive_starts(jenkins_double, "/job/app/1/logText/progressiveText") == [10]


def test_a_running_build_is_followed_until_it_finishes(
    client: JenkinsClient, jenkins_double: JenkinsDouble
) -> None:
    jenkins_double.add_build("app", 2, None, b"Started\n", building=True)

    def write_log() -> None:
        for i in range(5):
            time.sleep(0.03)
            jenkins_double.append_console("app", 2, f"step {i}\n")
        jenkins_double.finish_build("app", 2, "FAILURE")

    writer = threading.Thread(target=write_log)
    writer.start()
    text = b"".join(client.stream_console("app", 2, poll_interval=0.01, max_wait=10))
    writer.join()
    expected = b"Started\n" + b"".join(f"step {i}\n".encode() for i in range(5)) + b"Finished: FAILURE\n"
    assert text == expected
    starts = _progressive_starts(jenkins_double, "/job/app/2/logText/progressiveText")
    assert len(starts) >= 2 and starts == sorted(starts) and starts[0] == 0
    assert starts[-1] < len(expected)  # each request asked only for text it had not seen


def test_follow_false_returns_what_exists_now(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 3, None, b"partial\n", building=True)
    assert b"".join(client.stream_console("app", 3, follow=False)) == b"partial\n"


def test_a_build_that_never_ends_times_out(client: JenkinsClient, jenkins_double: JenkinsDouble) -> None:
    jenkins_double.add_build("app", 4, None, b"forever\n", building=True)
    with pytest.raises(JenkinsTimeout, match="still writing"):
        for _ in client.stream_console("app", 4, poll_interval=0.02, max_wait=0.1):
            pass


def test_bad_stream_arguments_are_rejected(client: JenkinsClient) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        next(client.stream_console("app", 1, chunk_size=0))
    with pytest.raises(ValueError, match="start"):
        next(client.stream_console("app", 1, start=-1))
