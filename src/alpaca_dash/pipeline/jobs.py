"""Ingest jobs in the database: queued by anyone, claimed and run by the one scheduler holding the lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import IngestResult, RangeResult, ingest_range
from alpaca_dash.sources.base import RunSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import ingest_jobs

FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    source: str
    first_run: int
    last_run: int
    status: str
    total: int
    done: int
    failed: int
    cancel_requested: bool
    message: str
    options: dict[str, Any]
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _to_job(row: Row[Any]) -> Job:
    return Job(**{column: getattr(row, column) for column in Job.__dataclass_fields__})


def create_job(
    db: Database,
    *,
    source: str,
    first_run: int,
    last_run: int,
    created_by: str = "",
    run_here: bool = False,
    options: dict[str, Any] | None = None,
) -> int:
    """Record a range job: queued for the scheduler (which looks for queued jobs every second), or, with
    ``run_here``, already running in the calling process (the CLI), which the scheduler then leaves alone."""
    status = "running" if run_here else "queued"
    with db.begin() as conn:
        job_id = conn.execute(
            ingest_jobs.insert()
            .values(
                kind="cli" if run_here else "range",
                source=source,
                first_run=first_run,
                last_run=last_run,
                status=status,
                total=last_run - first_run + 1,
                created_by=created_by,
                options=options or {},
                started_at=func.now() if status == "running" else None,
            )
            .returning(ingest_jobs.c.id)
        ).scalar_one()
    return int(job_id)


def claim_next_job(db: Database) -> Job | None:
    """Mark the oldest queued job running and return it; None when the queue is empty."""
    oldest = (
        select(ingest_jobs.c.id)
        .where(ingest_jobs.c.status == "queued")
        .order_by(ingest_jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claim = (
        update(ingest_jobs)
        .where(ingest_jobs.c.id == oldest)
        .values(status="running", started_at=func.now())
        .returning(*ingest_jobs.c)
    )
    with db.begin() as conn:
        row = conn.execute(claim).first()
    return None if row is None else _to_job(row)


def get_job(db: Database, job_id: int) -> Job | None:
    with db.begin() as conn:
        row = conn.execute(select(ingest_jobs).where(ingest_jobs.c.id == job_id)).first()
    return None if row is None else _to_job(row)


def list_jobs(db: Database, *, limit: int = 50) -> list[Job]:
    with db.begin() as conn:
        rows = conn.execute(select(ingest_jobs).order_by(ingest_jobs.c.id.desc()).limit(limit))
        return [_to_job(row) for row in rows]


def request_cancel(db: Database, job_id: int) -> bool:
    """Ask a queued or running job to stop; a queued one is cancelled at once.

    :returns: False when the job does not exist or has already finished.
    """
    with db.begin() as conn:
        status = conn.execute(
            update(ingest_jobs)
            .where(ingest_jobs.c.id == job_id, ingest_jobs.c.status.in_(["queued", "running"]))
            .values(cancel_requested=True)
            .returning(ingest_jobs.c.status)
        ).scalar()
        if status == "queued":
            conn.execute(
                update(ingest_jobs)
                .where(ingest_jobs.c.id == job_id)
                .values(status="cancelled", finished_at=func.now(), message="cancelled before it started")
            )
    return status is not None


def record_progress(db: Database, job_id: int, outcome: IngestResult) -> bool:
    """Count one run as done or failed.

    :returns: whether cancellation has been requested meanwhile.
    """
    column = ingest_jobs.c.done if outcome.ok else ingest_jobs.c.failed
    with db.begin() as conn:
        cancel = conn.execute(
            update(ingest_jobs)
            .where(ingest_jobs.c.id == job_id)
            .values({column: column + 1})
            .returning(ingest_jobs.c.cancel_requested)
        ).scalar()
    return bool(cancel)


def finish_job(db: Database, job_id: int, result: RangeResult) -> None:
    status = "cancelled" if result.cancelled else "done"
    message = f"{len(result.ingested)} ingested, {len(result.failed)} failed, {len(result.missing)} not in the source"
    with db.begin() as conn:
        conn.execute(
            update(ingest_jobs)
            .where(ingest_jobs.c.id == job_id)
            .values(status=status, message=message, finished_at=func.now(), total=result.requested)
        )


def fail_job(db: Database, job_id: int, message: str) -> None:
    with db.begin() as conn:
        conn.execute(
            update(ingest_jobs)
            .where(ingest_jobs.c.id == job_id)
            .values(status="failed", message=message[:2000], finished_at=func.now())
        )


def run_job(db: Database, store: ParquetStore, source: RunSource, job: Job) -> RangeResult:
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
        )
    except Exception as exc:
        fail_job(db, job.id, f"{type(exc).__name__}: {exc}")
        raise
    finish_job(db, job.id, result)
    return result


def reset_stale_jobs(db: Database) -> int:
    """Requeue jobs left 'running' by a scheduler that died; called by the new lock holder before claiming."""
    with db.begin() as conn:
        result = conn.execute(
            update(ingest_jobs)
            .where(ingest_jobs.c.status == "running", ingest_jobs.c.kind == "range")
            .values(status="queued", started_at=None, done=0, failed=0)
        )
    return int(result.rowcount)
