"""The ingest job queue as its users see it: queue a range, list and read jobs, ask one to stop.

The worker's side of the same table (claiming, progress, finishing) is ``pipeline.jobs``.
"""

from __future__ import annotations

import socket
from typing import Any

from sqlalchemy import func, select, true, update

from alpaca_dash.domain import QUALITY_SOURCE, Job, JobKind, JobStatus, Role
from alpaca_dash.processes import alive, this_process
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import User, may_act
from alpaca_dash.timescale import job_store
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import ingest_jobs


class NotYourJob(PermissionError):
    """Only the user who queued a job, or an admin, may cancel it."""


def create_job(
    access: DataAccess,
    *,
    source: str,
    first_run: int,
    last_run: int,
    created_by: str = "",
    run_here: bool = False,
    options: dict[str, Any] | None = None,
) -> int:
    """Record a range job: queued for the scheduler (which looks for queued jobs every second), or, with
    ``run_here``, already running in the calling process (the CLI), which the scheduler then leaves alone.

    A job whose ``source`` is :data:`QUALITY_SOURCE` judges the stored runs of its range again instead of ingesting.
    """
    status = JobStatus.RUNNING if run_here else JobStatus.QUEUED
    queued_kind = JobKind.QUALITY if source == QUALITY_SOURCE else JobKind.RANGE
    return job_store.insert_job(
        access.db,
        kind=JobKind.CLI if run_here else queued_kind,
        source=source,
        first_run=first_run,
        last_run=last_run,
        status=status,
        created_by=created_by,
        options={**(options or {}), **(this_process() if run_here else {})},
    )


def get_job(access: DataAccess, job_id: int) -> Job | None:
    with access.db.begin() as conn:
        row = conn.execute(select(ingest_jobs).where(ingest_jobs.c.id == job_id)).first()
    return None if row is None else Job.from_row(row._mapping)


def list_jobs(access: DataAccess, *, limit: int = 50) -> list[Job]:
    """The newest jobs first."""
    with access.db.begin() as conn:
        rows = conn.execute(select(ingest_jobs).order_by(ingest_jobs.c.id.desc()).limit(limit))
        return [Job.from_row(row._mapping) for row in rows]


def request_cancel(access: DataAccess, job_id: int, *, by: User | None = None) -> bool:
    """Ask a queued or running job to stop; a queued one is cancelled at once.

    :param by: the acting user: only the one who queued the job or an admin may (read in the same statement; an
        account that is no enabled editor may not at all). None: a trusted caller such as the CLI.
    :returns: False when the job does not exist or has already finished.
    :raises NotYourJob: when the job is under way but ``by`` may not cancel it.
    """
    allowed = (
        true()
        if by is None
        else may_act(by.id, Role.ADMIN) | ((ingest_jobs.c.created_by == by.name) & may_act(by.id, Role.EDITOR))
    )
    active = ingest_jobs.c.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])
    with access.db.begin() as conn:
        status = conn.execute(
            update(ingest_jobs)
            .where(ingest_jobs.c.id == job_id, active, allowed)
            .values(cancel_requested=True)
            .returning(ingest_jobs.c.status)
        ).scalar()
        if status is None and conn.execute(select(ingest_jobs.c.id).where(ingest_jobs.c.id == job_id, active)).first():
            raise NotYourJob(f"job {job_id} is not yours: only the user who queued it or an admin may cancel it")
        if status == JobStatus.QUEUED:
            conn.execute(
                update(ingest_jobs)
                .where(ingest_jobs.c.id == job_id)
                .values(status=JobStatus.CANCELLED.value, finished_at=func.now(), message="cancelled before it started")
            )
    return status is not None


def fail_dead_cli_jobs(access: DataAccess) -> int:
    """Mark failed the CLI jobs of this host still 'running' whose process is gone (killed, crashed, machine
    restarted); jobs of other hosts are left to their own. :returns: how many were marked."""
    return end_dead_cli_jobs(access.db)


def end_dead_cli_jobs(db: Database) -> int:
    """:func:`fail_dead_cli_jobs` for the scheduler, which holds a database rather than a DataAccess."""
    host = socket.gethostname()
    query = select(ingest_jobs.c.id, ingest_jobs.c.options).where(
        ingest_jobs.c.status == JobStatus.RUNNING, ingest_jobs.c.kind == JobKind.CLI
    )
    with db.begin() as conn:
        rows = conn.execute(query).all()
        dead = [
            (row.id, row.options["pid"])
            for row in rows
            if row.options.get("host") == host
            and isinstance(row.options.get("pid"), int)
            and not alive(row.options["pid"], row.options.get("started"))
        ]
        for job_id, pid in dead:
            conn.execute(
                update(ingest_jobs)
                .where(ingest_jobs.c.id == job_id, ingest_jobs.c.status == JobStatus.RUNNING)
                .values(
                    status=JobStatus.FAILED.value,
                    finished_at=func.now(),
                    message=f"the ingest process (pid {pid} on {host}) ended without finishing the job",
                )
            )
    return len(dead)
