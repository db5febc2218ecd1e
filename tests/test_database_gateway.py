"""The database gateway's own behaviour: the schema version it checks without the migrations, and its psycopg pool."""

from __future__ import annotations

import psycopg
import pytest

from alpaca_dash.timescale import migrations
from alpaca_dash.timescale.capabilities import probe_capabilities
from alpaca_dash.timescale.database import Database, DatabaseUnavailable
from alpaca_dash.timescale.schema_version import SCHEMA_VERSION


def test_the_checked_version_is_the_newest_migrations() -> None:
    versions = [migration.version for migration in migrations.MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    assert SCHEMA_VERSION == migrations.newest_version() == versions[-1]


def test_a_schema_one_version_behind_is_refused_then_migrated(fresh_schema_url: str) -> None:
    db = Database(fresh_schema_url)
    try:
        with db.begin() as conn:
            driver = conn.connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            migrations.migrate(conn, probe_capabilities(driver, create_extension=False), target=SCHEMA_VERSION - 1)
        with pytest.raises(DatabaseUnavailable, match=f"version {SCHEMA_VERSION - 1}.*run 'alpaca-dash db migrate'"):
            db.check_schema()
        assert db.migrate(timescale="off") == [SCHEMA_VERSION]
        db.check_schema()
        assert db.migrate(timescale="off") == []  # at the newest version: only looked at
    finally:
        db.dispose()


def test_a_pooled_connection_the_server_closed_is_replaced(db: Database) -> None:
    with db.transaction() as conn:
        first_pid = conn.info.backend_pid
    with psycopg.connect(db.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
    with db.transaction() as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None and row[0] != first_pid
    assert db.checked_out() == 0


def test_a_failed_statement_rolls_back_and_the_connection_serves_again(db: Database) -> None:
    with pytest.raises(psycopg.errors.UndefinedTable), db.transaction() as conn:
        conn.execute("INSERT INTO ingest_errors (run, observable, message) VALUES (1, 'x', 'kept?')")
        conn.execute("SELECT * FROM no_such_table")
    with db.transaction() as conn:
        row = conn.execute("SELECT count(*) FROM ingest_errors").fetchone()
    assert row == (0,)
    assert db.checked_out() == 0


def test_a_server_that_does_not_answer_is_unavailable() -> None:
    nowhere = Database("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseUnavailable, match="database unavailable"), nowhere.transaction():
        pass
    assert not nowhere.answers()
    assert not nowhere.ping()
    assert nowhere.checked_out() == 0
