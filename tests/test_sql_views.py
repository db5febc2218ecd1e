"""The SQL views for Grafana: dtypes, a time for every run, indexed time filters, and a role that reads only them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import text

import alpaca_dash.sql_commands  # noqa: F401  (registers db grant-readonly, as main() does)
from alpaca_dash.cli import app
from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

START = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
END = datetime(2026, 5, 1, 11, 0, tzinfo=UTC)


@pytest.fixture
def seeded(db: Database, store: ParquetStore) -> Database:
    records = {
        1: RunRecord(1, START, END, {"Beam*count": np.uint64(2**60 + 1), "Cam*img": np.ones((2, 2), np.uint16)}),
        2: RunRecord(2, None, END, {"Beam*count": np.uint64(7), "Beam*on": np.bool_(True)}),
        3: RunRecord(3, None, None, {"Beam*count": np.uint64(8)}),
    }
    ingest_range(db, store, MemorySource(records), 1, 3)
    return db


@pytest.mark.both_backends
def test_views_carry_the_dtype_and_a_time_for_every_run(seeded: Database) -> None:
    with seeded.begin() as conn:
        scalars = conn.execute(
            text("SELECT run, observable, dtype, run_time, run_time_source FROM scalar_values ORDER BY run, observable")
        ).all()
        stats = conn.execute(text("SELECT observable, dtype, run_time_source FROM array_statistics")).all()
        runs = conn.execute(text("SELECT run, run_time, run_time_source, ingested_at FROM run_list ORDER BY run")).all()
    assert [(r.run, r.observable, r.dtype, r.run_time_source) for r in scalars] == [
        (1, "Beam*count", "uint64", "start"),
        (2, "Beam*count", "uint64", "end"),
        (2, "Beam*on", "bool", "end"),
        (3, "Beam*count", "uint64", "ingest"),
    ]
    assert [tuple(s) for s in stats] == [("Cam*img", "uint16", "start")]
    assert runs[0].run_time == START and runs[1].run_time == END
    assert runs[2].run_time == runs[2].ingested_at is not None  # no start and no end: drawn when it was ingested


@pytest.mark.both_backends
def test_time_filters_use_an_index(seeded: Database) -> None:
    with seeded.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        by_start = conn.execute(
            text("EXPLAIN SELECT run FROM run_list WHERE start_time BETWEEN now() - interval '1 day' AND now()")
        ).scalars()
        by_run_time = conn.execute(
            text("EXPLAIN SELECT run FROM run_list WHERE run_time BETWEEN now() - interval '1 day' AND now()")
        ).scalars()
        assert "runs_start_time" in "\n".join(by_start)
        assert "runs_run_time" in "\n".join(by_run_time)


@pytest.fixture
def role_name(seeded: Database) -> Iterator[str]:
    name = f"grafana_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(seeded.url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            conn.execute(psycopg.sql.SQL("DROP OWNED BY {}").format(psycopg.sql.Identifier(name)))
            conn.execute(psycopg.sql.SQL("DROP ROLE {}").format(psycopg.sql.Identifier(name)))


def as_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


def test_grant_readonly_reads_the_views_and_nothing_else(
    seeded: Database, role_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("ALPACA_DASH_") and not name.startswith("ALPACA_DASH_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALPACA_DASH_DATABASE_URL", seeded.url)
    runner = CliRunner()
    missing = runner.invoke(app, ["db", "grant-readonly", role_name])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr and len(missing.stderr.splitlines()) == 1
    made = runner.invoke(app, ["db", "grant-readonly", role_name, "--create"], input="s3cret-pw\ns3cret-pw\n")
    assert made.exit_code == 0, made.stderr
    assert f"created role {role_name} may read scalar_values" in made.stdout
    again = runner.invoke(app, ["db", "grant-readonly", role_name])
    assert again.exit_code == 0 and "created" not in again.stdout
    with psycopg.connect(as_role(seeded.url, role_name, "s3cret-pw"), autocommit=True) as conn:
        count = conn.execute("SELECT value FROM scalar_values WHERE observable = 'Beam*count' AND run = 2").fetchone()
        assert count == (7.0,)
        assert conn.execute("SELECT count(*) FROM run_list").fetchone() == (3,)
        assert conn.execute("SELECT count(*) FROM observable_tree").fetchone() == (3,)
        for forbidden in ("SELECT * FROM scalars", "SELECT * FROM users", "DELETE FROM runs"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(forbidden)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE run_list SET comment = 'x'")  # a one-table view is updatable, but not by this role
