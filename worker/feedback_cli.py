"""``jenkins-ai kb suggest``: confirmed analyses as candidate knowledge-base rules, for a person to accept."""

from __future__ import annotations

import click

from worker.feedback import candidate_from


@click.group("kb")
def kb() -> None:
    """The failure-cause knowledge base."""


@kb.command("suggest")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="How many candidates."
)
def suggest(limit: int) -> None:
    """List analyses people confirmed (on the analysis page or through the API) as candidate rules.

    Prints YAML in the form of the rule files (``causes:`` entries with id, category, description, fix and a
    pattern); review each, then paste the ones you accept into a folder named by KNOWLEDGE_BASE_DIRS.
    """
    from worker.settings import get_settings
    from worker.storage import Storage

    storage = Storage.from_settings(get_settings(), create_indexes=False)
    try:
        confirmed = storage.feedback.confirmed(limit)
    finally:
        storage.close()
    candidates = [c for c in (candidate_from(analysis, fb) for fb, analysis in confirmed) if c is not None]
    if not candidates:
        click.echo("# no confirmed analyses yet: mark analyses right or wrong on their pages first", err=True)
        return
    click.echo(f"# {len(candidates)} candidate rule(s) from confirmed analyses: review before accepting")
    click.echo("causes:")
    for candidate in candidates:
        click.echo(candidate.as_yaml(), nl=False)
