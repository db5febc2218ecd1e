"""Two installations in one database: a schema of its own beside one in public gets every table of its own."""

from __future__ import annotations

import psycopg
import pytest

from alpaca_dash.timescale.database import Database, DatabaseUnavailable, with_schema


def relations(url: str, schema: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'i', 'm')",
            (schema,),
        ).fetchall()
    return {name for (name,) in rows}


def test_a_second_installation_beside_one_in_public_gets_its_own_tables(empty_database_url: str) -> None:
    first = Database(empty_database_url)
    try:
        first.migrate(timescale="off")
    finally:
        first.dispose()
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA second")

    second = Database(with_schema(empty_database_url, "second"))
    try:
        with pytest.raises(DatabaseUnavailable):  # public's installation is not this one's
            second.check_schema()
        second.migrate(timescale="off")
        second.check_schema()
    finally:
        second.dispose()

    public = relations(empty_database_url, "public")
    assert {"runs", "observables", "scalars", "schema_migrations"} <= public
    assert relations(empty_database_url, "second") == public
