"""The checks' judge of a command that ingests a few runs and ends (``alpaca-dash ingest``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.timescale.database import Database

if TYPE_CHECKING:
    from alpaca_dash.pipeline.quality import QualityEvaluator


def judge_for_command(
    db: Database, store: ParquetStore, settings: Settings, first: int, last: int
) -> QualityEvaluator | None:
    """A judge on a thread of the command (a process would cost it a second to start), or None when there is
    nothing to judge: no check enabled and no result stored for a run of ``first``..``last`` (which re-ingesting the
    run would make stale). Then neither the checks nor the notifier are loaded: judging with the demo's four checks
    takes a one-run ingest process from 0.32 s to 0.56 s, mostly SQLAlchemy's and the checks' models' imports
    (bench cli)."""
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM quality_checks WHERE enabled) "
            "OR EXISTS (SELECT 1 FROM quality_results WHERE run BETWEEN %s AND %s)",
            (first, last),
        ).fetchone()
    if row is None or not row[0]:
        return None
    from alpaca_dash.alarms.contact_points import notify_of
    from alpaca_dash.pipeline.quality import QualityEvaluator

    return QualityEvaluator(db, store, notify=notify_of(settings), own_process=False)
