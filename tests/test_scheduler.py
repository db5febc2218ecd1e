"""The ingest scheduler on a real PostgreSQL: one lock holder follows and runs jobs, the others wait."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from polling import TIMEOUT, wait_for
from psycopg import sql

from alpaca_dash.config import Settings
from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline import jobs
from alpaca_dash.pipeline.scheduler import MAX_BACKOFF_SECONDS, Backoff, IngestLock, IngestScheduler
from alpaca_dash.queries import jobs as queue
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import list_run_numbers
from alpaca_dash.sources.base import RunSource, SourceError
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database

FOLLOW_FIRST = 390000
JOB_FIRST = 389990
TICK = 0.2


def small_source(first_run: int, history: int, *, open_ended: bool = False) -> SimulatedSource:
    return SimulatedSource(
        seed=13, first_run=first_run, history=history, image_size=32, waveform_samples=500, open_ended=open_ended
    )


def source_for(kind: str) -> RunSource:
    """What the scheduler opens for a job: any run on demand, like ``open_source(..., follow=False)``."""
    if kind != "simulated":
        raise SourceError(f"no {kind} source here")
    return small_source(JOB_FIRST, 0, open_ended=True)


class BrokenSource:
    """A source whose storage is unreachable."""

    kind = "simulated"

    def latest_run(self) -> int | None:
        raise SourceError("the run folder is not mounted")

    def available_runs(self, first: int, last: int) -> list[int]:
        raise SourceError("the run folder is not mounted")

    def read_run(self, run: int) -> RunRecord:
        raise SourceError("the run folder is not mounted")


#: generous, because ingest serialises writers of one run number across the whole database (``writer.lock_run``), so
#: concurrent test sessions can delay these runs
SCHEDULED = 6 * TIMEOUT


def job_status(access: DataAccess, job_id: int) -> str:
    job = queue.get_job(access, job_id)
    assert job is not None
    return job.status


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    return DataAccess(db, store, Settings(data_dir=tmp_path))


@pytest.fixture
def other_schema_db(postgres_url: str) -> Iterator[Database]:
    """A second migrated schema in the same PostgreSQL database as ``db``."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in postgres_url else "?"
    database = Database(f"{postgres_url}{separator}options={quote(f'-csearch_path={schema},public')}")
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def test_only_one_lock_holder_at_a_time(db: Database) -> None:
    first, second = IngestLock(db), IngestLock(db)
    try:
        assert first.try_acquire()
        assert first.held
        assert not second.try_acquire()
        assert not second.held
        assert first.try_acquire()  # the holder keeps it

        first.release()
        assert not first.held
        assert second.try_acquire()
        assert second.held
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_locks_of_different_schemas_do_not_collide(db: Database, other_schema_db: Database) -> None:
    here, there = IngestLock(db), IngestLock(other_schema_db)
    try:
        assert here.try_acquire()
        assert there.try_acquire()
    finally:
        here.release()
        there.release()


def test_lock_on_an_unreachable_database_is_not_held() -> None:
    lock = IngestLock(Database("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"))
    assert not lock.try_acquire()
    assert not lock.held


def test_scheduler_follows_and_runs_queued_jobs(db: Database, store: ParquetStore, access: DataAccess) -> None:
    job_id = queue.create_job(access, source="simulated", first_run=JOB_FIRST, last_run=JOB_FIRST + 2)
    scheduler = IngestScheduler(
        db, store, small_source(FOLLOW_FIRST, 3), source_for, follow_interval=TICK, poll_interval=TICK
    )
    scheduler.start()
    try:
        followed = [FOLLOW_FIRST, FOLLOW_FIRST + 1, FOLLOW_FIRST + 2]
        wait_for(
            lambda: list_run_numbers(access, FOLLOW_FIRST, FOLLOW_FIRST + 100) == followed, "runs followed", SCHEDULED
        )
        wait_for(lambda: job_status(access, job_id) == "done", f"job {job_id} done", SCHEDULED)
        assert scheduler.lock.held

        later = queue.create_job(access, source="simulated", first_run=JOB_FIRST + 3, last_run=JOB_FIRST + 4)
        wait_for(lambda: job_status(access, later) == "done", f"job {later} done", SCHEDULED)
    finally:
        scheduler.shutdown()
    assert not scheduler.lock.held
    job = queue.get_job(access, job_id)
    assert job is not None
    assert (job.done, job.failed, job.total) == (3, 0, 3)
    assert list_run_numbers(access, JOB_FIRST, JOB_FIRST + 4) == list(range(JOB_FIRST, JOB_FIRST + 5))


def test_second_scheduler_waits_until_the_first_lets_go(db: Database, store: ParquetStore, access: DataAccess) -> None:
    first = IngestScheduler(
        db, store, small_source(FOLLOW_FIRST, 3), source_for, follow_interval=TICK, poll_interval=TICK
    )
    second = IngestScheduler(
        db, store, small_source(FOLLOW_FIRST + 500, 2), source_for, follow_interval=TICK, poll_interval=TICK
    )
    running: list[IngestScheduler] = []
    try:
        first.start()
        running.append(first)
        wait_for(
            lambda: list_run_numbers(access, FOLLOW_FIRST, FOLLOW_FIRST + 2) == [390000, 390001, 390002],
            "three runs followed",
            SCHEDULED,
        )
        second.start()
        running.append(second)
        job_id = queue.create_job(access, source="simulated", first_run=JOB_FIRST, last_run=JOB_FIRST)
        wait_for(lambda: job_status(access, job_id) == "done", f"job {job_id} done", SCHEDULED)
        second.follow_tick()
        second.jobs_tick()
        assert first.lock.held
        assert not second.lock.held
        assert list_run_numbers(access, FOLLOW_FIRST + 500, FOLLOW_FIRST + 600) == []

        running.remove(first)
        first.shutdown()
        wait_for(lambda: second.lock.held, "the lock taken over", SCHEDULED)
        wait_for(
            lambda: list_run_numbers(access, FOLLOW_FIRST + 500, FOLLOW_FIRST + 600) == [390500, 390501],
            "the second scheduler's runs",
            SCHEDULED,
        )
    finally:
        for scheduler in running:
            scheduler.shutdown()


def test_jobs_left_running_by_a_dead_scheduler_are_run_again(
    db: Database, store: ParquetStore, access: DataAccess
) -> None:
    queue.create_job(access, source="simulated", first_run=JOB_FIRST, last_run=JOB_FIRST + 1)
    orphan = jobs.claim_next_job(db)  # claimed by a scheduler that then died
    assert orphan is not None
    cli_job = queue.create_job(access, source="simulated", first_run=JOB_FIRST, last_run=JOB_FIRST, run_here=True)
    scheduler = IngestScheduler(db, store, None, source_for)
    try:
        scheduler.jobs_tick()
    finally:
        scheduler.lock.release()
    job = queue.get_job(access, orphan.id)
    assert job is not None
    assert (job.status, job.done, job.failed) == ("done", 2, 0)
    assert job_status(access, cli_job) == "running"


def test_a_job_naming_an_unusable_source_fails_with_the_reason(
    db: Database, store: ParquetStore, access: DataAccess
) -> None:
    bad = queue.create_job(access, source="alpaca", first_run=JOB_FIRST, last_run=JOB_FIRST)
    good = queue.create_job(access, source="simulated", first_run=JOB_FIRST, last_run=JOB_FIRST)
    scheduler = IngestScheduler(db, store, None, source_for)
    try:
        scheduler.jobs_tick()
    finally:
        scheduler.lock.release()
    job = queue.get_job(access, bad)
    assert job is not None
    assert (job.status, job.message) == ("failed", "no alpaca source here")
    assert job_status(access, good) == "done"


def test_a_broken_follow_source_does_not_stop_the_job_queue(
    db: Database, store: ParquetStore, access: DataAccess
) -> None:
    job_id = queue.create_job(access, source="simulated", first_run=JOB_FIRST, last_run=JOB_FIRST + 1)
    scheduler = IngestScheduler(db, store, BrokenSource(), source_for, follow_interval=TICK, poll_interval=TICK)
    scheduler.follow_tick()  # the failure is logged and backed off, not raised
    scheduler.start()
    try:
        wait_for(lambda: job_status(access, job_id) == "done", f"job {job_id} done", SCHEDULED)
    finally:
        scheduler.shutdown()
    assert list_run_numbers(access, 0, 10**9) == [JOB_FIRST, JOB_FIRST + 1]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_up_to_a_minute_and_resets() -> None:
    clock = FakeClock()
    backoff = Backoff(clock)
    assert backoff.ready()
    delays = [backoff.failed() for _ in range(9)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]
    assert not backoff.ready()
    clock.now += MAX_BACKOFF_SECONDS - 0.5
    assert not backoff.ready()
    clock.now += 0.5
    assert backoff.ready()

    backoff.succeeded()
    assert backoff.ready()
    assert backoff.failed() == 1.0
    clock.now += 0.9
    assert not backoff.ready()
    clock.now += 0.1
    assert backoff.ready()
    assert backoff.failed() == 2.0
