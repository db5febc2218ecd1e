"""Following the source: ingest each newly finished run, oldest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import IngestResult, ingest_run
from alpaca_dash.sources.base import RunSource
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import runs

if TYPE_CHECKING:
    from alpaca_dash.pipeline.quality import QualityEvaluator


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
    quality: QualityEvaluator | None = None,
) -> list[IngestResult]:
    """Ingest the runs the source has finished since the newest stored run, at most ``max_runs`` per call.

    On an empty database the last ``backfill`` runs are taken, so a new installation shows history at once.
    A run that fails stays recorded as failed and is not retried here; re-ingest it as a range.
    """
    latest = source.latest_run()
    if latest is None:
        return []
    stored = newest_stored_run(db)
    first = latest - backfill + 1 if stored is None else stored + 1
    pending = source.available_runs(first, latest)[:max_runs]
    return [ingest_run(db, store, source, run, quality=quality) for run in pending]
