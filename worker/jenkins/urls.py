"""Pure helpers that turn job names into Jenkins URL paths and back (no I/O).

Jenkins addresses a job inside folders as ``job/<folder>/job/<name>``; we name jobs by their
slash-separated full
name (``team/api-service``), the same string Jenkins shows as ``fullName`` and ``env.JOB_NAME``.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit


def job_path(job: str) -> str:
    """``"team/api service"`` -> ``"job/team/job/api%20service"`` (no leading or trailing slash).

    Raises ``ValueError`` naming the rule when ``job`` is not a valid full name.
    """
    return "/".join(f"job/{quote(segment, safe='')}" for segment in split_job_name(job))


def build_path(job: str, build: int) -> str:
    """``("team/app", 7)`` -> ``"job/team/job/app/7"``."""
    return f"{job_path(job)}/{check_build_number(build)}"


def split_job_name(job: str) -> list[str]:
    """Split a full job name into its folder segments, rejecting names Jenkins cannot have."""
    if not isinstance(job, str) or not job.strip():
        raise ValueError("job: must be a non-empty full job name such as 'team/api-service'")
    if job.startswith("/") or job.endswith("/"):
        raise ValueError(f"job: {job!r} must not start or end with '/'")
    segments = job.split("/")
    for segment in segments:
        if not segment.strip():
            raise ValueError(f"job: {job!r} has an empty folder segment")
        if segment in {".", ".."}:
            raise ValueError(f"job: {job!r} must not contain '.' or '..' segments")
    return segments


def check_build_number(build: int) -> int:
    """Return ``build`` if it is a real build number (an int >= 1), else raise ``ValueError``."""
    if isinstance(build, bool) or not isinstance(build, int) or build < 1:
        raise ValueError(f"build: must be an integer >= 1, got {build!r}")
    return build


def job_name_from_url(url: str) -> str | None:
    """The full job name in a Jenkins job or build URL, or ``None`` when the URL is not a job URL.

    ``http://ci/job/team/job/app/`` and ``http://ci/job/team/job/app/12/`` both give ``"team/app"``; a Jenkins
    mounted under a context path (``http://host/jenkins/job/x/``) works too.
    """
    parts = [p for p in urlsplit(url).path.split("/") if p]
    names: list[str] = []
    i = 0
    while i < len(parts):
        if parts[i] == "job" and i + 1 < len(parts):
            names.append(unquote(parts[i + 1]))
            i += 2
        else:
            i += 1
    return "/".join(names) or None
