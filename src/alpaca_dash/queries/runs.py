"""Runs: the list, one run, the newest, and a run's neighbours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select

from alpaca_dash.domain import Run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.schema import runs


def _to_run(row: Row[Any]) -> Run:
    return Run(
        run=row.run,
        start=row.start_time,
        end=row.end_time,
        status=row.status,
        ingested_at=row.ingested_at,
        source=row.source,
        comment=row.comment,
        tags=tuple(row.tags),
        good=row.good,
        observable_count=row.observable_count,
        error_count=row.error_count,
    )


def list_runs(access: DataAccess, *, limit: int = 50, before: int | None = None) -> list[Run]:
    """The newest runs first, at most ``limit``, optionally only those below run ``before``."""
    query = select(runs).order_by(runs.c.run.desc()).limit(limit)
    if before is not None:
        query = query.where(runs.c.run < before)
    with access.db.begin() as conn:
        return [_to_run(row) for row in conn.execute(query)]


def get_run(access: DataAccess, run: int) -> Run | None:
    with access.db.begin() as conn:
        row = conn.execute(select(runs).where(runs.c.run == run)).first()
    return None if row is None else _to_run(row)


def latest_run(access: DataAccess) -> int | None:
    """The newest successfully ingested run."""
    with access.db.begin() as conn:
        value = conn.execute(select(func.max(runs.c.run)).where(runs.c.status == "ingested")).scalar()
    return None if value is None else int(value)


def adjacent_runs(access: DataAccess, run: int) -> tuple[int | None, int | None]:
    """The ingested runs just before and just after ``run``."""
    ingested = runs.c.status == "ingested"
    with access.db.begin() as conn:
        before = conn.execute(select(func.max(runs.c.run)).where(ingested, runs.c.run < run)).scalar()
        after = conn.execute(select(func.min(runs.c.run)).where(ingested, runs.c.run > run)).scalar()
    return before, after


def count_runs(access: DataAccess) -> int:
    with access.db.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(runs)).scalar_one())


def list_run_numbers(access: DataAccess, first: int, last: int) -> list[int]:
    """The ingested runs between ``first`` and ``last`` inclusive, ascending."""
    query = (
        select(runs.c.run)
        .where(runs.c.run >= first, runs.c.run <= last, runs.c.status == "ingested")
        .order_by(runs.c.run)
    )
    with access.db.begin() as conn:
        return [int(value) for value in conn.execute(query).scalars()]
