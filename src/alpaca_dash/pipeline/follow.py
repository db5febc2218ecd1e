"""Following the source: ingest each newly finished run, oldest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import IngestResult, ingest_run
from alpaca_dash.pipeline.retry import record_attempt, retry_failed
from alpaca_dash.sources.base import FileRuns, RunSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import runs

if TYPE_CHECKING:
    from alpaca_dash.pipeline.quality import QualityEvaluator

#: how often a failed run is tried again when its file changes (``Settings.follow_retries``)
DEFAULT_RETRIES = 3


def newest_stored_run(db: Database) -> int | None:
    with db.begin() as conn:
        value = conn.execute(select(func.max(runs.c.run))).scalar()
    return None if value is None else int(value)


def follow_once(
    db: Database,
    store: ParquetStore,
    source: RunSource,
    *,
    max_runs: int = 10,
    backfill: int = 20,
    retries: int = DEFAULT_RETRIES,
    quality: QualityEvaluator | None = None,
) -> list[IngestResult]:
    """Ingest the runs the source has finished since the newest stored run, at most ``max_runs`` per call.

    On an empty database the last ``backfill`` runs are taken, so a new installation shows history at once. A run
    file still being written (``FileRuns.settled``) is waited for: it and the runs after it wait for the next call.
    A run of a files source that fails is recorded with its file's size and mtime, and tried again (at most
    ``retries`` times) when its file changes; other sources' failed runs are re-ingested as a range.
    """
    files = source if isinstance(source, FileRuns) else None

    def ingest(run: int) -> IngestResult:
        return ingest_run(db, store, source, run, quality=quality)

    results = [] if files is None else retry_failed(db, files, ingest, retries=retries)
    latest = source.latest_run()
    if latest is None:
        return results
    stored = newest_stored_run(db)
    first = latest - backfill + 1 if stored is None else stored + 1
    for run in source.available_runs(first, latest)[:max_runs]:
        if files is None:
            results.append(ingest(run))
            continue
        signature = files.signature(run)
        if signature is None or not files.settled(run):
            break  # still being written: the next look takes it, in order
        result = ingest(run)
        if not result.ok:
            record_attempt(db, run, signature, result)
        results.append(result)
    return results
