"""``alpaca-dash db grant-readonly ROLE``: a database role for Grafana that reads the SQL views and nothing else."""

from __future__ import annotations

import click
from click.exceptions import Exit

from alpaca_dash.cli_common import echo, fails_cleanly, load_settings, print_error
from alpaca_dash.db_commands import db_app


@db_app.command("grant-readonly")
@click.argument("role", help="The PostgreSQL role Grafana (or psql users) log in as.")
@click.option("--create", is_flag=True, help="Create the role (LOGIN, asking for its password) if it does not exist.")
@fails_cleanly
def grant_readonly_command(role: str, create: bool) -> None:
    """Let ROLE read the SQL views (docs/sql-views.md) of this installation's schema, and no table behind them."""
    import psycopg

    from alpaca_dash.timescale.database import Database
    from alpaca_dash.timescale.sql_views import VIEWS, GrantError, grant_readonly

    settings = load_settings()
    db = Database.from_settings(settings)
    try:
        db.check_schema()
        password = None
        if create:
            password = click.prompt(f"Password for {role}", hide_input=True, confirmation_prompt=True)
        with db.connect_raw() as raw:
            try:
                created = grant_readonly(raw, role, password=password)
            except (GrantError, psycopg.Error) as exc:
                print_error(exc)
                raise Exit(1) from None
    finally:
        db.dispose()
    echo(f"{'created role' if created else 'role'} {role} may read {', '.join(VIEWS)}")
