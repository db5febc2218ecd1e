"""Seed for P13: years of runs written by binary COPY in the writer's layout, grown in place and reused.

The seed lives in one fixed schema of the benchmark database, so a million runs are written once and later runs of
the benchmark only add what is missing. Every seeded run holds ``SEED_SCALARS`` scalars (the first observables of the
registry, float64, in primary-key order as ``writer.copy_scalars`` writes them), a runs row with the users' comments,
tags, flags and errors at realistic rates, and its share of the scalar rollup; the rest of the registry is observables
of old runs without values, as devices come and go.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg

from alpaca_dash.domain import RunStatus
from alpaca_dash.timescale import writer
from alpaca_dash.timescale.database import Database, with_schema
from alpaca_dash.timescale.rollup import ROLLUP_RUNS

SCHEMA_PREFIX = "p13_runs_"
SEED_SCALARS = 20
#: runs per COPY batch (a multiple of the rollup bucket)
BATCH_RUNS = 50_000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
RUN_SECONDS = 300
#: one run in this many has a comment, tags, errors, the bad flag
COMMENT_EVERY, TAG_EVERY, ERROR_EVERY, BAD_EVERY = 200, 100, 500, 100
TAGS = ("calibration", "positrons", "laser scan", "beam off")
WORDS = ("beam", "trap", "laser", "scan", "positron", "cold", "mixing", "background", "noise", "HV", "trip")


def seed_url(url: str, runs: int) -> str:
    """The URL of the seed of ``runs`` runs in the benchmark database: a schema of its own (created when missing)."""
    schema = f"{SCHEMA_PREFIX}{runs}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    return with_schema(url, schema)


def ensure_seeded(url: str, runs: int, observables: int) -> Database:
    """The migrated seed of ``runs`` runs and at least ``observables`` observables, written where missing.

    Autovacuum is switched on per table at PostgreSQL's defaults (it takes effect where the server runs it at all),
    and a VACUUM ANALYZE follows the seed, as after a quiet night.
    """
    schema_url = seed_url(url, runs)
    db = Database(schema_url, pool_size=1)
    db.migrate()
    grow_registry(db, observables)
    have = seeded_runs(db)
    if have < runs:
        with db.begin() as conn:
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            for table in ("scalars", "runs", "observables", "scalar_rollup"):
                cur.execute("SELECT to_regclass(%s)", (table,))
                if cur.fetchone()[0] is not None:
                    cur.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = true)")
        seed_runs(db, have + 1, runs)
        vacuum(schema_url)
    return db


def seeded_runs(db: Database) -> int:
    with db.begin() as conn:
        raw = conn.connection.driver_connection
        row = raw.execute("SELECT count(*) FROM runs WHERE source = 'seed'").fetchone()  # type: ignore[union-attr]
    return int(row[0])


def registry_size(db: Database) -> int:
    with db.begin() as conn:
        row = conn.connection.driver_connection.execute("SELECT count(*) FROM observables").fetchone()  # type: ignore[union-attr]
    return int(row[0])


def observable_name(index: int) -> str:
    """AEgIS-like hierarchical names: 50 devices, acquisitions, sub-systems, fields."""
    device, rest = divmod(index, 200)
    acq, rest = divmod(rest, 50)
    sub, field = divmod(rest, 10)
    return f"Dev{device:03d}*acq_{acq}*sub_{sub}*Field {field} [V]"


def grow_registry(db: Database, size: int) -> None:
    """Add observables (of run 1, without values) until the registry holds ``size``; the first are seeded scalars."""
    have = registry_size(db)
    if have >= size:
        return
    names = [observable_name(i) for i in range(have, size)]
    with db.begin() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute(
            "INSERT INTO observables (name, path, kind, dtype, shape, unit, first_run, last_run, dtypes) "
            "SELECT n, string_to_array(n, '*'), 'scalar', 'float64', '{}', 'V', 1, 1, '{float64}' "
            "FROM unnest(%s::text[]) AS n ON CONFLICT (name) DO NOTHING",
            (names,),
        )


def seeded_ids(db: Database) -> np.ndarray[Any, Any]:
    with db.begin() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute("SELECT id FROM observables WHERE name LIKE 'Dev%%' ORDER BY id LIMIT %s", (SEED_SCALARS,))
        return np.array([row[0] for row in cur.fetchall()], dtype=np.int32)


def seed_runs(db: Database, first: int, last: int, *, rollup: bool = True) -> None:
    """COPY runs ``first``..``last`` (inclusive), in batches; the first seeded observables stay open (in every run)."""
    ids = seeded_ids(db)
    with db.begin() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        opened = "UPDATE observables SET last_run = NULL WHERE id = ANY(%s) AND last_run IS NOT NULL"
        cur.execute(opened, (ids.tolist(),))
    for start in range(first, last + 1, BATCH_RUNS):
        stop = min(start + BATCH_RUNS - 1, last)
        with db.begin() as conn:
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            _copy_batch(cur, ids, start, stop)
            if rollup:
                _roll_up(cur, ids, start, stop)


def _copy_batch(cur: psycopg.Cursor[Any], ids: np.ndarray[Any, Any], first: int, last: int) -> None:
    run_numbers = np.arange(first, last + 1, dtype=np.int32)
    rng = np.random.default_rng(first)
    runs = np.repeat(run_numbers, ids.size)
    obs = np.tile(ids, run_numbers.size)
    values = rng.normal(100.0, 5.0, runs.size) + np.sin(runs / 5000.0) * 20
    codes = np.zeros(runs.size, dtype=np.int16)
    writer.copy_scalars(cur, runs, obs, values, codes)
    _copy_run_rows(cur, run_numbers, rng, ids.size)


def _copy_run_rows(cur: psycopg.Cursor[Any], run_numbers: np.ndarray[Any, Any], rng: Any, count: int) -> None:
    with cur.copy(
        "COPY runs (run, start_time, end_time, status, ingested_at, source, comment, tags, good, observable_count, "
        "error_count) FROM STDIN"
    ) as copy:
        for run in run_numbers.tolist():
            start = EPOCH + timedelta(seconds=RUN_SECONDS * run)
            comment = " ".join(rng.choice(WORDS, 3)) if run % COMMENT_EVERY == 7 else ""
            tags = [TAGS[run % len(TAGS)]] if run % TAG_EVERY == 3 else []
            errors = 1 if run % ERROR_EVERY == 11 else 0
            good = run % BAD_EVERY != 5
            end = start + timedelta(seconds=RUN_SECONDS - 10)
            copy.write_row(
                (run, start, end, RunStatus.INGESTED.value, start, "seed", comment, tags, good, count, errors)
            )


def _roll_up(cur: psycopg.Cursor[Any], ids: np.ndarray[Any, Any], first: int, last: int) -> None:
    cur.execute("SELECT to_regclass('scalar_rollup') IS NOT NULL")
    if not cur.fetchone()[0]:  # type: ignore[index]
        return
    cur.execute(
        f"INSERT INTO scalar_rollup SELECT observable_id, run - run %% {ROLLUP_RUNS} AS bucket, min(value), "
        "max(value), sum(value), count(*) FROM scalars WHERE observable_id = ANY(%s) AND run BETWEEN %s AND %s "
        "GROUP BY observable_id, bucket ON CONFLICT (observable_id, bucket) DO UPDATE SET "
        "min = least(scalar_rollup.min, excluded.min), max = greatest(scalar_rollup.max, excluded.max), "
        "sum = scalar_rollup.sum + excluded.sum, n = scalar_rollup.n + excluded.n",
        (ids.tolist(), first, last),
    )


def vacuum(url: str) -> None:
    """VACUUM ANALYZE the seeded tables: the server's autovacuum may be off, and index-only scans need the map."""
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("scalars", "runs", "observables", "scalar_rollup", "array_stats", "arrays1d", "arrays2d"):
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None:  # type: ignore[index]
                conn.execute(f"VACUUM (ANALYZE) {table}")


def database_bytes(db: Database) -> int:
    """The schema's tables with their indexes and TOAST; hypertables with their chunks."""
    with db.begin() as conn:
        raw = conn.connection.driver_connection
        hyper = raw.execute("SELECT to_regproc('hypertable_size') IS NOT NULL").fetchone()[0]  # type: ignore[union-attr]
        rows = raw.execute(  # type: ignore[union-attr]
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = to_regnamespace(current_schema()) "
            "AND c.relkind IN ('r', 'p')"
        ).fetchall()
        total = 0
        for (name,) in rows:
            size = None
            if hyper:
                size = raw.execute("SELECT hypertable_size(to_regclass(%s))", (name,)).fetchone()[0]  # type: ignore[union-attr]
            if size is None:
                size = raw.execute("SELECT pg_total_relation_size(to_regclass(%s))", (name,)).fetchone()[0]  # type: ignore[union-attr]
            total += int(size)
    return total
