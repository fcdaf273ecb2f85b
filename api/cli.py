"""``jenkins-ai token``: issue a JWT for an API client (the lead's ``worker.cli`` group adds this command)."""

from __future__ import annotations

import click

from api.auth import DEFAULT_CLI_SCOPES, SCOPES, issue_token
from worker.settings import get_settings


@click.command("token")
@click.argument("subject")
@click.option(
    "--ttl",
    "ttl_seconds",
    type=click.IntRange(min=1),
    default=None,
    help="Validity in seconds (default: JWT_TTL_SECONDS).",
)
@click.option(
    "--scope",
    "scopes",
    type=click.Choice(SCOPES),
    multiple=True,
    help="What the token may do; repeat for more. read: see results; analyze: send events, logs and agent "
    "tasks (and read): all the Jenkins steps need; operate: trigger, abort, rebuild builds, cancel queue items "
    "(and read); admin: install plugins, everything. Default: analyze.",
)
def token(subject: str, ttl_seconds: int | None, scopes: tuple[str, ...]) -> None:
    """Print a JWT for SUBJECT (who it is for, e.g. jenkins-prod; rate limits are per subject).

    The token is signed with JWT_SECRET; send it as 'Authorization: Bearer <token>'.
    """
    try:
        click.echo(issue_token(get_settings(), subject, ttl_seconds, scopes=scopes or DEFAULT_CLI_SCOPES))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
