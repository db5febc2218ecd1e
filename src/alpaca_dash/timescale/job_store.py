"""The rows of ``ingest_jobs``, in plain SQL: what both the queue's users and its workers write.

psycopg, not SQLAlchemy: a one-run ``alpaca-dash ingest`` records its job through here (bench cli).
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from alpaca_dash.domain import Job, JobKind, JobStatus
from alpaca_dash.timescale.database import Database

_MESSAGE_LIMIT = 2000


def insert_job(
    db: Database,
    *,
    kind: JobKind,
    source: str,
    first_run: int,
    last_run: int,
    status: JobStatus,
    created_by: str = "",
    options: dict[str, Any] | None = None,
) -> int:
    """Record a job of ``last_run - first_run + 1`` runs; a running one starts now. :returns: its id."""
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO ingest_jobs (kind, source, first_run, last_run, status, total, created_by, options, "
            "started_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END) RETURNING id",
            (
                kind.value,
                source,
                first_run,
                last_run,
                status.value,
                last_run - first_run + 1,
                created_by,
                Jsonb(options or {}),
                status == JobStatus.RUNNING,
            ),
        ).fetchone()
    assert row is not None
    return int(row[0])


def claim_next_job(db: Database) -> Job | None:
    """Mark the oldest queued job running and return it; None when the queue is empty."""
    with db.transaction() as conn:
        row = (
            conn.cursor(row_factory=dict_row)
            .execute(
                "UPDATE ingest_jobs SET status = %s, started_at = now() WHERE id = (SELECT id FROM ingest_jobs "
                "WHERE status = %s ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *",
                (JobStatus.RUNNING.value, JobStatus.QUEUED.value),
            )
            .fetchone()
        )
    return None if row is None else Job.from_row(row)


def count_run(db: Database, job_id: int, *, ok: bool) -> bool:
    """Count one run of a job as done or failed. :returns: whether cancellation has been requested meanwhile."""
    column = "done" if ok else "failed"
    with db.transaction() as conn:
        row = conn.execute(
            f"UPDATE ingest_jobs SET {column} = {column} + 1 WHERE id = %s RETURNING cancel_requested", (job_id,)
        ).fetchone()
    return row is not None and bool(row[0])


def end_job(db: Database, job_id: int, status: JobStatus, message: str, *, total: int | None = None) -> None:
    """Mark a job finished with ``status`` and its summary (and its final count of runs, when given)."""
    with db.transaction() as conn:
        conn.execute(
            "UPDATE ingest_jobs SET status = %s, message = %s, finished_at = now(), total = coalesce(%s, total) "
            "WHERE id = %s",
            (status.value, message[:_MESSAGE_LIMIT], total, job_id),
        )


def requeue_running_jobs(db: Database, kinds: tuple[JobKind, ...]) -> int:
    """Put every running job of ``kinds`` back in the queue, its progress reset. :returns: how many."""
    with db.transaction() as conn:
        cur = conn.execute(
            "UPDATE ingest_jobs SET status = %s, started_at = NULL, done = 0, failed = 0 "
            "WHERE status = %s AND kind = ANY(%s)",
            (JobStatus.QUEUED.value, JobStatus.RUNNING.value, [kind.value for kind in kinds]),
        )
    return cur.rowcount
