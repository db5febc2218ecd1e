"""Checks stored in a real database and judged by the pipeline after each commit, on its own thread."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from alpaca_dash.domain import QUALITY_SOURCE, JobKind, JobStatus, RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range, ingest_run
from alpaca_dash.pipeline.jobs import run_quality_job
from alpaca_dash.pipeline.quality import QualityEvaluator, evaluate_range
from alpaca_dash.quality.checks import CheckError, parse_checks
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import export_checks, import_checks, list_checks
from alpaca_dash.queries.jobs import create_job, get_job, request_cancel
from alpaca_dash.queries.runs import get_run
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends

SCALAR = "ELENA_Parameters*H_offset_mm"
WAVE = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"
HIST = "SC56_coinc*histogram"
IMAGE = "5TCCD*acq_2*background_corrected*img_with_roi"
FIRST = 400000


def record(run: int, *, offset: float = 1.0, shift: float = 0.0, hot: int = 0, bins: int = 20) -> RunRecord:
    rng = np.random.default_rng(run)
    image = np.full((32, 32), 100.0, dtype=np.float32) + rng.normal(0, 1, (32, 32)).astype(np.float32)
    image.reshape(-1)[:hot] += 1000
    values: dict[str, Any] = {
        SCALAR: np.float64(offset),
        WAVE: rng.normal(shift, 1.0, 4000),
        HIST: rng.poisson(100, bins).astype(np.int64),
        IMAGE: image,
    }
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return RunRecord(run, start, start, values)


CHECKS: list[dict[str, Any]] = [
    {"kind": "scalar", "name": "offset", "observable": SCALAR, "bounds": {"warn_high": 2, "alarm_high": 3}},
    {"kind": "statistic", "name": "wave mean", "observable": WAVE, "statistic": "mean", "bounds": {"alarm_high": 0.5}},
    {"kind": "reference", "name": "wave ks", "observable": WAVE, "test": "ks"},
    {"kind": "reference", "name": "hist chi2", "observable": HIST, "test": "chi2", "counts": True},
    {
        "kind": "image",
        "name": "hot pixels",
        "observable": IMAGE,
        "measure": "hot_fraction",
        "bounds": {"warn_high": 0.001, "alarm_high": 0.01},
    },
    {"kind": "history", "name": "offset history", "observable": SCALAR, "last_runs": 10},
]


def access_of(db: Database, store: ParquetStore) -> DataAccess:
    return DataAccess(db, store, None)  # type: ignore[arg-type]


def results(db: Database, run: int) -> dict[str, dict[str, Any]]:
    query = text(
        "SELECT c.name, r.state, r.value, r.p_value, r.reference_run, r.message FROM quality_results r "
        "JOIN quality_checks c ON c.id = r.check_id WHERE r.run = :run"
    )
    with db.begin() as conn:
        return {row.name: dict(row._mapping) for row in conn.execute(query, {"run": run})}


@pytest.fixture
def source() -> MemorySource:
    return MemorySource({run: record(run, offset=1.0 + 0.01 * (run % 3)) for run in range(FIRST, FIRST + 6)})


@pytest.fixture
def seeded(db: Database, store: ParquetStore, source: MemorySource) -> DataAccess:
    ingest_range(db, store, source, FIRST, FIRST + 5)
    access = access_of(db, store)
    import_checks(access, parse_checks(CHECKS))
    return access


def test_each_committed_run_is_judged_in_the_evaluators_process(
    db: Database, store: ParquetStore, source: MemorySource, seeded: DataAccess
) -> None:
    run = FIRST + 6
    source.add(record(run, offset=3.5, shift=1.0, hot=50))
    evaluator = QualityEvaluator(db, store)
    try:
        ingest_run(db, store, source, run, quality=evaluator)
    finally:
        evaluator.close()
    found = results(db, run)
    assert {name: row["state"] for name, row in found.items()} == {
        "offset": "alarm",
        "wave mean": "alarm",
        "wave ks": "alarm",
        "hist chi2": "ok",
        "hot pixels": "alarm",
        "offset history": "alarm",
    }
    ks = found["wave ks"]
    assert ks["reference_run"] == FIRST + 5 and ks["p_value"] < 1e-10 and "against run 400005" in ks["message"]
    assert found["hot pixels"]["value"] == pytest.approx(50 / 1024)
    assert found["offset"]["message"] == "value 3.5 outside the alarm bounds [-inf, 3]"  # not the warn bound, 2


def test_a_good_run_passes_and_a_suspect_one_is_no_reference(
    db: Database, store: ParquetStore, source: MemorySource, seeded: DataAccess
) -> None:
    bad, good = FIRST + 6, FIRST + 7
    source.add(record(bad, shift=1.0))
    source.add(record(good))
    evaluator = QualityEvaluator(db, store)
    ingest_range(db, store, source, bad, good, quality=evaluator)
    evaluator.close()
    found = results(db, good)
    assert found["wave ks"]["state"] == "ok"
    assert found["wave ks"]["reference_run"] == FIRST + 5  # not the suspect run before it
    assert found["offset history"]["state"] == "ok"


def test_a_check_that_raises_is_an_error_and_the_run_stays_stored(
    db: Database, store: ParquetStore, source: MemorySource, seeded: DataAccess
) -> None:
    run = FIRST + 6
    source.add(record(run, bins=25))  # the reference histogram has 20 bins
    evaluator = QualityEvaluator(db, store)
    result = ingest_run(db, store, source, run, quality=evaluator)
    evaluator.close()
    assert result.ok and get_run(seeded, run) is not None
    found = results(db, run)
    assert found["hist chi2"]["state"] == "error"
    assert "histograms have 25 and 20 bins" in found["hist chi2"]["message"]
    assert found["offset"]["state"] == "ok"


@pytest.mark.parametrize("own_process", [True, False], ids=["process", "thread"])
def test_reingest_judges_the_run_again(
    db: Database, store: ParquetStore, source: MemorySource, seeded: DataAccess, own_process: bool
) -> None:
    """In the evaluator's process (the scheduler's) or on its thread (a command's)."""
    run = FIRST + 6
    source.add(record(run, offset=3.5))
    evaluator = QualityEvaluator(db, store, own_process=own_process)
    ingest_run(db, store, source, run, quality=evaluator)
    source.add(record(run, offset=1.0))
    ingest_run(db, store, source, run, quality=evaluator)
    evaluator.close()
    assert results(db, run)["offset"]["state"] == "ok"


def test_bad_checks_are_refused_and_nothing_is_stored(db: Database, store: ParquetStore, seeded: DataAccess) -> None:
    before = export_checks(seeded)
    good = CHECKS[0] | {"name": "new one"}
    for bad, message in [
        ({"kind": "scalar", "name": "nope", "observable": "no*such", "bounds": {"warn_high": 1}}, "unknown observable"),
        ({"kind": "reference", "name": "r", "observable": WAVE, "test": "ks", "reference_run": 12}, "run 12 does not"),
        ({"kind": "scalar", "name": "k", "observable": WAVE, "bounds": {"warn_high": 1}}, "needs a scalar observable"),
        ({"kind": "history", "name": "h", "observable": WAVE}, "needs a statistic"),
    ]:
        with pytest.raises(CheckError, match=message):
            import_checks(seeded, parse_checks([good, bad]))
    assert export_checks(seeded) == before


def test_import_updates_by_name_and_replace_removes_the_rest(seeded: DataAccess) -> None:
    changed = CHECKS[0] | {"bounds": {"warn_high": 5}}
    summary = import_checks(seeded, parse_checks([changed]), replace=True)
    assert summary.updated == ["offset"] and summary.added == []
    assert len(summary.removed) == len(CHECKS) - 1
    assert [stored.check.model_dump(mode="json")["bounds"]["warn_high"] for stored in list_checks(seeded)] == [5]


def test_a_range_is_judged_again_as_a_job_with_progress_and_cancel(
    db: Database, store: ParquetStore, seeded: DataAccess
) -> None:
    result = evaluate_range(db, store, FIRST, FIRST + 5)
    assert result.judged == list(range(FIRST, FIRST + 6)) and not result.cancelled
    assert results(db, FIRST + 5)["wave ks"]["reference_run"] == FIRST + 4
    assert results(db, FIRST)["wave ks"]["state"] == "nodata"  # no good run before the first

    job_id = create_job(seeded, source=QUALITY_SOURCE, first_run=FIRST, last_run=FIRST + 5)
    job = get_job(seeded, job_id)
    assert job is not None and job.kind is JobKind.QUALITY
    request_cancel(seeded, job_id)  # queued: cancelled at once
    assert get_job(seeded, job_id).status is JobStatus.CANCELLED  # type: ignore[union-attr]

    job_id = create_job(seeded, source=QUALITY_SOURCE, first_run=FIRST, last_run=FIRST + 5)
    job = get_job(seeded, job_id)
    assert job is not None
    outcome = run_quality_job(db, store, job)
    finished = get_job(seeded, job_id)
    assert finished is not None and finished.status is JobStatus.DONE and finished.done == 6
    assert outcome.judged == list(range(FIRST, FIRST + 6))
