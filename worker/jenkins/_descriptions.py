"""Build descriptions: our marked block written next to whatever people put there (see ``description``)."""

from __future__ import annotations

from typing import Any

from worker.jenkins._core import ClientCore
from worker.jenkins._idempotency import run_once
from worker.jenkins.description import DescriptionFormat, merge_any
from worker.jenkins.models import TREES
from worker.jenkins.urls import build_path, check_build_number

_FETCH: Any = object()  # sentinel: "read the current description from Jenkins first"


class DescriptionsMixin(ClientCore):
    """The build description."""

    def set_build_description(
        self,
        job: str,
        build: int,
        text: str,
        *,
        current_description: str | None = _FETCH,
        fmt: DescriptionFormat = "html",
    ) -> bool:
        """Put ``text`` into our block of the build description (written for the markup formatter ``fmt``,
        see :mod:`worker.jenkins.description`), keeping everything else.

        Pass ``current_description`` (e.g. ``BuildInfo.description`` from a ``get_build`` moments ago) to
        save the GET; by default the current description is read right before writing, which keeps the
        window in which a concurrent edit could be lost to milliseconds. Returns whether Jenkins was written
        to (``False``: the description already said exactly this). Once per task inside an idempotency scope:
        a rerun of an analysis whose first run already wrote the block does not write it again.
        """
        check_build_number(build)
        return run_once(
            self._scope, "describe", f"{job}#{build}",
            lambda: self._describe(job, build, text, current_description, fmt),
            dump=bool, load=bool,
        )  # fmt: skip

    def _describe(
        self, job: str, build: int, text: str, current_description: str | None, fmt: DescriptionFormat
    ) -> bool:
        if current_description is _FETCH:
            data = self.http.get_json(build_path(job, build), TREES["build_description"])
            current_description = data.get("description")
        merged = merge_any(current_description, text, fmt)
        if merged == (current_description or ""):
            return False  # nothing to change: spare Jenkins a write
        self.http.post(f"{build_path(job, build)}/submitDescription", data={"description": merged})
        return True
