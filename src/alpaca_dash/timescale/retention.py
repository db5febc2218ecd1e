"""Retention: forget every run below a run number, its values, errors, rollup and sidecar references.

Years of runs grow the database by a fixed amount per run (docs/deployment.md); keeping the last N runs bounds it.
Under TimescaleDB whole chunks of the value tables are dropped (a file unlink, no dead rows to vacuum); the runs
of a chunk that also holds kept runs, and every run on plain PostgreSQL, are deleted by key per observable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.rollup import ROLLUP_RUNS, bucket_of, recount_rollup
from alpaca_dash.timescale.schema import VALUE_TABLES
from alpaca_dash.timescale.search_path import own_relation


@dataclass(frozen=True)
class PruneResult:
    runs: int
    files: list[str]  # sidecar files only the pruned runs referenced: remove them after the commit


def prune_runs(db: Database, before: int) -> PruneResult:
    """Delete every stored run numbered below ``before`` in one transaction.

    :returns: how many runs went, and the sidecar files to remove now that nothing references them.
    """
    with db.begin() as conn:
        cur: psycopg.Cursor[Any] = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute("DELETE FROM arrays2d WHERE run < %s RETURNING file", (before,))
        files = {row[0] for row in cur.fetchall()}
        if files:
            cur.execute("SELECT DISTINCT file FROM arrays2d WHERE file = ANY(%s)", (sorted(files),))
            files -= {row[0] for row in cur.fetchall()}
        cur.execute("SELECT to_regproc('drop_chunks') IS NOT NULL")
        hypertables = bool(cur.fetchone()[0])  # type: ignore[index]
        cur.execute("SELECT id FROM observables ORDER BY id")
        ids = [row[0] for row in cur.fetchall()]
        for table in VALUE_TABLES:
            if hypertables:
                cur.execute("SELECT count(*) FROM drop_chunks(to_regclass(%s), older_than => %s)", (table.name, before))
            cur.execute(f"DELETE FROM {table.name} WHERE observable_id = ANY(%s) AND run < %s", (ids, before))
        cur.execute("DELETE FROM ingest_errors WHERE run < %s", (before,))
        cur.execute("DELETE FROM run_tags WHERE run < %s", (before,))
        cur.execute("DELETE FROM runs WHERE run < %s", (before,))
        pruned = cur.rowcount
        cur.execute(f"SELECT {own_relation('scalar_rollup')} IS NOT NULL")
        if cur.fetchone()[0]:  # type: ignore[index]
            cur.execute("DELETE FROM scalar_rollup WHERE bucket < %s", (bucket_of(before),))
            if before % ROLLUP_RUNS:
                recount_rollup(cur, before, ids)
    return PruneResult(pruned, sorted(files))
