"""Following a source: backfill on an empty database, then exactly the runs finished since."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.follow import follow_once, newest_stored_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import list_run_numbers
from alpaca_dash.serve_commands import continue_simulation
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database

FIRST = 390000


class Clock:
    """Seconds since the epoch that move only when the test says so."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def following_source(clock: Clock, *, history: int = 6) -> SimulatedSource:
    return SimulatedSource(
        seed=5, first_run=FIRST, history=history, run_seconds=10.0, image_size=32, waveform_samples=500, clock=clock
    )


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    return DataAccess(db, store, Settings(data_dir=tmp_path))


def test_empty_database_backfills_the_last_runs(db: Database, store: ParquetStore, access: DataAccess) -> None:
    source = SimulatedSource(seed=5, first_run=FIRST, history=6, image_size=32, waveform_samples=500)
    results = follow_once(db, store, source, backfill=3)
    assert [r.run for r in results] == [FIRST + 3, FIRST + 4, FIRST + 5]
    assert all(r.ok for r in results)
    assert list_run_numbers(access, 0, 10**9) == [FIRST + 3, FIRST + 4, FIRST + 5]
    assert newest_stored_run(db) == FIRST + 5


def test_backfill_larger_than_the_history_takes_every_run(db: Database, store: ParquetStore) -> None:
    source = SimulatedSource(seed=5, first_run=FIRST, history=4, image_size=32, waveform_samples=500)
    assert [r.run for r in follow_once(db, store, source, backfill=20)] == [FIRST, FIRST + 1, FIRST + 2, FIRST + 3]


def test_at_most_max_runs_per_call_oldest_first(db: Database, store: ParquetStore) -> None:
    source = SimulatedSource(seed=5, first_run=FIRST, history=6, image_size=32, waveform_samples=500)
    assert [r.run for r in follow_once(db, store, source, backfill=6, max_runs=4)] == list(range(FIRST, FIRST + 4))
    assert [r.run for r in follow_once(db, store, source, backfill=6, max_runs=4)] == [FIRST + 4, FIRST + 5]


def test_advancing_the_clock_ingests_exactly_the_new_runs(
    db: Database, store: ParquetStore, access: DataAccess
) -> None:
    clock = Clock()
    source = following_source(clock)
    assert [r.run for r in follow_once(db, store, source, backfill=2)] == [FIRST + 4, FIRST + 5]

    clock.advance(9.0)
    assert follow_once(db, store, source, backfill=2) == []

    clock.advance(1.0)
    assert [r.run for r in follow_once(db, store, source, backfill=2)] == [FIRST + 6]

    clock.advance(30.0)
    new = follow_once(db, store, source, backfill=2)
    assert [r.run for r in new] == [FIRST + 7, FIRST + 8, FIRST + 9]
    assert all(r.ok and r.observables > 0 for r in new)
    assert list_run_numbers(access, 0, 10**9) == list(range(FIRST + 4, FIRST + 10))


def test_nothing_new_gives_an_empty_list(db: Database, store: ParquetStore) -> None:
    clock = Clock()
    source = following_source(clock)
    assert len(follow_once(db, store, source, backfill=20)) == 6
    assert follow_once(db, store, source) == []
    assert follow_once(db, store, source) == []
    assert newest_stored_run(db) == FIRST + 5


def test_a_source_without_runs_gives_an_empty_list(db: Database, store: ParquetStore) -> None:
    clock = Clock()
    source = following_source(clock, history=0)
    assert source.latest_run() is None
    assert follow_once(db, store, source) == []
    assert newest_stored_run(db) is None
    clock.advance(10.0)
    assert [r.run for r in follow_once(db, store, source)] == [FIRST]


def test_a_restarted_simulation_continues_after_the_stored_runs(
    db: Database, store: ParquetStore, access: DataAccess
) -> None:
    """The demo's database holds runs its last session simulated: the next session's source has finished them too,
    so its first new run comes after one run period, not after the minutes the last session ran."""
    settings = Settings(database_url=db.url, simulated_first_run=FIRST, simulated_history=6, simulated_image_size=32)
    assert continue_simulation(settings, access) == settings  # nothing stored yet
    last_session = SimulatedSource(seed=5, first_run=FIRST, history=15, image_size=32, waveform_samples=500)
    follow_once(db, store, last_session, backfill=2)  # runs FIRST + 13 and FIRST + 14
    resumed = continue_simulation(settings, access)
    assert resumed.simulated_history == 15
    clock = Clock()
    source = SimulatedSource(
        seed=5, first_run=FIRST, history=resumed.simulated_history, run_seconds=10.0, image_size=32, clock=clock
    )
    assert follow_once(db, store, source) == []
    clock.advance(10.0)
    assert [r.run for r in follow_once(db, store, source)] == [FIRST + 15]
    assert continue_simulation(settings.replace(source="files"), access).simulated_history == 6
