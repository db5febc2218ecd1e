"""A run whose file could not be read is never shown as good: not in the runs, the API, nor the SQL views."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from alpaca_dash.api import AlpacaDash
from alpaca_dash.config import Settings
from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import RunEditError, get_run, update_run_meta
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    return DataAccess(db, store, Settings(data_dir=tmp_path))


def test_a_failed_run_is_not_good_until_it_is_ingested(access: DataAccess) -> None:
    source = MemorySource({1: RunRecord(1, None, None, {"A*x": np.float32(1)})})
    assert not ingest_run(access.db, access.store, source, 2).ok  # not in the source: the run fails
    failed = get_run(access, 2)
    assert failed is not None and failed.status == "failed" and not failed.good
    with pytest.raises(RunEditError, match="run 2 failed"):
        update_run_meta(access, 2, good=True)
    assert not AlpacaDash(access).runs().loc[2, "good"]
    with access.db.begin() as conn:
        conn.execute(text("UPDATE runs SET good = true WHERE run = 2"))  # as before migration 11
        assert conn.execute(text("SELECT good FROM run_list WHERE run = 2")).scalar() is False
    source.add(RunRecord(2, None, None, {"A*x": np.float32(2)}))
    assert ingest_run(access.db, access.store, source, 2).ok
    ingested = get_run(access, 2)
    assert ingested is not None and ingested.status == "ingested" and ingested.good


def test_a_stored_run_that_fails_again_keeps_its_flag(access: DataAccess) -> None:
    source = MemorySource({1: RunRecord(1, None, None, {"A*x": np.float32(1)})})
    assert ingest_run(access.db, access.store, source, 1).ok
    update_run_meta(access, 1, good=False)
    source.records.clear()
    assert not ingest_run(access.db, access.store, source, 1).ok
    kept = get_run(access, 1)
    assert kept is not None and kept.status == "ingested" and not kept.good
    update_run_meta(access, 1, good=True)  # its stored values are good to mark
