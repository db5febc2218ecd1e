"""The SQL views by observable name for Grafana and psql (docs/sql-views.md), and a read-only role on them.

A view runs with its owner's rights, so a role granted SELECT on the views reads the values through them and nothing
else: not the tables, not the users and their password hashes, not the API tokens.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy import Connection, text

from alpaca_dash.domain import SUPPORTED_DTYPES

#: the views a read-only role may read, in the order they are created
VIEWS = ("scalar_values", "array_statistics", "observable_tree", "run_list")

#: the time a run is drawn at: its start, else its end, else when it was ingested (a run of a source without times
#: would otherwise drop out of every time-series panel); ``run_time_source`` says which one it is
RUN_TIME = "coalesce(r.start_time, r.end_time, r.ingested_at)"
RUN_TIME_SOURCE = (
    "CASE WHEN r.start_time IS NOT NULL THEN 'start' WHEN r.end_time IS NOT NULL THEN 'end' "
    "WHEN r.ingested_at IS NOT NULL THEN 'ingest' END"
)
#: a run is good when its user flag says so and its values were stored (a failed run never is)
GOOD = "(r.good AND r.status = 'ingested') AS good"
#: the kind of one run's array: the registry's, unless the observable's kind changed between runs
ARRAY_KIND = (
    "CASE WHEN cardinality(o.kinds) < 2 THEN o.kind WHEN EXISTS (SELECT 1 FROM arrays2d d "
    "WHERE d.observable_id = a.observable_id AND d.run = a.run) THEN 'array2d' ELSE 'array1d' END AS kind"
)
#: scalars keep their dtype as a small code (the index in SUPPORTED_DTYPES); the view spells it
_DTYPE_NAMES = "ARRAY[" + ", ".join(f"'{name}'" for name in SUPPORTED_DTYPES) + "]::text[]"


def create_views(conn: Connection) -> None:
    """Create or replace the views; columns are only ever appended, so existing Grafana queries keep working."""
    conn.execute(
        text(
            "CREATE OR REPLACE VIEW scalar_values AS "
            f"SELECT s.run, o.name AS observable, s.value, r.start_time, r.end_time, {GOOD}, "
            f"({_DTYPE_NAMES})[s.dtype + 1] AS dtype, r.ingested_at, {RUN_TIME} AS run_time, "
            f"{RUN_TIME_SOURCE} AS run_time_source "
            "FROM scalars s JOIN observables o ON o.id = s.observable_id JOIN runs r ON r.run = s.run"
        )
    )
    conn.execute(
        text(
            "CREATE OR REPLACE VIEW array_statistics AS "
            f"SELECT a.run, o.name AS observable, {ARRAY_KIND}, a.min, a.max, a.mean, a.std, a.sum, a.count, "
            f"a.nan_count, r.start_time, r.end_time, {GOOD}, o.dtype, r.ingested_at, {RUN_TIME} AS run_time, "
            f"{RUN_TIME_SOURCE} AS run_time_source "
            "FROM array_stats a JOIN observables o ON o.id = a.observable_id JOIN runs r ON r.run = a.run"
        )
    )
    conn.execute(
        text(
            "CREATE OR REPLACE VIEW observable_tree AS "
            "SELECT name, array_to_string(path, ' / ') AS hierarchy, kind, dtype, shape, unit, first_run, "
            "coalesce(last_run, (SELECT max(run) FROM runs WHERE status = 'ingested'), first_run) AS last_run, "
            "kinds FROM observables"
        )
    )
    conn.execute(
        text(
            "CREATE OR REPLACE VIEW run_list AS "
            f"SELECT r.run, r.start_time, r.end_time, r.ingested_at, {RUN_TIME} AS run_time, "
            f"{RUN_TIME_SOURCE} AS run_time_source, r.status, {GOOD}, r.tags, r.comment, r.observable_count, "
            "r.error_count FROM runs r"
        )
    )


def index_run_times(conn: Connection) -> None:
    """Time filters (Grafana's ``$__timeFilter``) on the start time, or on the fallback time, use an index."""
    conn.execute(text("CREATE INDEX IF NOT EXISTS runs_start_time ON runs (start_time)"))
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS runs_run_time ON runs (({RUN_TIME.replace('r.', '')}))"))


class GrantError(ValueError):
    """The role cannot be granted read access: it does not exist (and was not to be created)."""


def grant_readonly(raw: psycopg.Connection[tuple[object, ...]], role: str, *, password: str | None = None) -> bool:
    """Let ``role`` read the views of the current schema, and nothing else; create it (LOGIN) when a password is
    given and it does not exist yet.

    :returns: True if the role was created.
    :raises GrantError: when the role does not exist and no password was given.
    """
    created = False
    with raw.transaction():
        exists = raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None
        if not exists:
            if password is None:
                raise GrantError(f"role {role!r} does not exist: give --create to make it, or create it in psql")
            raw.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
            created = True
        schema = raw.execute("SELECT current_schema()").fetchone()
        assert schema is not None
        raw.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(str(schema[0])), sql.Identifier(role))
        )
        for view in VIEWS:
            raw.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(view), sql.Identifier(role)))
    return created
