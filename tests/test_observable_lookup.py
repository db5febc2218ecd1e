"""Looking observables up for drawing: reused for a while, new names always found, stale entries read again."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import update

from alpaca_dash.domain import RunRecord, UnknownObservable
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observable_cache import ObservableCache
from alpaca_dash.queries.observables import find_observables
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import observables

from memory_source import MemorySource


@pytest.fixture
def access(db: Database, store: ParquetStore) -> DataAccess:
    values = {"A*x": np.float64(1.0), "A*y": np.float64(2.0)}
    ingest_run(db, store, MemorySource({1: RunRecord(1, None, None, values)}), 1)
    return DataAccess(db, store, None)  # type: ignore[arg-type]


def set_unit(db: Database, name: str, unit: str) -> None:
    with db.begin() as conn:
        conn.execute(update(observables).where(observables.c.name == name).values(unit=unit))


def test_a_looked_up_observable_is_reused_until_it_is_too_old(access: DataAccess) -> None:
    (first,) = find_observables(access, ["A*x"])
    set_unit(access.db, "A*x", "mm")
    assert find_observables(access, ["A*x"])[0].unit == first.unit  # from the cache
    access.observable_cache.max_age = 0.0
    assert find_observables(access, ["A*x"])[0].unit == "mm"


def test_names_not_cached_are_read_and_order_is_kept(access: DataAccess) -> None:
    find_observables(access, ["A*x"])
    found = find_observables(access, ["A*y", "A*x"])
    assert [item.name for item in found] == ["A*y", "A*x"]
    assert set(access.observable_cache.get(["A*x", "A*y"])) == {"A*x", "A*y"}


def test_unknown_names_are_an_error_and_not_cached(access: DataAccess) -> None:
    with pytest.raises(UnknownObservable, match="'A\\*nope'"):
        find_observables(access, ["A*x", "A*nope"])
    assert access.observable_cache.get(["A*nope"]) == {}


def test_a_cleared_cache_reads_again(access: DataAccess) -> None:
    find_observables(access, ["A*x"])
    set_unit(access.db, "A*x", "mm")
    access.observable_cache.clear()
    assert access.observable_cache.get(["A*x"]) == {}
    assert find_observables(access, ["A*x"])[0].unit == "mm"


def test_an_empty_cache_has_nothing() -> None:
    assert ObservableCache().get(["A*x"]) == {}
