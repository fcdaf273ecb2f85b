"""Log analyzer: analyze a failed build, show the excerpt, find similar past failures and what fixed them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from worker.agents.build import JOB_FIELD
from worker.agents.parsing import parse_request
from worker.agents.tools import Prefetch, Specialist, ToolContext, ToolError, bound

if TYPE_CHECKING:
    from worker.analysis import Analysis

EXCERPT_LINES = 40  # lines of excerpt shown to the model / user: the evidence, not the log


class AnalyzeArgs(BaseModel):
    job: str = Field(description=JOB_FIELD)
    build: int | None = Field(
        None, ge=1, description="Build number (e.g. 42 for '#42'); omit for the job's last failed build."
    )


class SimilarArgs(BaseModel):
    job: str = Field(description=JOB_FIELD)
    build: int = Field(ge=1, description="Build number of the failure to compare with the past.")


def _excerpt(analysis: Analysis, max_lines: int = EXCERPT_LINES) -> str:
    lines: list[str] = []
    for block in analysis.excerpt:
        if len(lines) >= max_lines:
            break
        lines.append(f"--- lines {block.start_line}-{block.end_line}")
        lines.extend(block.text.split("\n")[: max_lines - len(lines)])
    return "\n".join(lines)


def make_tools(ctx: ToolContext) -> list[BaseTool]:
    cache: dict[tuple[str, int], tuple[Analysis, dict[str, Any]]] = {}

    def resolve_build(job: str, build: int | None) -> int:
        if build is not None:
            return build
        status = ctx.jenkins().job_status(job, limit=1)
        if status.last_failed_build is None:
            raise ToolError(f"{job} has no failed build to analyze.")
        return status.last_failed_build

    def analysis_of(job: str, build: int) -> tuple[Analysis, dict[str, Any]]:
        """The stored analysis if the worker already made one, else a fresh one streamed from Jenkins."""
        from worker.analysis import Analysis, analyze_stream

        if (job, build) in cache:
            return cache[(job, build)]
        stored = ctx.services.analyses.get(job, build) if ctx.services.analyses else None
        if stored is not None:
            result = (
                Analysis.model_validate(stored),
                {"failed_stage": stored.get("failed_stage"), "stored": True},
            )
        else:
            jenkins = ctx.jenkins()
            ctx.services.report("analyzing", job=job, build=build)
            green = jenkins.last_successful_build_number(job)
            previous = jenkins.stream_console(job, green) if green and green < build else None
            analysis = analyze_stream(jenkins.stream_console(job, build), previous=previous)
            stage = jenkins.failed_stage(job, build)
            result = (
                analysis,
                {
                    "failed_stage": stage.model_dump(mode="json") if stage else None,
                    "compared_with_build": green if previous is not None else None,
                    "stored": False,
                },
            )
        cache[(job, build)] = result
        return result

    def analyze_build(job: str, build: int | None = None) -> str:
        number = resolve_build(job, build)
        analysis, extra = analysis_of(job, number)
        ctx.artifacts["analysis"] = {"job": job, "build": number, **analysis.model_dump(mode="json"), **extra}
        lines = [f"{job} #{number}: {analysis.category} failure. {analysis.summary}"]
        stage = extra.get("failed_stage")
        if stage:
            lines.append(
                f"Failed stage: {stage.get('name')}" + (f" at {stage['step']}" if stage.get("step") else "")
            )
        for cause in analysis.causes[:3]:
            lines.append(f"Known cause (line {cause.line}): {cause.description} Fix: {cause.fix}")
        if extra.get("compared_with_build"):
            lines.append(
                f"(Lines also in the last green build #{extra['compared_with_build']} were discounted.)"
            )
        lines.append("Excerpt:\n" + _excerpt(analysis))
        return bound("\n".join(lines), 5000)

    def find_similar_failures(job: str, build: int) -> str:
        from worker.analysis import text_vector

        if ctx.services.analyses is None:
            raise ToolError("no analysis history is available (MongoDB is not configured for this worker).")
        analysis, _ = analysis_of(job, build)
        similar = ctx.services.analyses.find_similar(
            analysis.fingerprint,
            text_vector(analysis.signature_text()),
            category=analysis.category,
            exclude=(job, build),
            limit=5,
        )
        ctx.artifacts["similar"] = [s.model_dump(mode="json") for s in similar]
        if not similar:
            return f"No similar past failure is recorded for {job} #{build}."
        lines = [f"{len(similar)} similar past failure(s):"]
        for s in similar:
            same = "same failure" if s.score >= 1.0 else f"similarity {s.score:.2f}"
            lines.append(
                f"  {s.job} #{s.build} ({same}): {s.summary}"
                + (f" -> {s.fix}" if s.fix else " (no fix recorded)")
            )
        return bound("\n".join(lines))

    return [
        StructuredTool.from_function(
            analyze_build,
            name="analyze_build",
            args_schema=AnalyzeArgs,
            description="Analyze why a build failed: category, one-line summary, failed stage, known causes "
            "with fixes, and the relevant excerpt of the console log (with line numbers).",
        ),
        StructuredTool.from_function(
            find_similar_failures,
            name="find_similar_failures",
            args_schema=SimilarArgs,
            description="Past failures like this one (same fingerprint or similar text) and what fixed them.",
        ),
    ]


def offline(ctx: ToolContext, text: str) -> str:
    """Answer a log question without an LLM: the analysis, the excerpt, similar failures and their fixes."""
    req = parse_request(text, ctx.context)
    if not req.job:
        raise ToolError(
            "Tell me which build to look at, e.g. 'why did api-service #42 fail' or 'analyze the last failed "
            "build of api-service' (or pass job=... and build=... in the context)."
        )
    ok, report = ctx.call("analyze_build", job=req.job, build=req.build)
    if not ok:
        return report
    parts = [report]
    build = ctx.artifacts["analysis"]["build"]
    if ctx.services.analyses is not None:
        ok, similar = ctx.call("find_similar_failures", job=req.job, build=build)
        parts.append(similar)
    if re.search(r"\b(explain|mean|understand|plain words|why)\b", text, re.I):
        parts.append(
            "(No LLM is configured, so this is the engine's analysis rather than a written explanation; "
            "configure OPENAI_API_KEY / OPENAI_BASE_URL for one.)"
        )
    return "\n\n".join(parts)


def prefetch(ctx: ToolContext, text: str) -> Prefetch:
    """The analysis of the build the request names (its last failed build when it names only a job)."""
    try:
        req = parse_request(text, ctx.context)
    except ValueError:
        return []
    return [("analyze_build", {"job": req.job, "build": req.build})] if req.job else []


SPECIALIST = Specialist(
    name="log",
    description="why a build failed: analysis, excerpt, similar past failures and their fixes",
    system_prompt=(
        "You explain Jenkins build failures. Call analyze_build first, then find_similar_failures when the "
        "history could help. Ground every statement in the tool output: quote the relevant excerpt lines "
        "with their line numbers, name the failed stage and the known cause and its fix. If the evidence is "
        "inconclusive, say so. Be concise."
    ),
    make_tools=make_tools,
    offline=offline,
    prefetch=prefetch,
)
