"""Failure analysis of a Jenkins build: stream the log, analyse, compare, store, publish."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from worker import metrics, task_names
from worker.analysis import analyze_stream, load_knowledge_base, redact_json, text_vector
from worker.analysis.flaky import DEFAULT_WINDOW, detect_flaky
from worker.analysis.models import Analysis
from worker.celery_app import app
from worker.jenkins import JenkinsAuthError, JenkinsClient, JenkinsNotFound, job_path
from worker.jenkins.description import description_block
from worker.links import page_url
from worker.logging import get_logger
from worker.models import JobName
from worker.tasks.base import LangchainJenkinsTask, is_transient, parse_payload, resolve_controller

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = get_logger(__name__)


class AnalyzeBuildPayload(BaseModel):
    jenkins_url: str = Field(min_length=1, max_length=2048)
    job: JobName
    build: int = Field(ge=1)
    attempt: int = Field(1, ge=1, le=10)


def build_urls(jenkins_url: str, job: str, build: int) -> dict[str, str]:
    """Where people find the build in Jenkins: the build, its job and its full console (whose lines the Line
    Numbers plugin anchors as ``#L<n>``; without it the fragment is ignored and the console opens at the top)."""
    job_url = f"{jenkins_url}/{job_path(job)}/"
    build_url = f"{job_url}{build}/"
    return {"build_url": build_url, "job_url": job_url, "console_url": f"{build_url}consoleFull"}


#: A long analysis says how far it got this often (``analysing`` events on the task's SSE stream).
PROGRESS_EVERY_SECONDS = 2.0


def progress_reporter(
    publish: Callable[..., object],
    *,
    every: float = PROGRESS_EVERY_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[int], None]:
    """The engine's ``progress`` callback: publishes ``analysing`` {bytes, mb_per_s} at most every ``every``
    seconds, so only analyses that take longer than that say anything."""
    started = last = clock()

    def report(done: int) -> None:
        nonlocal last
        now = clock()
        if now - last >= every:
            last = now
            publish("analysing", bytes=done, mb_per_s=round(done / (now - started) / 1e6, 1))

    return report


@app.task(name=task_names.ANALYZE_BUILD, base=LangchainJenkinsTask, bind=True)
def analyze_build(self: LangchainJenkinsTask, **payload: Any) -> dict[str, Any]:
    """Analyse a failed build and publish the result to MongoDB, Jenkins and Prometheus.

    Idempotent: a redelivered message re-analyses and overwrites the same records.
    """
    req = parse_payload(AnalyzeBuildPayload, payload)
    ctx = self.ctx
    # The controller the event named decides where the log comes from; its canonical URL is the key.
    controller = resolve_controller(ctx.settings, req.jenkins_url)
    key = controller.url
    jenkins = self.jenkins_for(key)  # the description is written once, however often this task runs
    storage = ctx.storage
    try:
        self.progress("fetching_log", job=req.job, build=req.build)
        green = jenkins.last_successful_build_number(req.job)
        previous = jenkins.stream_console(req.job, green) if green and green < req.build else None
        started = time.perf_counter()
        kb = load_knowledge_base(ctx.settings.knowledge_base_paths)  # compiled once per process
        # What the log holds now, not followed to the end: a failure event is sent from the build's own
        # post { failure { } } while the build is still running, and it waits for this analysis. A later
        # attempt of the same build (withJenkinsAgent(retryTransient:)) reads only what it added to the log.
        start_byte, first_line = _log_start(
            storage.analyses.get(req.job, req.build, jenkins_url=key), req.attempt
        )
        log_stream = jenkins.stream_console(req.job, req.build, start=start_byte, follow=False)
        analysis = analyze_stream(
            log_stream,
            previous=previous,
            knowledge_base=kb,
            progress=progress_reporter(
                lambda stage, **data: self.progress(stage, job=req.job, build=req.build, **data)
            ),
        )
        _shift_lines(analysis, first_line - 1)
        metrics.ANALYSIS_SECONDS.observe(time.perf_counter() - started)
        metrics.LOG_BYTES.inc(analysis.stats.bytes)
        self.progress("analysed", category=analysis.category, summary=analysis.summary)

        doc: dict[str, Any] = analysis.model_dump(mode="json")
        doc["attempt"] = req.attempt
        doc["log_range"] = {
            "start_byte": start_byte,
            "end_byte": log_stream.end_offset,
            "first_line": first_line,
            "last_line": first_line + max(analysis.stats.lines, 1) - 1,
        }
        stage = jenkins.failed_stage(req.job, req.build)
        # The step's arguments and error come from Jenkins as they were typed: a literal password in an
        # ``sh`` step would otherwise reach MongoDB, the build page and the LLM.
        doc["failed_stage"] = redact_json(stage.model_dump(mode="json")) if stage else None
        doc["compared_with_build"] = green if previous is not None else None
        vector = text_vector(analysis.signature_text())
        similar = storage.analyses.find_similar(
            analysis.fingerprint, vector, category=analysis.category, exclude=(key, req.job, req.build)
        )
        doc["similar"] = [s.model_dump(mode="json") for s in similar]
        if any(s.score >= 1.0 for s in similar):
            metrics.RECURRING_FAILURES.labels(category=analysis.category).inc()
        doc.update(
            _flakiness(
                storage.builds.history(req.job, DEFAULT_WINDOW, jenkins_url=key),
                req.build,
                analysis.fingerprint,
                analysis.category,
            )
        )
        doc["retryable"] = doc["retry_candidate"] is not None
        doc["retry_reason"] = doc["retry_candidate"]["reason"] if doc["retry_candidate"] else None
        doc["explanation"] = _explain(
            ctx.chat_model, doc, ctx.settings.llm_token_budget, ctx.settings.llm_explanation_sentences
        )
        doc.update(build_urls(key, req.job, req.build))
        doc["page_url"] = page_url(ctx.settings, key, req.job, req.build)
        fmt = ctx.settings.jenkins_description_format
        doc["description"] = {
            "format": fmt,
            "block": description_block(fmt, analysis.category, analysis.summary, doc["page_url"]),
        }
        storage.analyses.save(key, req.job, req.build, {**doc, "vector": vector})
        published = _publish_description(jenkins, req.job, req.build, doc["description"])
        # "done" last: whoever polls for it (the shared library) then finds the description set too.
        storage.builds.set_analysis_status(req.job, req.build, "done", jenkins_url=key)
        metrics.ANALYSES.labels(category=analysis.category).inc()
    except Exception as exc:
        if self.final_attempt or not is_transient(exc):
            # Readable on the build (GET /builds/...): what went wrong, after how many attempts. The next
            # event for this build analyses it again.
            storage.builds.set_analysis_status(
                req.job, req.build, "failed", jenkins_url=key, error=analysis_error(exc, self.request.retries)
            )
        raise
    log.info("build analysed", jenkins_url=key, job=req.job, build=req.build, category=analysis.category)
    return {
        "jenkins_url": key,
        "job": req.job,
        "build": req.build,
        "category": analysis.category,
        "summary": analysis.summary,
        "fingerprint": analysis.fingerprint,
        "similar": len(similar),
        "page_url": doc["page_url"],
        "description_set": published,
    }


def analysis_error(exc: BaseException, retries: int) -> str:
    """What the build record says when its analysis gave up: the error, redacted and bounded."""
    from worker.analysis import redact

    attempts = f" (after {retries + 1} attempts)" if retries else ""
    return redact(f"{type(exc).__name__}: {exc}{attempts}")[:500]


def _log_start(previous: dict[str, Any] | None, attempt: int) -> tuple[int, int]:
    """Where attempt ``attempt``'s part of the log starts (byte offset, line number): right after the part the
    previous attempt's analysis read; the whole log for a first attempt."""
    if attempt <= 1 or not previous or int(previous.get("attempt") or 1) >= attempt:
        return 0, 1
    read = previous.get("log_range") or {}
    return int(read.get("end_byte") or 0), int(read.get("last_line") or 0) + 1


def _shift_lines(analysis: Analysis, offset: int) -> None:
    """Line numbers of a part of the log made absolute (the console's numbers, which the page links to)."""
    if offset <= 0:
        return
    for block in analysis.excerpt:
        block.start_line += offset
        block.end_line += offset
        if block.new_lines is not None:
            block.new_lines = [n + offset for n in block.new_lines]
        if block.first_line is not None:
            block.first_line += offset
    for cause in analysis.causes:
        cause.line += offset


def _flakiness(history: list[dict[str, Any]], build: int, fingerprint: str, category: str) -> dict[str, Any]:
    """Whether this failure looks flaky (it came and went on recent builds) or is worth a plain retry
    (infrastructure, timeout), judged on the job's stored history with this analysis filled in."""
    for record in history:
        if record["build"] == build:
            record.update(fingerprint=fingerprint, category=category)
    report = detect_flaky(history)
    candidate = next((c for c in report.retry_candidates if c.build == build), None)
    flaky = next((f for f in report.flaky_fingerprints if f.fingerprint == fingerprint), None)
    return {
        "retry_candidate": candidate.model_dump(mode="json") if candidate else None,
        "flaky": flaky.model_dump(mode="json") if flaky else None,
    }


def _explain(
    llm: BaseChatModel | None, doc: dict[str, Any], token_budget: int, max_sentences: int
) -> dict[str, Any] | None:
    """The LLM's explanation of the evidence, when an LLM is configured (None without one, or if it failed)."""
    if llm is None:
        return None
    from worker.agents.explain import explain_failure

    # Tokens and latency are counted by the chat model's metrics callback (worker.agents.llm), by model.
    return explain_failure(llm, doc, token_budget=token_budget, max_sentences=max_sentences)


def _publish_description(jenkins: JenkinsClient, job: str, build: int, description: dict[str, Any]) -> bool:
    """Write the short result on the build page. A refusal (no permission, build deleted) is logged, not fatal:
    the analysis is stored and readable through the API either way. Transient errors propagate (retry)."""
    try:
        jenkins.set_build_description(job, build, description["block"], fmt=description["format"])
    except (JenkinsAuthError, JenkinsNotFound) as exc:
        log.warning("build description not set", job=job, build=build, error=str(exc))
        return False
    return True
