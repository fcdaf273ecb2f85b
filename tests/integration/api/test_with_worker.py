"""The API before a real Celery worker: a task sent by name runs, its record is updated, its result streamed.

Uses the shared fixtures of ``tests/services.py``: the API served over HTTP (``api_server``), a real worker
(``celery_worker``) and the Jenkins test double.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.integration.api.test_stream import parse_sse


def test_plugin_inventory_runs_on_the_worker_and_streams_its_result(
    api_server: Any, jenkins_double: Any
) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_server.token}"

    queued = session.get(f"{api_server.url}/api/v1/plugins", timeout=10)
    assert queued.status_code == 202, queued.text
    status_url = f"{api_server.url}{queued.json()['status_url']}"

    # The stream either relays the worker's result event or, if the worker already finished, sends the record.
    with session.get(f"{status_url}/stream", stream=True, timeout=60) as stream:
        assert stream.status_code == 200
        results = [
            data for event, data in parse_sse(stream.iter_lines(decode_unicode=True)) if event == "result"
        ]
    assert len(results) == 1
    assert results[0]["status"] == "succeeded", results[0]
    assert results[0]["result"]["plugins"], "the double's recorded pluginManager lists plugins"

    deadline = time.monotonic() + 30
    task = session.get(status_url, timeout=10).json()
    while task["status"] != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.1)
        task = session.get(status_url, timeout=10).json()
    assert task["kind"] == "plugins.inventory"
    assert task["result"]["plugins"] == results[0]["result"]["plugins"]
    # The worker read the plugin manager of the Jenkins double (jenkinsapi reads its api/python form).
    paths = {(m, p.split("?")[0]) for m, p in jenkins_double.requests}
    assert paths & {("GET", "/pluginManager/api/json"), ("GET", "/pluginManager/api/python")}
