"""``jenkins-ai``: the command line. Each sub-command lives with its area; this group only gathers them.

Sub-commands are imported when they are run, not when the program starts: ``jenkins-ai analyze`` is run once
per log by scripts and must start in a fraction of a second, and ``ask`` alone pulls in LangChain (~1.5 s of
imports). A new command is one line in :data:`COMMANDS`.
"""

from __future__ import annotations

import gc
import importlib
from types import ModuleType

import click

#: name -> (module, attribute) of each sub-command; a module that cannot be imported (an extra that is not
#: installed, such as the API's ``token`` without Flask and PyJWT) leaves its command out.
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("worker.analysis.cli", "analyze"),
    "ask": ("worker.agents.cli", "ask"),
    "chat": ("worker.agents.chat", "chat"),
    "kb": ("worker.feedback_cli", "kb"),
    "token": ("api.cli", "token"),
    "serve": ("worker.service_cli", "serve"),
    "worker": ("worker.service_cli", "worker_command"),
    "metrics-rollup": ("worker.storage.rollups_cli", "metrics_rollup"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy-loading pattern)."""

    #: Set by :func:`main`, a process of its own: the objects a command's import creates (modules, classes,
    #: compiled patterns) live until the process ends, so the cyclic collector need not walk them again and
    #: again, nor once more at exit: they are imported with it off, then frozen (``gc.freeze``, as the Python
    #: documentation advises before forking workers). ~5% of the instructions of `jenkins-ai analyze` on an
    #: empty file. Not for a caller that runs commands in its own process (click's CliRunner in the tests):
    #: whatever garbage it holds at that moment would be frozen with them.
    freeze_imports = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMANDS:
            return command
        module_name, attribute = COMMANDS[cmd_name]
        try:
            module = _import(module_name) if self.freeze_imports else importlib.import_module(module_name)
        except ImportError as exc:
            if exc.name is not None and module_name.startswith(exc.name.split(".")[0]):
                raise  # our own module is broken: say so, do not hide the command
            return None  # an optional dependency of that command is not installed
        loaded = getattr(module, attribute)
        if not isinstance(loaded, click.Command):
            raise TypeError(f"{module_name}.{attribute} is not a click command")
        return loaded


def _import(module_name: str) -> ModuleType:
    """``module_name`` imported with the cyclic collector off, then everything alive frozen (see LazyGroup)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        module = importlib.import_module(module_name)
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    return module


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="langchain-jenkins")
def cli() -> None:
    """An AI assistant beside Jenkins: analyse failed builds, manage builds, pipelines and plugins."""


def main() -> None:
    """Console-script entry point."""
    LazyGroup.freeze_imports = True
    cli()


if __name__ == "__main__":  # `python -m worker.cli`, as the console script runs it
    main()
