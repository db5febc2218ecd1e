"""Ingest jobs in the database: queue, claim, run, cancel and recover, against a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpaca_dash.config import Settings
from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline import jobs
from alpaca_dash.pipeline.ingest import IngestResult
from alpaca_dash.queries import jobs as queue
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.errors import list_errors
from alpaca_dash.queries.runs import list_run_numbers
from alpaca_dash.sources.base import SourceError
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database

FIRST = 390000
LAST = 390005


def small_source() -> SimulatedSource:
    return SimulatedSource(seed=11, first_run=FIRST, history=6, image_size=32, waveform_samples=500)


class CancellingSource:
    """A simulated source whose operator cancels the job while it reads its ``cancel_at``-th run."""

    def __init__(self, inner: SimulatedSource, access: DataAccess, job_id: int, *, cancel_at: int = 2) -> None:
        self.kind = inner.kind
        self.inner = inner
        self.access = access
        self.job_id = job_id
        self.cancel_at = cancel_at
        self.reads = 0

    def latest_run(self) -> int | None:
        return self.inner.latest_run()

    def available_runs(self, first: int, last: int) -> list[int]:
        return self.inner.available_runs(first, last)

    def read_run(self, run: int) -> RunRecord:
        self.reads += 1
        if self.reads == self.cancel_at:
            assert queue.request_cancel(self.access, self.job_id)
        return self.inner.read_run(run)


class FlakySource:
    """A simulated source on which some runs cannot be read at all."""

    def __init__(self, inner: SimulatedSource, broken: set[int]) -> None:
        self.kind = inner.kind
        self.inner = inner
        self.broken = broken

    def latest_run(self) -> int | None:
        return self.inner.latest_run()

    def available_runs(self, first: int, last: int) -> list[int]:
        return self.inner.available_runs(first, last)

    def read_run(self, run: int) -> RunRecord:
        if run in self.broken:
            raise SourceError(f"run {run}: the file is truncated")
        return self.inner.read_run(run)


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    return DataAccess(db, store, Settings(data_dir=tmp_path))


def test_a_new_job_is_queued_with_its_range(db: Database, access: DataAccess) -> None:
    job_id = queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST, created_by="alice")
    job = queue.get_job(access, job_id)
    assert job is not None
    assert (job.kind, job.status, job.source, job.created_by) == ("range", "queued", "simulated", "alice")
    assert (job.first_run, job.last_run, job.total, job.done, job.failed) == (FIRST, LAST, 6, 0, 0)
    assert job.started_at is None
    assert job.finished_at is None


def test_a_cli_job_starts_running_at_once(db: Database, access: DataAccess) -> None:
    job = queue.get_job(
        access, queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST, run_here=True)
    )
    assert job is not None
    assert (job.kind, job.status) == ("cli", "running")
    assert job.started_at is not None
    assert jobs.claim_next_job(db) is None


def test_claim_takes_the_queued_job_once(db: Database, access: DataAccess) -> None:
    job_id = queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST)
    claimed = jobs.claim_next_job(db)
    assert claimed is not None
    assert (claimed.id, claimed.status) == (job_id, "running")
    assert claimed.started_at is not None
    assert jobs.claim_next_job(db) is None


def test_claims_go_oldest_first(db: Database, access: DataAccess) -> None:
    older = queue.create_job(access, source="simulated", first_run=FIRST, last_run=FIRST)
    newer = queue.create_job(access, source="simulated", first_run=LAST, last_run=LAST)
    first, second = jobs.claim_next_job(db), jobs.claim_next_job(db)
    assert first is not None
    assert second is not None
    assert (first.id, second.id) == (older, newer)


def test_missing_job_is_none(db: Database, access: DataAccess) -> None:
    assert queue.get_job(access, 424242) is None
    assert not queue.request_cancel(access, 424242)


def test_run_job_ingests_the_range_and_counts_it(db: Database, store: ParquetStore, access: DataAccess) -> None:
    queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST)
    job = jobs.claim_next_job(db)
    assert job is not None
    result = jobs.run_job(db, store, small_source(), job)
    assert result.ingested == list(range(FIRST, LAST + 1))
    assert (result.failed, result.missing, result.cancelled) == ([], [], False)
    finished = queue.get_job(access, job.id)
    assert finished is not None
    assert (finished.status, finished.done, finished.failed, finished.total) == ("done", 6, 0, 6)
    assert finished.finished_at is not None
    assert finished.message == "6 ingested, 0 failed, 0 not in the source"
    assert list_run_numbers(access, FIRST, LAST) == list(range(FIRST, LAST + 1))


def test_runs_the_source_lacks_are_reported_missing(db: Database, store: ParquetStore, access: DataAccess) -> None:
    queue.create_job(access, source="simulated", first_run=LAST - 1, last_run=LAST + 3)
    job = jobs.claim_next_job(db)
    assert job is not None
    result = jobs.run_job(db, store, small_source(), job)
    assert result.ingested == [LAST - 1, LAST]
    assert result.missing == [LAST + 1, LAST + 2, LAST + 3]
    finished = queue.get_job(access, job.id)
    assert finished is not None
    assert (finished.status, finished.done, finished.total) == ("done", 2, 5)
    assert finished.message == "2 ingested, 0 failed, 3 not in the source"


def test_cancelling_a_queued_job_cancels_it_at_once(db: Database, access: DataAccess) -> None:
    job_id = queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST)
    assert queue.request_cancel(access, job_id)
    job = queue.get_job(access, job_id)
    assert job is not None
    assert (job.status, job.cancel_requested) == ("cancelled", True)
    assert job.finished_at is not None
    assert jobs.claim_next_job(db) is None
    assert not queue.request_cancel(access, job_id)


def test_cancelling_a_running_job_stops_it_between_runs(db: Database, store: ParquetStore, access: DataAccess) -> None:
    queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST)
    job = jobs.claim_next_job(db)
    assert job is not None
    source = CancellingSource(small_source(), access, job.id, cancel_at=2)
    result = jobs.run_job(db, store, source, job)
    assert result.cancelled
    assert result.ingested == [FIRST, FIRST + 1]
    finished = queue.get_job(access, job.id)
    assert finished is not None
    assert finished.status == "cancelled"
    assert finished.cancel_requested
    assert finished.done < finished.total
    assert finished.done == 2
    assert list_run_numbers(access, FIRST, LAST) == [FIRST, FIRST + 1]
    assert not queue.request_cancel(access, job.id)


def test_stale_range_jobs_are_requeued_but_cli_jobs_are_not(
    db: Database, store: ParquetStore, access: DataAccess
) -> None:
    range_id = queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST)
    claimed = jobs.claim_next_job(db)
    assert claimed is not None
    assert claimed.id == range_id
    outcome = IngestResult(FIRST, True, 1, [], 0.0)
    jobs.record_progress(db, range_id, outcome)
    cli_id = queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST, run_here=True)

    assert jobs.reset_stale_jobs(db) == 1

    requeued, cli_job = queue.get_job(access, range_id), queue.get_job(access, cli_id)
    assert requeued is not None
    assert cli_job is not None
    assert (requeued.status, requeued.started_at, requeued.done, requeued.failed) == ("queued", None, 0, 0)
    assert cli_job.status == "running"
    reclaimed = jobs.claim_next_job(db)
    assert reclaimed is not None
    assert reclaimed.id == range_id
    assert jobs.claim_next_job(db) is None


def test_finished_jobs_are_not_requeued(db: Database, store: ParquetStore, access: DataAccess) -> None:
    queue.create_job(access, source="simulated", first_run=FIRST, last_run=FIRST)
    job = jobs.claim_next_job(db)
    assert job is not None
    jobs.run_job(db, store, small_source(), job)
    assert jobs.reset_stale_jobs(db) == 0
    finished = queue.get_job(access, job.id)
    assert finished is not None
    assert finished.status == "done"


def test_unreadable_runs_fail_alone_and_are_recorded(db: Database, store: ParquetStore, access: DataAccess) -> None:
    broken = {FIRST + 1, FIRST + 4}
    queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST)
    job = jobs.claim_next_job(db)
    assert job is not None
    result = jobs.run_job(db, store, FlakySource(small_source(), broken), job)

    assert result.failed == sorted(broken)
    assert result.ingested == [FIRST, FIRST + 2, FIRST + 3, FIRST + 5]
    finished = queue.get_job(access, job.id)
    assert finished is not None
    assert (finished.status, finished.done, finished.failed) == ("done", 4, 2)
    assert finished.message == "4 ingested, 2 failed, 0 not in the source"
    errors = list_errors(access)
    assert sorted(e.run for e in errors) == sorted(broken)
    for error in errors:
        assert error.observable == ""
        assert error.job_id == job.id
        assert error.message == f"run {error.run}: the file is truncated"
    assert list_run_numbers(access, FIRST, LAST) == result.ingested


def test_list_jobs_is_newest_first(db: Database, access: DataAccess) -> None:
    ids = [queue.create_job(access, source="simulated", first_run=FIRST, last_run=FIRST + i) for i in range(3)]
    assert [job.id for job in queue.list_jobs(access)] == ids[::-1]
    assert [job.id for job in queue.list_jobs(access, limit=2)] == ids[:0:-1]


def test_fail_job_records_the_message(db: Database, access: DataAccess) -> None:
    job_id = queue.create_job(access, source="alpaca", first_run=FIRST, last_run=LAST)
    jobs.fail_job(db, job_id, "ALPACA is not installed here " + "x" * 5000)
    job = queue.get_job(access, job_id)
    assert job is not None
    assert job.status == "failed"
    assert job.message.startswith("ALPACA is not installed here")
    assert len(job.message) == 2000
    assert job.finished_at is not None


def test_a_cancel_requested_before_a_scheduler_died_is_honoured_after_requeue(
    db: Database, store: ParquetStore, access: DataAccess
) -> None:
    queue.create_job(access, source="simulated", first_run=FIRST, last_run=LAST)
    running = jobs.claim_next_job(db)
    assert running is not None
    assert queue.request_cancel(access, running.id)  # then the scheduler running it died
    assert jobs.reset_stale_jobs(db) == 1

    again = jobs.claim_next_job(db)
    assert again is not None
    result = jobs.run_job(db, store, small_source(), again)
    assert result.cancelled
    assert result.ingested == []
    job = queue.get_job(access, running.id)
    assert job is not None
    assert (job.status, job.done) == ("cancelled", 0)
    assert list_run_numbers(access, FIRST, LAST) == []
