"""No credential from the secrets corpus leaves through any output: follow every shape from a failing build's
console (and its failed step, and its build parameters) through the real API, queue, worker, LLM and storage,
then look everywhere it could surface.

Places searched: every MongoDB document, the API's answers, the analysis pages (opened by the links written into
Jenkins), the requests the LLM stub received over its socket, the build descriptions written to Jenkins, the
results Celery keeps in Redis, every log line (API and worker), and the Prometheus metrics.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from tests.secrets_corpus import SHAPES, Shape
from worker.logging import configure_logging
from worker.settings import Settings

JOB = "team/deploy"


@pytest.fixture
def captured_logs(settings: Settings) -> Iterator[io.StringIO]:
    """Every log line of this process (API and in-process worker), rendered as it would be shipped."""
    configure_logging(settings)
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)


def _console(shape: Shape) -> str:
    return (
        "Started by user ci-bot\n[Pipeline] Start of Pipeline\n[Pipeline] stage\n[Pipeline] { (Deploy)\n"
        f"[Pipeline] sh\n{shape.lines}\nERROR: script returned exit code 1\nFinished: FAILURE\n"
    )


def _stages(shape: Shape) -> list[dict[str, Any]]:
    # wfapi names the failed ``sh`` step by its command line, the one ``set -x`` echoed with "+ ".
    commands = [line[2:] for line in shape.lines.splitlines() if line.startswith("+ ")]
    step = {
        "name": "Shell Script",
        "status": "FAILED",
        "parameter": commands[0] if commands else "./deploy.sh",
        "error": "script returned exit code 1",
    }
    return [{"name": "Deploy", "status": "FAILED", "steps": [step]}]


def _wait(check: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail("the analyses did not finish in time")


def test_no_secret_of_the_corpus_leaves_through_any_output(
    api_server: Any,
    jenkins_double: Any,
    storage: Any,
    llm_stub: Any,
    settings: Settings,
    captured_logs: io.StringIO,
) -> None:
    from worker.context import get_context

    # The explanation quotes the evidence back, as a model would: a redaction miss would show there too.
    llm_stub.script(*[lambda body: body["messages"][-1]["content"][:1500] for _ in SHAPES])
    context = get_context()
    context.settings = context.settings.model_copy(
        update={"openai_base_url": llm_stub.url, "openai_api_key": None, "llm_model": "stub-model"}
    )
    headers = {"Authorization": f"Bearer {api_server.token}"}
    jenkins_double.add_job(JOB, parameters={"DEPLOY_TOKEN": ""})
    parameter_secret = SHAPES[0].secrets[0]
    for number, shape in enumerate(SHAPES, start=1):
        jenkins_double.add_build(JOB, number, "FAILURE", console=_console(shape), stages=_stages(shape))
        event = {
            "jenkins_url": jenkins_double.url,
            "job": JOB,
            "build": number,
            "status": "FAILURE",
            "parameters": {"DEPLOY_TOKEN": parameter_secret, "REGION": "eu-west-1"},
        }
        response = requests.post(f"{api_server.url}/api/v1/events", json=event, headers=headers, timeout=10)
        assert response.status_code == 202, response.text

    def all_done() -> bool:
        docs = list(storage.db.builds.find({"job": JOB}, {"analysis_status": 1}))
        return len(docs) == len(SHAPES) and all(d.get("analysis_status") == "done" for d in docs)

    _wait(all_done)

    outputs: dict[str, str] = {}
    for name in storage.db.list_collection_names():
        outputs[f"mongodb:{name}"] = json.dumps(list(storage.db[name].find({}, {"_id": 0})), default=str)
    api = api_server.url + "/api/v1/jobs/" + JOB
    answers = [requests.get(f"{api}/builds?limit=100", headers=headers, timeout=10).text]
    for number in range(1, len(SHAPES) + 1):
        answers.append(requests.get(f"{api}/builds/{number}", headers=headers, timeout=10).text)
        answers.append(requests.get(f"{api}/builds/{number}/analysis", headers=headers, timeout=10).text)
    outputs["api"] = "\n".join(answers)
    outputs["llm"] = json.dumps(llm_stub.requests)
    outputs["jenkins-descriptions"] = "\n".join(
        jenkins_double.description(JOB, n) or "" for n in range(1, len(SHAPES) + 1)
    )
    # The analysis pages, opened with the signed links the worker wrote into the descriptions.
    pages = []
    for number in range(1, len(SHAPES) + 1):
        link = re.search(r"/analyses/([A-Za-z0-9._-]+)", jenkins_double.description(JOB, number) or "")
        assert link, f"build {number}: the description links no analysis page"
        page = requests.get(f"{api_server.url}/analyses/{link.group(1)}", timeout=10)
        assert page.status_code == 200, page.text
        pages.append(html.unescape(page.text))
    outputs["html-pages"] = "\n".join(pages)
    client = redis.Redis.from_url(settings.redis_url)
    outputs["redis"] = "\n".join(
        repr(client.get(key)) for key in client.keys("*") if client.type(key) == b"string"
    )
    client.close()
    outputs["metrics"] = requests.get(f"{api_server.url}/metrics", timeout=10).text
    outputs["logs"] = captured_logs.getvalue()

    # The test proves something only if every shape's lines were shown and the evidence reached the LLM.
    analyses = {d["build"]: d for d in storage.db.analyses.find({"job": JOB})}
    for number, shape in enumerate(SHAPES, start=1):
        shown = "\n".join(block["text"] for block in analyses[number]["excerpt"])
        assert shape.context in shown, f"{shape.id}: its lines were not in the excerpt"
        assert shape.context in pages[number - 1], f"{shape.id}: its lines were not on the analysis page"
    assert len(llm_stub.requests) == len(SHAPES)
    assert "DEPLOY_TOKEN" in outputs["mongodb:builds"] and "eu-west-1" in outputs["mongodb:builds"]
    assert "task_enqueued" in outputs["logs"]

    leaks = [
        f"{shape.id} in {where}"
        for shape in SHAPES
        for secret in shape.secrets
        for where, text in outputs.items()
        if secret in text
    ]
    assert leaks == []
