"""Ingest on real PostgreSQL and TimescaleDB: whole runs, replacement, errors, notifications."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text

from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range, ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.errors import list_errors
from alpaca_dash.queries.observables import get_observables, list_observables
from alpaca_dash.queries.runs import get_run, list_runs
from alpaca_dash.queries.values import load_stats, load_value
from alpaca_dash.sources.simulated import CCD, SSPALS, SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.notify import run_channel

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends


def counts(db: Database, run: int) -> dict[str, int]:
    with db.begin() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table} WHERE run = :r"), {"r": run}).scalar_one()
            for table in ("scalars", "arrays1d", "array_stats", "arrays2d", "ingest_errors")
        }


def test_a_simulated_range_is_stored_with_its_hierarchy(
    db: Database, store: ParquetStore, simulated: SimulatedSource
) -> None:
    result = ingest_range(db, store, simulated, 390000, 390010)
    assert result.ingested == list(range(390000, 390006))
    assert result.missing == list(range(390006, 390011))
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    assert [r.run for r in list_runs(access, limit=3)] == [390005, 390004, 390003]
    names = {o.name: o for o in list_observables(access)}
    assert len([n for n in names if n.startswith("Batman*")]) >= 300
    image = names[CCD]
    assert image.kind.value == "array2d" and image.dtype == "float32" and image.shape == (64, 64)
    assert names[f"{SSPALS}*V"].path == ("captorius3", "acq_0", "Channel_2_SSPALS", "Y_[V]", "V")
    assert names[f"{SSPALS}*V"].unit == "V"
    # an observable that only exists from some run on
    assert "captorius3*acq_0*Channel_3_PMT*Y_[V]*V" not in names  # introduced after 8 runs; only 6 here
    cmos = names["1TCMOS*acq_0*background_corrected*roi*signal_sum_in_roi"]
    assert cmos.first_run == 390004 and cmos.last_run == 390005


def test_values_and_statistics_match_the_source(db: Database, store: ParquetStore, simulated: SimulatedSource) -> None:
    ingest_run(db, store, simulated, 390002)
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    record = simulated.read_run(390002)
    image, wave = get_observables(access, [CCD, f"{SSPALS}*V"])
    stored = load_value(access, image, 390002)
    assert stored is not None and np.array_equal(stored, record.values[CCD])
    stats = load_stats(access, wave, 390002)
    expected = record.values[f"{SSPALS}*V"]
    assert stats is not None and stats.count == expected.size and stats.nan_count == 0
    assert stats.max == pytest.approx(expected.max()) and stats.mean == pytest.approx(expected.mean())
    assert stats.std == pytest.approx(expected.std())


def test_reingest_replaces_a_run_idempotently(db: Database, store: ParquetStore, simulated: SimulatedSource) -> None:
    first = ingest_run(db, store, simulated, 390001)
    before, files_before = counts(db, 390001), store.list_files()
    second = ingest_run(db, store, simulated, 390001)
    assert first.ok and second.ok
    assert counts(db, 390001) == before
    files_after = store.list_files()
    assert len(files_after) == len(files_before) == 1
    assert files_after != files_before  # a new file replaced the old one, which is gone


def test_bad_observables_become_errors_and_the_rest_is_stored(db: Database, store: ParquetStore) -> None:
    record = RunRecord(
        7,
        None,
        None,
        {
            "Good*scalar": np.float64(1.5),
            "Bad*cube": np.zeros((2, 2, 2)),
            "Bad*text": "not a number",
            "Bad*objects": np.array([{"a": 1}], dtype=object),
            "Bad*complex": np.complex128(1j),
        },
        errors={"Bad*corrupt": "corrupt dataset: checksum error in chunk 3"},
    )
    result = ingest_run(db, store, MemorySource({7: record}), 7)
    assert result.ok and result.observables == 1
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    errors = {e.observable: e.message for e in list_errors(access, run=7)}
    assert set(errors) == {"Bad*cube", "Bad*text", "Bad*objects", "Bad*complex", "Bad*corrupt"}
    assert "3D" in errors["Bad*cube"] and "str" in errors["Bad*text"]
    run = get_run(access, 7)
    assert run is not None and run.status == "ingested" and run.error_count == 5 and run.observable_count == 1


def test_a_run_the_source_cannot_read_is_recorded_and_keeps_the_old_version(db: Database, store: ParquetStore) -> None:
    source = MemorySource({3: RunRecord(3, None, None, {"A*x": np.int16(4)})})
    ingest_run(db, store, source, 3)
    del source.records[3]
    result = ingest_run(db, store, source, 3)
    assert not result.ok
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    (item,) = get_observables(access, ["A*x"])
    value = load_value(access, item, 3)
    assert value is not None and value.dtype == np.int16 and int(value) == 4
    assert any("not in memory" in e.message for e in list_errors(access, run=3))
    missing = ingest_run(db, store, source, 4)
    assert not missing.ok
    run = get_run(access, 4)
    assert run is not None and run.status == "failed"


def test_listeners_hear_of_a_run_only_after_it_is_committed(
    db: Database, store: ParquetStore, simulated: SimulatedSource
) -> None:
    with psycopg.connect(db.url, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(run_channel(listener))))
        ingest_run(db, store, simulated, 390003)
        note = next(listener.notifies(timeout=5, stop_after=1))
        assert note.payload == "390003"
        with psycopg.connect(db.url) as reader:
            assert reader.execute("SELECT status FROM runs WHERE run = 390003").fetchone() == ("ingested",)


def test_storage_layout_follows_the_server(db: Database) -> None:
    caps = db.capabilities
    with db.begin() as conn:
        if caps.timescale:
            hypertables = set(
                conn.execute(
                    text(
                        "SELECT hypertable_name FROM timescaledb_information.hypertables "
                        "WHERE hypertable_schema = current_schema()"
                    )
                ).scalars()
            )
            assert {"scalars", "arrays1d", "array_stats", "arrays2d"} <= hypertables
        else:
            brin = conn.execute(
                text(
                    "SELECT count(*) FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND indexname LIKE '%_run_brin'"
                )
            ).scalar()
            assert brin == 4


@pytest.mark.parametrize(
    "name",
    [
        'Dev*it\'s "quoted"',
        "Dev*semi; DROP TABLE runs; --",
        "Dev*ünïcødé µs 🧪",
        "Dev*Y_[V]*100%_under_score",
        "Dev*back\\slash",
    ],
)
def test_hostile_observable_names_are_stored_and_found_exactly(db: Database, store: ParquetStore, name: str) -> None:
    source = MemorySource({1: RunRecord(1, None, None, {name: np.float64(2.5)})})
    assert ingest_run(db, store, source, 1).ok
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    (item,) = get_observables(access, [name])
    assert item.name == name and item.path == tuple(name.split("*"))
    value = load_value(access, item, 1)
    assert value is not None and float(value) == 2.5
    assert get_run(access, 1) is not None  # the runs table is still there
