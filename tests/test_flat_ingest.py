"""Ingest stays flat: a new run scans no value table, the registry is written only where it changes, rollups agree."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables, list_observables
from alpaca_dash.timescale import writer
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends


def record(run: int, **values: Any) -> RunRecord:
    return RunRecord(run=run, start=None, end=None, values={k.replace("__", "*"): v for k, v in values.items()})


def ingest(db: Database, store: ParquetStore, *records: RunRecord) -> None:
    source = MemorySource({r.run: r for r in records})
    for item in records:
        assert ingest_run(db, store, source, item.run).ok


def registry_versions(db: Database) -> dict[str, str]:
    with db.begin() as conn:
        return {row[0]: str(row[1]) for row in conn.execute(text("SELECT name, xmin FROM observables"))}


def test_a_run_with_the_same_observables_rewrites_no_registry_row(db: Database, store: ParquetStore) -> None:
    base = {"dev__a": np.float64(1.0), "dev__b": np.int32(2), "dev__wave": np.arange(4.0)}
    ingest(db, store, record(100, **base))
    before = registry_versions(db)
    ingest(db, store, record(101, **base), record(102, **base))
    assert registry_versions(db) == before
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    assert {o.name: (o.first_run, o.last_run) for o in list_observables(access)} == {
        "dev*a": (100, 102),
        "dev*b": (100, 102),
        "dev*wave": (100, 102),
    }


def test_the_registry_changes_where_the_runs_change_it(db: Database, store: ParquetStore) -> None:
    ingest(db, store, record(100, dev__a=np.float64(1.0), dev__b=np.int32(2)))
    ingest(db, store, record(101, dev__a=np.float64(1.5)))  # b is gone from the newest run
    ingest(db, store, record(102, dev__a=np.float64(2.0), dev__b=np.float32(3.0)))  # back, as float32
    ingest(db, store, record(103, dev__a=np.float64(2.5)))
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    a, b = get_observables(access, ["dev*a", "dev*b"])
    assert (a.first_run, a.last_run) == (100, 103)
    assert (b.first_run, b.last_run, b.dtype) == (100, 102, "float32")
    assert sorted(b.dtypes) == ["float32", "int32"]
    # an older run stored again does not move the last run back, nor the dtype
    ingest(db, store, record(100, dev__a=np.float64(1.0), dev__b=np.int64(2)))
    (b,) = get_observables(access, ["dev*b"])
    assert (b.last_run, b.dtype, sorted(b.dtypes)) == (102, "float32", ["float32", "int32", "int64"])


def test_exact_scalars_are_noted_in_the_registry(db: Database, store: ParquetStore) -> None:
    ingest(db, store, record(100, big=np.int64(2**62 + 1), small=np.int64(5)))
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    big, small = get_observables(access, ["big", "small"])
    assert big.exact and not small.exact


def scans_in_transaction(cur: Any) -> dict[str, tuple[int, int]]:
    cur.execute(
        "SELECT relname, coalesce(seq_scan, 0), coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables "
        "WHERE schemaname = current_schema() AND relname IN ('scalars', 'arrays1d', 'array_stats', 'arrays2d')"
    )
    return {name: (seq, idx) for name, seq, idx in cur.fetchall()}


@pytest.mark.postgres_only  # the scan statistics of a hypertable are its chunks'
def test_a_new_run_deletes_nothing_and_scans_no_value_table(db: Database, store: ParquetStore) -> None:
    ingest(db, store, *(record(run, dev__a=np.float64(run), dev__w=np.arange(3.0)) for run in range(100, 110)))
    with db.begin() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        before = scans_in_transaction(cur)  # the session's counts not yet flushed to the statistics
        stored = writer.stored_observable_ids(cur, 200)
        assert stored is None
        assert writer.delete_run_values(cur, 200, stored) == []
        assert scans_in_transaction(cur) == before


def test_a_stored_run_is_deleted_by_key_not_by_scan(db: Database, store: ParquetStore) -> None:
    ingest(db, store, *(record(run, dev__a=np.float64(run), dev__w=np.arange(3.0)) for run in range(100, 110)))
    with db.begin() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute("SET LOCAL enable_seqscan = off")  # as on a large table: the plan must not need a scan
        stored = writer.stored_observable_ids(cur, 105)
        assert stored is not None and len(stored) == 2
        ids = list(stored)
        cur.execute("EXPLAIN DELETE FROM scalars WHERE observable_id = ANY(%s) AND run = %s", (ids, 105))
        plan = "\n".join(row[0] for row in cur.fetchall())
        assert "scalars_pkey" in plan and "Seq Scan" not in plan and "brin" not in plan.lower()
        writer.delete_run_values(cur, 105, stored)
        cur.execute("SELECT count(*) FROM scalars WHERE run = 105")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM scalars")
        assert cur.fetchone()[0] == 9


def test_the_rollup_follows_new_and_replaced_runs(db: Database, store: ParquetStore) -> None:
    if db.capabilities.timescale_community:
        pytest.skip("the licensed continuous aggregate is the rollup there")
    runs = [record(run, x=np.float64(run % 7)) for run in range(1995, 2010)]
    runs.append(record(2010, x=np.float64("nan")))
    ingest(db, store, *runs)
    ingest(db, store, record(2003, x=np.float64(100.0)))  # stored again with another value
    with db.begin() as conn:
        rows = conn.execute(text("SELECT bucket, min, max, sum, n FROM scalar_rollup ORDER BY bucket")).all()
    first = [float(r % 7) for r in range(1995, 2000)]
    second = [100.0 if r == 2003 else float(r % 7) for r in range(2000, 2010)]
    assert [tuple(r) for r in rows] == [
        (1000, min(first), max(first), sum(first), 5),
        (2000, min(second), max(second), sum(second), 10),
    ]
