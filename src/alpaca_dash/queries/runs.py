"""Runs: the list, one run, the newest, and a run's neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Row, Select, exists, false, func, select, true, update

from alpaca_dash.domain import Run, RunStatus
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, may_act
from alpaca_dash.run_range import MAX_RUN, is_run_number
from alpaca_dash.timescale.reader import copy_columns
from alpaca_dash.timescale.schema import quality_results, run_tags, runs


def _to_run(row: Row[Any]) -> Run:
    return Run(
        run=row.run,
        start=row.start_time,
        end=row.end_time,
        status=RunStatus(row.status),
        ingested_at=row.ingested_at,
        source=row.source,
        comment=row.comment,
        tags=tuple(row.tags),
        good=row.good,
        observable_count=row.observable_count,
        error_count=row.error_count,
        suspect=bool(row._mapping.get("suspect", False)),
    )


#: a check of the run in alarm and no editor's verdict since (one probe of the results' key per run)
SUSPECT = (
    ~runs.c.reviewed & exists().where(quality_results.c.run == runs.c.run, quality_results.c.state == "alarm")
).label("suspect")


@dataclass(frozen=True)
class RunFilter:
    """What the runs table shows; every field left at its default filters nothing."""

    first: int | None = None
    last: int | None = None
    good: bool | None = None
    status: RunStatus | None = None
    tag: str | None = None
    text: str = ""
    with_errors: bool = False
    #: runs that started at or after ``since`` and before ``until`` (runs without a start time never match)
    since: datetime | None = None
    until: datetime | None = None


def list_runs(
    access: DataAccess, *, limit: int = 50, before: int | None = None, where: RunFilter | None = None
) -> list[Run]:
    """The newest runs first, at most ``limit``, optionally only those below run ``before`` and matching ``where``.

    Pages through every run by keyset: the next page is the one ``before`` the last run of this one.
    """
    with access.db.begin() as conn:
        return [_to_run(row) for row in conn.execute(runs_query(limit=limit, before=before, where=where))]


def runs_query(*, limit: int, before: int | None = None, where: RunFilter | None = None) -> Select[Any]:
    """The query of :func:`list_runs`; each filter has an index that serves it in run order at a million runs."""
    f = where or RunFilter()
    query = select(runs, SUSPECT)
    if any("\x00" in text for text in (f.text, f.tag or "", f.status or "")):
        return query.where(false())  # no comment, tag or status holds NUL (and the database would refuse it)
    key = runs.c.run
    if f.tag:  # the tag's newest runs are a backward walk of its own key (run_tags), not of every run's
        key = run_tags.c.run
        query = query.join(run_tags, key == runs.c.run).where(run_tags.c.tag == f.tag)
    query = query.order_by(key.desc()).limit(limit)
    if before is not None:
        query = query.where(key < _clamp(before))
    if f.first is not None:
        query = query.where(key >= _clamp(f.first))
    if f.last is not None:
        query = query.where(key <= _clamp(f.last))
    if f.good is not None:
        query = query.where(runs.c.good == f.good)
    if f.status:
        query = query.where(runs.c.status == f.status)
    if f.text:
        query = query.where(runs.c.comment.ilike("%" + escape_like(f.text) + "%", escape="\\"))
    if f.with_errors:
        query = query.where(runs.c.error_count > 0)
    if f.since is not None:
        query = query.where(runs.c.start_time >= f.since)
    if f.until is not None:
        query = query.where(runs.c.start_time < f.until)
    return query


def _clamp(run: int) -> int:
    """A bound for a run comparison that the 32-bit column can take: beyond it, the same set of runs."""
    return min(max(run, -(2**31)), MAX_RUN)


def get_run(access: DataAccess, run: int) -> Run | None:
    if not is_run_number(run):
        return None
    with access.db.begin() as conn:
        row = conn.execute(select(runs, SUSPECT).where(runs.c.run == run)).first()
    return None if row is None else _to_run(row)


def latest_run(access: DataAccess) -> int | None:
    """The newest successfully ingested run."""
    with access.db.begin() as conn:
        value = conn.execute(select(func.max(runs.c.run)).where(runs.c.status == RunStatus.INGESTED)).scalar()
    return None if value is None else int(value)


def neighbour_run(access: DataAccess, run: int | None, *, forward: bool) -> Run | None:
    """The ingested run just after (``forward``) or just before ``run``; with ``run`` None, the newest."""
    query = select(runs).where(runs.c.status == RunStatus.INGESTED).limit(1)
    if run is None or forward is False:
        query = query.order_by(runs.c.run.desc())
    else:
        query = query.order_by(runs.c.run)
    if run is not None:
        query = query.where(runs.c.run > _clamp(run) if forward else runs.c.run < _clamp(run))
    with access.db.begin() as conn:
        row = conn.execute(query).first()
    return None if row is None else _to_run(row)


def list_run_numbers(access: DataAccess, first: int, last: int) -> list[int]:
    """The ingested runs between ``first`` and ``last`` inclusive, ascending."""
    ordered: list[int] = run_number_array(access, first, last).tolist()
    return ordered


def run_number_array(access: DataAccess, first: int, last: int) -> np.ndarray[Any, np.dtype[np.int32]]:
    """As ``list_run_numbers``, as an int32 array: a million runs as rows cost SQLAlchemy and psycopg 15 s, as Python
    ints still a tenth of a second (bench P13's export)."""
    query = "SELECT run FROM runs WHERE run BETWEEN %s AND %s AND status = %s"
    with access.db.begin() as conn:
        raw = conn.connection.driver_connection
        bounds = (_clamp(first), _clamp(last), RunStatus.INGESTED.value)
        (numbers,) = copy_columns(raw, query, bounds, ["int4"])  # type: ignore[arg-type]
    return np.sort(numbers)


def count_runs_below(access: DataAccess, before: int) -> int:
    """How many runs have a number below ``before`` (what retention would delete)."""
    with access.db.begin() as conn:
        return int(conn.execute(select(func.count()).where(runs.c.run < before)).scalar_one())


def list_run_notes(access: DataAccess, first: int, last: int, *, limit: int) -> dict[int, str]:
    """The comment and tags of each run between ``first`` and ``last`` that has either, newest first."""
    query = (
        select(runs.c.run, runs.c.comment, runs.c.tags)
        .where(runs.c.run >= first, runs.c.run <= last, (runs.c.comment != "") | (func.cardinality(runs.c.tags) > 0))
        .order_by(runs.c.run.desc())
        .limit(limit)
    )
    with access.db.begin() as conn:
        rows = conn.execute(query).all()
    return {int(row.run): " · ".join(part for part in [row.comment, ", ".join(row.tags)] if part) for row in rows}


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


MAX_COMMENT = 2000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40


class RunEditError(ValueError):
    """A run edit that is refused: unknown run, or a comment or tags out of bounds."""


def update_run_meta(
    access: DataAccess,
    run: int,
    *,
    comment: str | None = None,
    tags: list[str] | None = None,
    good: bool | None = None,
    by_user: int | None = None,
) -> Run:
    """Change what users own of a run: its comment, tags and good/bad flag (ingest never overwrites these); setting
    the flag marks the run reviewed, so it is no longer suspect.

    :param by_user: the acting user's id: the change is made only if that account is an enabled editor or admin,
        read in the same statement (None: a trusted caller such as the CLI).
    :raises RunEditError: when the run does not exist, the user may not change runs, or the comment or tags are
        too long or hold a NUL character, or a failed run is to be marked good.
    """
    values: dict[str, Any] = {}
    if comment is not None:
        if len(comment) > MAX_COMMENT:
            raise RunEditError(f"the comment is longer than {MAX_COMMENT} characters")
        if "\x00" in comment:
            raise RunEditError("the comment holds a NUL character")
        values["comment"] = comment
    if tags is not None:
        cleaned = sorted({t.strip() for t in tags if t.strip()})
        if len(cleaned) > MAX_TAGS or any(len(t) > MAX_TAG_LENGTH for t in cleaned):
            raise RunEditError(f"at most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters")
        if any("\x00" in t for t in cleaned):
            raise RunEditError("a tag holds a NUL character")
        values["tags"] = cleaned
    if good is not None:  # an editor's verdict: the run is no longer suspect, whatever its checks say
        values["good"] = good
        values["reviewed"] = True
    if not is_run_number(run):
        raise RunEditError(f"run {run} does not exist")
    allowed = true() if by_user is None else may_act(by_user, Role.EDITOR)
    with access.db.begin() as conn:
        if good:
            status = conn.execute(select(runs.c.status).where(runs.c.run == run)).scalar()
            if status is not None and status != RunStatus.INGESTED.value:
                raise RunEditError(f"run {run} {status}: its values were not stored, so it cannot be marked good")
        if values:
            statement = update(runs).where(runs.c.run == run, allowed).values(**values).returning(*runs.c)
            row = conn.execute(statement).first()
            if (
                row is None
                and by_user is not None
                and conn.execute(select(runs.c.run).where(runs.c.run == run)).first()
            ):
                raise RunEditError("only an enabled editor or admin may change runs")
        else:
            row = conn.execute(select(runs).where(runs.c.run == run)).first()
    if row is None:
        raise RunEditError(f"run {run} does not exist")
    return _to_run(row)
