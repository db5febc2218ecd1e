"""Failed runs of a files source, tried again when their file changes: a run file that was read half-written, or
replaced by a corrected one, is ingested once it is whole, a bounded number of times, each attempt recorded."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, insert, select

from alpaca_dash.domain import RunStatus
from alpaca_dash.pipeline.ingest import IngestResult
from alpaca_dash.sources.base import FileRuns, FileSignature
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import ingest_attempts, runs

log = logging.getLogger(__name__)

#: failed runs looked at per follow, newest first
RETRY_WINDOW = 100


def record_attempt(db: Database, run: int, signature: FileSignature, result: IngestResult) -> None:
    """Note an ingest of ``run`` from a file with ``signature`` and how it went."""
    message = "; ".join(text for _, text in result.errors[:1]) if not result.ok else ""
    row = {"run": run, "size": signature[0], "mtime_ns": signature[1], "ok": result.ok, "message": message}
    with db.begin() as conn:
        conn.execute(insert(ingest_attempts).values(**row))


def retry_failed(
    db: Database, source: FileRuns, ingest: Callable[[int], IngestResult], *, retries: int
) -> list[IngestResult]:
    """Ingest again each recent failed run whose file has settled with another size or mtime than at its last
    attempt, while it has had at most ``retries`` attempts after the first."""
    if retries <= 0:
        return []
    attempts = (
        select(
            ingest_attempts.c.run,
            func.count().label("n"),
            func.max(ingest_attempts.c.id).label("last"),
        )
        .group_by(ingest_attempts.c.run)
        .subquery()
    )
    query = (
        select(runs.c.run, attempts.c.n, ingest_attempts.c.size, ingest_attempts.c.mtime_ns)
        .join(attempts, attempts.c.run == runs.c.run)
        .join(ingest_attempts, ingest_attempts.c.id == attempts.c.last)
        .where(runs.c.status == RunStatus.FAILED.value, attempts.c.n <= retries)
        .order_by(runs.c.run.desc())
        .limit(RETRY_WINDOW)
    )
    with db.begin() as conn:
        failed = conn.execute(query).all()
    results = []
    for run, count, size, mtime_ns in failed:
        signature = source.signature(run)
        if signature is None or signature == (size, mtime_ns) or not source.settled(run):
            continue
        log.info("run %d: its file changed since attempt %d failed; ingesting it again", run, count)
        result = ingest(run)
        record_attempt(db, run, signature, result)
        results.append(result)
    return results
