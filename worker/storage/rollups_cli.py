"""``jenkins-ai metrics-rollup``: (re)build the rollups behind ``GET /api/v1/metrics/builds`` from stored builds.

The worker does it by itself at start when there are builds but no rollups (an upgrade); run it by hand with
``--rebuild`` after restoring a backup or when a crashed worker may have left a build out.
"""

from __future__ import annotations

import time

import click


@click.command("metrics-rollup")
@click.option("--rebuild", is_flag=True, help="Recompute even when rollups exist (pause ingest meanwhile).")
def metrics_rollup(rebuild: bool) -> None:
    """Backfill the build-statistics rollups from the builds collection."""
    from worker.settings import get_settings
    from worker.storage import Storage

    storage = Storage.from_settings(get_settings())
    started = time.monotonic()
    try:
        counted = storage.rollups.rebuild() if rebuild else storage.rollups.backfill_if_missing()
    finally:
        storage.close()
    if counted:
        click.echo(f"rollups rebuilt from {counted} completed builds in {time.monotonic() - started:.1f} s")
    else:
        click.echo(
            "nothing to do: the rollups exist (use --rebuild to recompute them) or no build has completed"
        )
