"""``alpaca-dash db``: create or upgrade the schema, and stop the embedded server."""

from __future__ import annotations

import click

from alpaca_dash.cli_common import OneLineErrors, echo, fails_cleanly, load_settings, open_access


@click.group("db", cls=OneLineErrors, no_args_is_help=True)
def db_app() -> None:
    """Create or upgrade the database schema; stop the embedded server."""


@db_app.command("init")
@fails_cleanly
def db_init() -> None:
    """Create the schema (and the TimescaleDB extension where available)."""
    _migrate()


@db_app.command("migrate")
@fails_cleanly
def db_migrate() -> None:
    """Apply pending schema migrations."""
    _migrate()


def _migrate() -> None:
    from alpaca_dash.timescale.database import Database
    from alpaca_dash.timescale.migrations import newest_version

    settings = load_settings()
    db = Database.from_settings(settings)
    try:
        applied = db.migrate(timescale=settings.timescale)
        echo(f"applied migrations {applied or 'none'}; schema at version {newest_version()}")
        echo(db.capabilities.describe())
    finally:
        db.dispose()


@db_app.command("stop")
@fails_cleanly
def db_stop() -> None:
    """Stop the embedded PostgreSQL of the data folder (it keeps running after other commands, for the next one)."""
    from alpaca_dash.timescale.embedded import embedded_folder, stop_embedded

    settings = load_settings()
    folder = embedded_folder(settings.data_dir)
    if settings.database_url:
        echo(f"ALPACA_DASH_DATABASE_URL is set, so no embedded server is used; looking at {folder} all the same")
    echo(
        f"stopped the embedded PostgreSQL in {folder}"
        if stop_embedded(settings.data_dir)
        else f"no embedded PostgreSQL is running in {folder}"
    )


@db_app.command("prune")
@click.option("--before", type=click.IntRange(min=1), required=True, help="Delete every run numbered below this one.")
@click.option("--yes", is_flag=True, help="Do it: without it, only say how many runs would go.")
@fails_cleanly
def db_prune(before: int, yes: bool) -> None:
    """Retention: delete the runs below a run number, with their values, errors and sidecar files."""
    from alpaca_dash.queries.runs import count_runs_below
    from alpaca_dash.timescale.retention import prune_runs

    access = open_access(load_settings())
    if not yes:
        count = count_runs_below(access, before)
        echo(f"{count} runs below {before} would be deleted; run again with --yes to delete them")
        return
    result = prune_runs(access.db, before)
    access.store.remove(result.files)
    echo(f"deleted {result.runs} runs below {before} and {len(result.files)} sidecar files")
