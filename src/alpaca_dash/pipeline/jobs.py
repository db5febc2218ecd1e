"""The worker's side of the ingest job queue: claimed and run by the one scheduler holding the lock (or by the CLI).

Queueing, listing and cancelling jobs is ``queries.jobs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpaca_dash.domain import Job, JobKind, JobStatus
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import IngestResult, RangeResult, ingest_range
from alpaca_dash.processes import this_process
from alpaca_dash.sources.base import RunSource
from alpaca_dash.timescale import job_store
from alpaca_dash.timescale.database import Database

if TYPE_CHECKING:
    from alpaca_dash.pipeline.quality import QualityEvaluator, QualityRangeResult, RunVerdict


def claim_next_job(db: Database) -> Job | None:
    """Mark the oldest queued job running and return it; None when the queue is empty."""
    return job_store.claim_next_job(db)


def start_cli_job(db: Database, *, source: str, first_run: int, last_run: int) -> int:
    """Record a job that the calling command runs itself (the scheduler leaves it alone). :returns: its id."""
    return job_store.insert_job(
        db,
        kind=JobKind.CLI,
        source=source,
        first_run=first_run,
        last_run=last_run,
        status=JobStatus.RUNNING,
        options=this_process(),
    )


def record_progress(db: Database, job_id: int, outcome: IngestResult) -> bool:
    """Count one run as done or failed.

    :returns: whether cancellation has been requested meanwhile.
    """
    return count_run(db, job_id, ok=outcome.ok)


def count_run(db: Database, job_id: int, *, ok: bool) -> bool:
    """Count one run of any job as done or failed. :returns: whether cancellation has been requested meanwhile."""
    return job_store.count_run(db, job_id, ok=ok)


def finish_job(db: Database, job_id: int, result: RangeResult) -> None:
    message = f"{len(result.ingested)} ingested, {len(result.failed)} failed, {len(result.missing)} not in the source"
    close_job(db, job_id, cancelled=result.cancelled, message=message, total=result.requested)


def close_job(db: Database, job_id: int, *, cancelled: bool, message: str, total: int) -> None:
    """Mark a job done (or cancelled) with its summary."""
    job_store.end_job(db, job_id, JobStatus.CANCELLED if cancelled else JobStatus.DONE, message, total=total)


def fail_job(db: Database, job_id: int, message: str) -> None:
    job_store.end_job(db, job_id, JobStatus.FAILED, message)


def run_job(
    db: Database, store: ParquetStore, source: RunSource, job: Job, *, quality: QualityEvaluator | None = None
) -> RangeResult:
    """Run a claimed range job to the end, recording progress per run and stopping early when cancelled."""
    cancel = job.cancel_requested  # a requeued job may have been cancelled before its scheduler died

    def on_progress(outcome: IngestResult) -> None:
        nonlocal cancel
        cancel = record_progress(db, job.id, outcome)

    try:
        result = ingest_range(
            db,
            store,
            source,
            job.first_run,
            job.last_run,
            job_id=job.id,
            on_progress=on_progress,
            should_cancel=lambda: cancel,
            quality=quality,
        )
    except Exception as exc:
        fail_job(db, job.id, f"{type(exc).__name__}: {exc}")
        raise
    finish_job(db, job.id, result)
    return result


def run_quality_job(db: Database, store: ParquetStore, job: Job) -> QualityRangeResult:
    """Judge the stored runs of a claimed quality job again, recording progress and stopping when cancelled."""
    from alpaca_dash.pipeline.quality import evaluate_range

    cancel = job.cancel_requested

    def on_progress(run: int, verdict: RunVerdict | None) -> None:
        nonlocal cancel
        cancel = count_run(db, job.id, ok=verdict is not None)

    try:
        result = evaluate_range(
            db, store, job.first_run, job.last_run, on_progress=on_progress, should_cancel=lambda: cancel
        )
    except Exception as exc:
        fail_job(db, job.id, f"{type(exc).__name__}: {exc}")
        raise
    close_job(db, job.id, cancelled=result.cancelled, message=quality_summary(result), total=result.requested)
    return result


def quality_summary(result: QualityRangeResult) -> str:
    return f"{len(result.judged)} runs judged, {len(result.failed)} failed, {result.alarms} alarms"


def reset_stale_jobs(db: Database) -> int:
    """Requeue jobs left 'running' by a scheduler that died; called by the new lock holder before claiming."""
    return job_store.requeue_running_jobs(db, (JobKind.RANGE, JobKind.QUALITY))
