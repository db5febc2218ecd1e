"""APScheduler wiring only: a follow job and a job-queue poller, run by whichever process holds the ingest lock."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler

from alpaca_dash.alarms.contact_points import ContactPoint
from alpaca_dash.alarms.notifier import Notifier
from alpaca_dash.alarms.outbox import Notify
from alpaca_dash.domain import Job, JobKind
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline import jobs
from alpaca_dash.pipeline.follow import DEFAULT_RETRIES, follow_once
from alpaca_dash.pipeline.quality import QualityEvaluator
from alpaca_dash.queries.jobs import end_dead_cli_jobs
from alpaca_dash.sources.base import RunSource, SourceError
from alpaca_dash.timescale.database import Database, DatabaseUnavailable

log = logging.getLogger(__name__)

INGEST_LOCK = 0x494E4753  # "INGS": only the holder of this session lock ingests
# advisory locks are per database; the second key scopes the lock to the schema, so two installations (or test
# runs) in different schemas of one database do not block each other
_TRY_LOCK = "SELECT pg_try_advisory_lock(%s::integer, hashtext(current_schema()))"
_UNLOCK = "SELECT pg_advisory_unlock(%s::integer, hashtext(current_schema()))"
MAX_BACKOFF_SECONDS = 60.0
#: how often a scheduler looks for CLI jobs of its host whose process is gone (a killed ``ingest``)
DEAD_JOB_SECONDS = 30.0


class IngestLock:
    """A PostgreSQL session advisory lock on a dedicated connection; lost if that connection drops."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def try_acquire(self) -> bool:
        """Hold the lock, taking it if free; False when another process holds it or the database is down."""
        if self._conn is not None:
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                self.release()
                return False
        try:
            conn = self._db.connect_raw()
        except DatabaseUnavailable:
            return False
        try:
            row = conn.execute(_TRY_LOCK, (INGEST_LOCK,)).fetchone()
        except psycopg.OperationalError:
            conn.close()
            return False
        if row is not None and row[0]:
            self._conn = conn
            log.info("holding the ingest lock")
            return True
        conn.close()
        return False

    def release(self) -> None:
        """Give the lock up at once: unlocked before the connection closes, since the server frees a closed
        session's locks only when its backend has ended, a moment later (another scheduler could miss it)."""
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):  # a connection already gone holds nothing any more
                self._conn.execute(_UNLOCK, (INGEST_LOCK,))
            self._conn.close()
            self._conn = None

    @property
    def held(self) -> bool:
        return self._conn is not None


class Backoff:
    """Doubling delays after consecutive failures, reset by a success."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures = 0
        self._not_before = 0.0

    def ready(self) -> bool:
        return self._clock() >= self._not_before

    def failed(self) -> float:
        self._failures += 1
        delay = min(MAX_BACKOFF_SECONDS, 2.0 ** (self._failures - 1))
        self._not_before = self._clock() + delay
        return delay

    def succeeded(self) -> None:
        self._failures = 0
        self._not_before = 0.0


class IngestScheduler:
    """Follows the newest run and runs queued range jobs, only while this process holds the ingest lock.

    :param source_for: builds the source a job names (``simulated``, ``files``, ``alpaca``).

    Every run it commits is judged by the quality checks on the evaluator's own thread; the alarms go to the
    ``contact_points`` from the outbox (``notify``), delivered by a notifier thread.
    """

    def __init__(
        self,
        db: Database,
        store: ParquetStore,
        follow_source: RunSource | None,
        source_for: Callable[[str], RunSource],
        *,
        follow_interval: float = 2.0,
        follow_retries: int = DEFAULT_RETRIES,
        poll_interval: float = 1.0,
        dead_job_interval: float = DEAD_JOB_SECONDS,
        contact_points: Sequence[ContactPoint] = (),
        notify: Notify | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.follow_source = follow_source
        self.source_for = source_for
        self.lock = IngestLock(db)
        self._scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        self._follow_interval = follow_interval
        self.follow_retries = follow_retries
        self._poll_interval = poll_interval
        self._dead_job_interval = dead_job_interval
        self._follow_backoff = Backoff()
        self._stale_reset = False
        self._job_lock = threading.Lock()
        self.notifier = Notifier(db, contact_points)
        self.quality = QualityEvaluator(db, store, notify=notify, on_verdict=lambda _verdict: self.notifier.wake())

    def start(self) -> None:
        if self.follow_source is not None:
            self._scheduler.add_job(
                self.follow_tick, "interval", seconds=self._follow_interval, id="follow", misfire_grace_time=300
            )
        self._scheduler.add_job(
            self.jobs_tick, "interval", seconds=self._poll_interval, id="jobs", misfire_grace_time=300
        )
        # whether or not this process holds the ingest lock: the CLI jobs it can judge are those of its own host
        self._scheduler.add_job(
            self.dead_jobs_tick,
            "interval",
            seconds=self._dead_job_interval,
            id="dead-cli-jobs",
            next_run_time=datetime.now(UTC),
            misfire_grace_time=300,
        )
        self._scheduler.start()
        self.notifier.start()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the ticks (waiting for a running one unless ``wait`` is False) and release the ingest lock."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
            log.info("ingest scheduler stopped")
        self.quality.close(wait=wait)
        self.notifier.stop()
        self.lock.release()

    def follow_tick(self) -> None:
        """One look for newly finished runs; failures back off up to a minute."""
        if self.follow_source is None or not self._follow_backoff.ready() or not self.lock.try_acquire():
            return
        try:
            follow_once(self.db, self.store, self.follow_source, retries=self.follow_retries, quality=self.quality)
        except (DatabaseUnavailable, SourceError, OSError) as exc:
            delay = self._follow_backoff.failed()
            log.warning("follow failed (%s); next try in %.0f s", exc, delay)
            return
        self._follow_backoff.succeeded()

    def jobs_tick(self) -> None:
        """Run queued range jobs one after another until the queue is empty."""
        if not self.lock.try_acquire():
            return
        with self._job_lock:
            try:
                if not self._stale_reset:
                    requeued = jobs.reset_stale_jobs(self.db)
                    if requeued:
                        log.warning("requeued %d jobs left running by a previous scheduler", requeued)
                    self._stale_reset = True
                while (job := jobs.claim_next_job(self.db)) is not None:
                    self._run(job)
            except DatabaseUnavailable as exc:
                log.warning("job queue unavailable: %s", exc)

    def dead_jobs_tick(self) -> None:
        """Mark failed, with the reason, the CLI jobs of this host left 'running' by a process that is gone."""
        try:
            ended = end_dead_cli_jobs(self.db)
        except DatabaseUnavailable as exc:
            log.warning("job queue unavailable: %s", exc)
            return
        if ended:
            log.warning("marked failed %d CLI jobs whose process is gone", ended)

    def _run(self, job: Job) -> None:
        log.info("job %d: runs %d-%d from %s", job.id, job.first_run, job.last_run, job.source)
        if job.kind is JobKind.QUALITY:
            try:
                jobs.run_quality_job(self.db, self.store, job)
            except Exception:
                log.exception("job %d failed", job.id)
            return
        try:
            source = self.source_for(job.source)
        except SourceError as exc:
            jobs.fail_job(self.db, job.id, str(exc))
            return
        try:
            jobs.run_job(self.db, self.store, source, job, quality=self.quality)
        except Exception:
            log.exception("job %d failed", job.id)
