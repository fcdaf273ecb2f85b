"""``jenkins-ai``: the command line. Each sub-command lives with its area; this group only gathers them."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="langchain-jenkins")
def cli() -> None:
    """An AI assistant beside Jenkins: analyse failed builds, manage builds, pipelines and plugins."""


def _register() -> None:
    from worker.agents.cli import ask
    from worker.analysis.cli import analyze
    from worker.feedback_cli import kb
    from worker.service_cli import serve, worker_command

    cli.add_command(analyze)
    cli.add_command(ask)
    cli.add_command(kb)
    cli.add_command(serve)
    cli.add_command(worker_command)
    try:
        from api.cli import token
    except ImportError:  # the API extra (Flask, PyJWT) is not installed in the worker image
        return
    cli.add_command(token)


_register()


def main() -> None:
    """Console-script entry point."""
    cli()
