"""Ingest errors: what could not be stored, per run and observable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.schema import ingest_errors


@dataclass(frozen=True)
class IngestError:
    run: int
    observable: str
    message: str
    job_id: int | None
    created_at: datetime


def list_errors(
    access: DataAccess,
    *,
    run: int | None = None,
    job_id: int | None = None,
    limit: int = 100,
    first: int | None = None,
    last: int | None = None,
) -> list[IngestError]:
    """The newest errors first, optionally of one run, of runs ``first`` to ``last``, or of one job; an empty
    observable means the whole run failed."""
    query = select(ingest_errors).order_by(ingest_errors.c.id.desc()).limit(limit)
    if run is not None:
        query = query.where(ingest_errors.c.run == run)
    if first is not None:
        query = query.where(ingest_errors.c.run >= first)
    if last is not None:
        query = query.where(ingest_errors.c.run <= last)
    if job_id is not None:
        query = query.where(ingest_errors.c.job_id == job_id)
    with access.db.begin() as conn:
        return [IngestError(r.run, r.observable, r.message, r.job_id, r.created_at) for r in conn.execute(query)]
