"""Users' run metadata: comments, tags and the good flag survive re-ingest and filter the runs table."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range, ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import RunEditError, RunFilter, get_run, list_runs, neighbour_run, update_run_meta
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import runs


@pytest.fixture
def access(db: Database, store: ParquetStore, simulated: SimulatedSource) -> DataAccess:
    ingest_range(db, store, simulated, 390000, 390005)
    return DataAccess(db, store, None)  # type: ignore[arg-type]


def test_marking_a_run_bad_with_a_comment_survives_reingest(access: DataAccess, simulated: SimulatedSource) -> None:
    update_run_meta(
        access, 390003, comment="trap vented at 12:03; 100% lost", tags=["vent", " trap ", "vent"], good=False
    )
    ingest_run(access.db, access.store, simulated, 390003)
    run = get_run(access, 390003)
    assert run is not None
    assert (run.good, run.comment, run.tags) == (False, "trap vented at 12:03; 100% lost", ("trap", "vent"))


def test_filters(access: DataAccess) -> None:
    update_run_meta(access, 390001, good=False, tags=["calib"])
    update_run_meta(access, 390004, comment="100% efficiency?", tags=["calib"])
    assert [r.run for r in list_runs(access, where=RunFilter(good=False))] == [390001]
    assert [r.run for r in list_runs(access, where=RunFilter(tag="calib"))] == [390004, 390001]
    assert [r.run for r in list_runs(access, where=RunFilter(text="100%"))] == [390004]
    assert [r.run for r in list_runs(access, where=RunFilter(text="_"))] == []  # LIKE wildcards are literal
    assert [r.run for r in list_runs(access, where=RunFilter(first=390002, last=390003))] == [390003, 390002]


def test_bad_edits_are_refused_and_change_nothing(access: DataAccess) -> None:
    with pytest.raises(RunEditError, match="does not exist"):
        update_run_meta(access, 1, good=False)
    with pytest.raises(RunEditError, match="longer"):
        update_run_meta(access, 390002, comment="x" * 5000)
    with pytest.raises(RunEditError, match="tags"):
        update_run_meta(access, 390002, tags=[f"t{i}" for i in range(50)])
    run = get_run(access, 390002)
    assert run is not None and run.comment == "" and run.tags == () and run.good


def test_stepping_to_the_neighbouring_ingested_run(access: DataAccess) -> None:
    def step(run: int | None, forward: bool) -> int | None:
        found = neighbour_run(access, run, forward=forward)
        return None if found is None else found.run

    with access.db.begin() as conn:
        conn.execute(update(runs).where(runs.c.run == 390002).values(status="failed"))
    assert step(390001, True) == 390003 and step(390003, False) == 390001  # the failed run is skipped
    assert step(390005, True) is None and step(390000, False) is None
    assert step(None, True) == 390005  # the newest
    found = neighbour_run(access, 390004, forward=True)
    assert found is not None and found.ingested_at is not None
