"""Pipeline manager: generate a declarative Jenkinsfile, lint it, validate it with Jenkins, create the job."""

from __future__ import annotations

import re

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from worker.agents.llm import build_chat_model
from worker.agents.tools import Prefetch, Specialist, ToolContext, ToolError, bound
from worker.pipelines import (
    PROJECT_TYPES,
    REQUIREMENTS,
    Component,
    ProjectSpec,
    ProjectType,
    Requirement,
    generate_jenkinsfile,
    lint_jenkinsfile,
    parse_project_spec,
)
from worker.pipelines.adapt import adapt_jenkinsfile

JENKINSFILE_FIELD = (
    "The Jenkinsfile text. Omit it to use the Jenkinsfile generated earlier in this task or the one the user "
    "supplied in the task context."
)


class GenerateArgs(BaseModel):
    project_type: ProjectType | None = Field(
        None,
        description=f"Build tool / kind of project: one of {', '.join(PROJECT_TYPES)}. Omit it for a monorepo "
        "and give components instead.",
    )
    components: list[Component] = Field(
        default_factory=list,
        description="Monorepo only: each stack's directory and project type, one stage per component.",
    )
    requirements: list[Requirement] = Field(
        default_factory=lambda: list[Requirement](["tests"]),
        description=(
            "What the pipeline must do besides building: any of "
            f"{', '.join(REQUIREMENTS)} ('docker' = docker build and push, 'deploy' = deploy after a manual "
            "approval, 'parallel' = run the checks in parallel, 'notifications' = e-mail on failure/fix)."
        ),
    )
    name: str = Field("app", description="Project name, used for the image name (letters, digits, . _ -).")
    changes: str | None = Field(
        None,
        description="Only what the user asked for that project type and requirements cannot express (an "
        "agent label, a tool version, an extra step), in their words; the generated file is adapted to it "
        "and checked. Leave empty otherwise.",
    )


class JenkinsfileArgs(BaseModel):
    jenkinsfile: str | None = Field(None, description=JENKINSFILE_FIELD)


class CreateJobArgs(BaseModel):
    name: str = Field(description="Name of the new pipeline job; folders separated by '/'.")
    jenkinsfile: str | None = Field(None, description=JENKINSFILE_FIELD)


def _current(ctx: ToolContext, jenkinsfile: str | None) -> str:
    text = jenkinsfile or ctx.artifacts.get("jenkinsfile") or ctx.context.get("jenkinsfile")
    if not text or not str(text).strip():
        raise ToolError("there is no Jenkinsfile yet: generate one or pass it (context key 'jenkinsfile').")
    return str(text)


def make_tools(ctx: ToolContext) -> list[BaseTool]:
    def generate(
        project_type: ProjectType | None = None,
        requirements: list[Requirement] | None = None,
        name: str = "app",
        components: list[Component] | None = None,
        changes: str | None = None,
    ) -> str:
        spec = ProjectSpec(
            project_type=project_type,
            components=tuple(components or ()),
            requirements=frozenset(requirements or ["tests"]),
            name=name,
        )
        generated = generate_jenkinsfile(spec)
        jenkinsfile, notes = generated.jenkinsfile, list(generated.notes)
        llm = build_chat_model(ctx.services.settings) if changes and changes.strip() else None
        if llm is not None and changes:
            adapted = adapt_jenkinsfile(generated, changes, llm)  # returns only a checked file
            jenkinsfile, notes = adapted.jenkinsfile, notes + adapted.notes
            ctx.artifacts["jenkinsfile_source"] = adapted.source
        lint = lint_jenkinsfile(jenkinsfile)
        ctx.artifacts["jenkinsfile"] = jenkinsfile
        ctx.artifacts["project"] = spec.model_dump(mode="json")
        ctx.artifacts["lint"] = lint.as_dict()
        listed = "".join(f"\n- {note}" for note in notes)
        return (
            f"Generated a declarative Jenkinsfile for {spec.describe()} with "
            f"{', '.join(sorted(spec.requirements)) or 'no extra requirements'} "
            f"(local lint: {'ok' if lint.ok else 'problems found'}).{listed}\n\n{jenkinsfile}"
        )

    def lint(jenkinsfile: str | None = None) -> str:
        result = lint_jenkinsfile(_current(ctx, jenkinsfile))
        ctx.artifacts["lint"] = result.as_dict()
        if not result.issues:
            return "Local lint: no problems found."
        return bound("Local lint found:\n" + "\n".join(f"  {issue}" for issue in result.issues))

    def validate(jenkinsfile: str | None = None) -> str:
        result = ctx.jenkins().validate_jenkinsfile(_current(ctx, jenkinsfile))
        ctx.artifacts["validation"] = result.model_dump(mode="json")
        if result.valid:
            return "Jenkins validated the Jenkinsfile: it is a valid declarative pipeline."
        return bound("Jenkins rejected the Jenkinsfile:\n" + "\n".join(f"  {e}" for e in result.errors))

    def create_job(name: str, jenkinsfile: str | None = None) -> str:
        text = _current(ctx, jenkinsfile)
        problems = lint_jenkinsfile(text)
        if not problems.ok:
            raise ToolError(
                "the Jenkinsfile has lint errors; fix them before creating a job:\n"
                + "\n".join(str(i) for i in problems.issues)
            )
        # Planned with the Jenkinsfile text itself, so a confirmation creates exactly what was shown.
        args = {"name": name, "jenkinsfile": text}
        held = ctx.gate(
            "create_pipeline_job",
            args,
            f"create the pipeline job '{name}' from the Jenkinsfile shown",
            action="create_job",
            target=name,
        )
        if held is not None:
            return held
        action = ctx.jenkins().create_pipeline_job(name, text, confirm=True)
        ctx.record("create_job", name, done=not action.dry_run, detail=action.message, url=action.url)
        return ctx.did(
            "create_pipeline_job",
            name,
            f"Created the pipeline job '{name}'" + (f": {action.url}" if action.url else "."),
        )

    return [
        StructuredTool.from_function(
            generate,
            name="generate_jenkinsfile",
            args_schema=GenerateArgs,
            description="Generate a declarative Jenkinsfile for a project type and a list of requirements; "
            "it is linted locally and returned in full.",
        ),
        StructuredTool.from_function(
            lint,
            name="lint_jenkinsfile",
            args_schema=JenkinsfileArgs,
            description="Lint a declarative Jenkinsfile locally: structure, known steps, quoting of secrets.",
        ),
        StructuredTool.from_function(
            validate,
            name="validate_jenkinsfile",
            args_schema=JenkinsfileArgs,
            description="Ask Jenkins itself whether a Jenkinsfile is a valid declarative pipeline.",
        ),
        StructuredTool.from_function(
            create_job,
            name="create_pipeline_job",
            args_schema=CreateJobArgs,
            description="Create a pipeline job from a Jenkinsfile. Changes Jenkins: only done when the user "
            "confirmed in the task context; otherwise it explains what would be done.",
        ),
    ]


_CREATE = re.compile(r"\b(?:create|make|set up|add)\b.*\bjob\b|\bnew (?:pipeline )?job\b", re.I)
_JOB_NAME = re.compile(
    r"\b(?:called|named)\s+['\"`]?([A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9_])"
    r"|\bjob\s+(?!called\b|named\b)['\"`]?([A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9_])",
    re.I,
)
_NOT_NAMES = frozenset({"from", "with", "for", "called", "named", "using", "that", "a", "the"})


def offline(ctx: ToolContext, text: str) -> str:
    """Generate / lint / validate / create without an LLM."""
    supplied = ctx.context.get("jenkinsfile") or (text if re.search(r"\bpipeline\s*\{", text) else None)
    parts: list[str] = []
    if supplied:
        ctx.context["jenkinsfile"] = supplied
        parts.append(ctx.call("lint_jenkinsfile")[1])
    else:
        files = ctx.context.get("files")
        if files is not None and not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
            raise ToolError("context 'files' must be a JSON list of the repository's file paths")
        spec = parse_project_spec(text, name=ctx.context.get("name"), files=files)
        if spec is None:
            raise ToolError(
                "Without an LLM I generate Jenkinsfiles from a project type and requirements, e.g. "
                "'generate a pipeline for a Gradle project with tests and docker push'. Project types: "
                f"{', '.join(PROJECT_TYPES)}; requirements: {', '.join(REQUIREMENTS)}. I could not find a "
                "project type in your request; to lint or validate a Jenkinsfile, pass it as "
                "'jenkinsfile' in the context."
            )
        parts.append(
            ctx.call(
                "generate_jenkinsfile",
                project_type=spec.project_type,
                components=[c.model_dump() for c in spec.components],
                requirements=sorted(spec.requirements),
                name=spec.name,
            )[1]
        )
    if ctx.services.jenkins is not None:
        parts.append(ctx.call("validate_jenkinsfile")[1])
    if _CREATE.search(text):
        names = [a or b for a, b in _JOB_NAME.findall(text) if (a or b).lower() not in _NOT_NAMES]
        name = ctx.context.get("job") or (names[0] if names else None)
        if name is None:
            parts.append("To create the job, tell me its name ('create a job called api-ci ...' or job=...).")
        else:
            parts.append(ctx.call("create_pipeline_job", name=str(name))[1])
    return "\n\n".join(parts)


def prefetch(ctx: ToolContext, text: str) -> Prefetch:
    """The typed artifact, made deterministically: the template for the stack the request names (or the
    repository's files show), or the linted Jenkinsfile the user gave. The model only adapts and explains."""
    supplied = ctx.context.get("jenkinsfile") or (text if re.search(r"\bpipeline\s*\{", text) else None)
    if supplied:
        ctx.context["jenkinsfile"] = supplied
        return [("lint_jenkinsfile", {})]
    files = ctx.context.get("files")
    if files is not None and not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        return []  # the offline core explains the problem; the model may still ask
    try:
        spec = parse_project_spec(text, name=ctx.context.get("name"), files=files)
    except ValueError:
        return []
    if spec is None:
        return []
    return [
        (
            "generate_jenkinsfile",
            {
                "project_type": spec.project_type,
                "components": [c.model_dump() for c in spec.components],
                "requirements": sorted(spec.requirements),
                "name": spec.name,
            },
        )
    ]


_CODE = re.compile(r"```.*?(?:```|$)", re.S)
_BARE_PIPELINE = re.compile(r"^\s*pipeline\s*\{.*", re.S | re.M)
_PLACE = "\x00jenkinsfile\x00"


def finish(ctx: ToolContext, answer: str) -> str:
    """The model's words with the checked Jenkinsfile of this task in them, never a Jenkinsfile of its own.

    Code the model wrote (a fenced block, a bare ``pipeline {``) is unchecked: the artifact — the template, or
    an adaptation that passed the linter and Groovy — takes the place of the first such block (after the
    words when there is none), and the others are dropped. Without usable words, the answer says what was
    generated.
    """
    from worker.agents.textcalls import looks_like_tool_call

    jenkinsfile = ctx.artifacts.get("jenkinsfile")
    if not jenkinsfile:
        return answer
    block = f"```groovy\n{str(jenkinsfile).rstrip()}\n```"
    text = _BARE_PIPELINE.sub(_PLACE, _CODE.sub(_PLACE, answer))
    before, placed, after = text.partition(_PLACE)
    before, after = before.strip(), after.replace(_PLACE, "").strip()
    prose = f"{before}\n{after}".strip()
    if not prose or looks_like_tool_call(prose, ctx.tools) or not re.search(r"[A-Za-z]{3}", prose):
        project = ctx.artifacts.get("project") or {}
        try:
            described = ProjectSpec.model_validate(project).describe()
        except ValueError:
            described = "this project"
        return f"Here is a declarative Jenkinsfile for {described}; it passes the linter.\n\n{block}"
    parts = [before, block, after] if placed else [prose, block]
    return re.sub(r"\n{3,}", "\n\n", "\n\n".join(p for p in parts if p))


SPECIALIST = Specialist(
    name="pipeline",
    description="generate, lint and validate declarative Jenkinsfiles; create pipeline jobs",
    system_prompt=(
        "You write Jenkins declarative pipelines. Use generate_jenkinsfile for new pipelines (pick the "
        "project type and requirements from the request), lint_jenkinsfile for files the user gives you, and "
        "validate_jenkinsfile to have Jenkins check the result when it is reachable. Create jobs only when "
        "asked; creating needs the user's confirmation. Secrets belong in withCredentials and single-quoted "
        "sh steps. The user sees the Jenkinsfile the tools produced right after your words, so never write "
        "one yourself: say in two or three sentences what the pipeline does (its stages and tools). If the "
        "user asked for something it lacks, call generate_jenkinsfile again with changes=... in their words."
    ),
    make_tools=make_tools,
    offline=offline,
    prefetch=prefetch,
    finish=finish,
)
