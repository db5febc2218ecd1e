"""The scalar rollup: min, max, sum and count of every scalar per bucket of ``ROLLUP_RUNS`` runs.

A trend over a million runs reads a thousand buckets instead of a million values. Where TimescaleDB's licence allows
continuous aggregates, ``scalar_rollup_1000`` (migration 1) is the rollup; elsewhere ingest keeps ``scalar_rollup`` up
to date in the run's own transaction: a new run adds its values to its bucket, a run stored again has its bucket
counted afresh. NaN is left out of every figure, as a trend draws no point for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg

#: runs per rollup bucket, as the continuous aggregate's time_bucket(1000, run)
ROLLUP_RUNS = 1000
#: the table's pages keep room for a new version of each row, so that ingest's updates stay on the page (HOT) and
#: need no VACUUM to stay small
ROLLUP_FILLFACTOR = 50

_BUCKET_SQL = f"(run - ((run % {ROLLUP_RUNS}) + {ROLLUP_RUNS}) % {ROLLUP_RUNS})"
_AGGREGATES_SQL = (
    "min(nullif(value, 'NaN')), max(nullif(value, 'NaN')), sum(nullif(value, 'NaN')), count(nullif(value, 'NaN'))"
)


def bucket_of(run: int) -> int:
    """The first run of the bucket ``run`` falls in."""
    return run - run % ROLLUP_RUNS


def create_rollup(conn: psycopg.Connection[Any]) -> None:
    """Create ``scalar_rollup`` and fill it from the scalars already stored."""
    conn.execute(
        "CREATE TABLE scalar_rollup (observable_id integer NOT NULL, bucket integer NOT NULL, min float8, "
        "max float8, sum float8, n integer NOT NULL, PRIMARY KEY (observable_id, bucket)) "
        f"WITH (fillfactor = {ROLLUP_FILLFACTOR})"
    )
    conn.execute(
        f"INSERT INTO scalar_rollup SELECT observable_id, {_BUCKET_SQL} AS bucket, {_AGGREGATES_SQL} "
        "FROM scalars GROUP BY observable_id, bucket"
    )


def add_to_rollup(
    cur: psycopg.Cursor[Any], run: int, observable_ids: np.ndarray[Any, Any], values: np.ndarray[Any, Any]
) -> None:
    """Count a run that was not stored before into its bucket (one row per observable, updated in place)."""
    if observable_ids.size == 0:
        return
    order = np.argsort(observable_ids, kind="stable")  # a fixed lock order keeps concurrent ingests from deadlocking
    cur.execute(
        """
        INSERT INTO scalar_rollup AS r (observable_id, bucket, min, max, sum, n)
        SELECT id, %(bucket)s, nullif(v, 'NaN'), nullif(v, 'NaN'), nullif(v, 'NaN'), (v <> 'NaN')::integer
        FROM unnest(%(ids)s::integer[], %(values)s::float8[]) AS t(id, v)
        ON CONFLICT (observable_id, bucket) DO UPDATE SET
            min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
            sum = coalesce(r.sum + excluded.sum, r.sum, excluded.sum), n = r.n + excluded.n
        """,
        {"bucket": bucket_of(run), "ids": observable_ids[order].tolist(), "values": values[order].tolist()},
    )


def recount_rollup(cur: psycopg.Cursor[Any], run: int, observable_ids: Sequence[int]) -> None:
    """Count the bucket of a run stored again afresh for these observables (its old and new ones)."""
    if not observable_ids:
        return
    first = bucket_of(run)
    ids = sorted(set(observable_ids))
    cur.execute("DELETE FROM scalar_rollup WHERE observable_id = ANY(%s) AND bucket = %s", (ids, first))
    cur.execute(
        f"INSERT INTO scalar_rollup SELECT observable_id, %(first)s, {_AGGREGATES_SQL} FROM scalars "
        "WHERE observable_id = ANY(%(ids)s) AND run BETWEEN %(first)s AND %(last)s GROUP BY observable_id",
        {"ids": ids, "first": first, "last": first + ROLLUP_RUNS - 1},
    )
