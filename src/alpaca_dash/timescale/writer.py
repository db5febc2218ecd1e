"""The write side of one run: register observables, replace the run's values, all by binary COPY.

Every function here runs on a psycopg cursor inside the caller's transaction; committing is the caller's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import psycopg

from alpaca_dash.domain import DTYPE_CODES, ArrayStats, ObservableKind
from alpaca_dash.parquet_cache.store import StoredArray
from alpaca_dash.timescale import rollup
from alpaca_dash.timescale.binary_copy import HEADER, TRAILER, encode_row, encode_rows
from alpaca_dash.timescale.search_path import own_relation

#: scalar rows per binary COPY write (about 2.6 MB)
COPY_CHUNK_ROWS = 1 << 16


@dataclass(frozen=True)
class ObservableEntry:
    name: str
    kind: ObservableKind
    dtype: str
    shape: tuple[int, ...]
    unit: str | None


@dataclass(frozen=True)
class RunRow:
    run: int
    start: datetime | None
    end: datetime | None
    status: str
    source: str
    observable_count: int
    error_count: int


def lock_run(cur: psycopg.Cursor[Any], run: int) -> None:
    """Serialise writers of the same run (in this schema) until the transaction ends."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", (run,))


def register_observables(cur: psycopg.Cursor[Any], run: int, entries: Sequence[ObservableEntry]) -> dict[str, int]:
    """Insert new observables and move known ones forward, writing only the registry rows that change.

    ``last_run`` stays NULL while an observable is in the newest run, so a run that brings the same observables as
    the one before rewrites no row (the registry used to be rewritten whole by every ingest). When the newest run is
    stored, the observables it lacks get their last run.

    :returns: observable name to id.
    """
    if not entries:
        return {}
    ordered = sorted(entries, key=lambda e: e.name)  # a fixed lock order keeps concurrent ingests from deadlocking
    names = [e.name for e in ordered]
    cur.execute("SELECT coalesce(max(run), %s) <= %s FROM runs WHERE status = 'ingested'", (run, run))
    newest = bool(cur.fetchone()[0])  # type: ignore[index]
    cur.execute(
        """
        INSERT INTO observables AS o (name, path, kind, dtype, shape, unit, first_run, last_run, dtypes, kinds)
        SELECT n, string_to_array(n, '*'), k, d, string_to_array(s, ',')::integer[], u, %(run)s,
               CASE WHEN %(newest)s THEN NULL ELSE %(run)s END, ARRAY[d], ARRAY[k]
        FROM unnest(%(names)s::text[], %(kinds)s::text[], %(dtypes)s::text[], %(shapes)s::text[], %(units)s::text[])
             AS t(n, k, d, s, u)
        ON CONFLICT (name) DO UPDATE SET
            first_run = least(o.first_run, excluded.first_run),
            last_run = CASE WHEN o.last_run IS NULL OR excluded.last_run IS NULL THEN NULL
                            ELSE greatest(o.last_run, excluded.last_run) END,
            kind = CASE WHEN {later} THEN excluded.kind ELSE o.kind END,
            dtype = CASE WHEN {later} THEN excluded.dtype ELSE o.dtype END,
            shape = CASE WHEN {later} THEN excluded.shape ELSE o.shape END,
            unit = coalesce(excluded.unit, o.unit),
            dtypes = CASE WHEN excluded.dtype = ANY(o.dtypes) THEN o.dtypes ELSE o.dtypes || excluded.dtype END,
            kinds = CASE WHEN excluded.kind = ANY(o.kinds) THEN o.kinds ELSE o.kinds || excluded.kind END
        WHERE excluded.first_run < o.first_run
           OR (o.last_run IS NOT NULL AND (excluded.last_run IS NULL OR excluded.last_run > o.last_run))
           OR ({later} AND (o.kind, o.dtype, o.shape) IS DISTINCT FROM (excluded.kind, excluded.dtype, excluded.shape))
           OR (excluded.unit IS NOT NULL AND excluded.unit IS DISTINCT FROM o.unit)
           OR NOT excluded.dtype = ANY(o.dtypes)
           OR NOT excluded.kind = ANY(o.kinds)
        RETURNING id, name
        """.replace("{later}", _LATER_SQL),
        {
            "run": run,
            "newest": newest,
            "names": names,
            "kinds": [e.kind.value for e in ordered],
            "dtypes": [e.dtype for e in ordered],
            "shapes": [",".join(map(str, e.shape)) for e in ordered],
            "units": [e.unit for e in ordered],
        },
    )
    ids = {name: int(id_) for id_, name in cur.fetchall()}
    unchanged = [name for name in names if name not in ids]
    if unchanged:
        cur.execute("SELECT id, name FROM observables WHERE name = ANY(%s)", (unchanged,))
        ids.update((name, int(id_)) for id_, name in cur.fetchall())
    if newest:
        _close_missing(cur, run, names)
    return ids


#: whether the run being registered is at least as new as the registry row (whose kind, dtype and shape it then sets)
_LATER_SQL = "(CASE WHEN o.last_run IS NULL THEN excluded.last_run IS NULL ELSE excluded.first_run >= o.last_run END)"


def _close_missing(cur: psycopg.Cursor[Any], run: int, names: list[str]) -> None:
    """Give the observables the newest run lacks their last run: the newest run before it that holds a value.

    Asked first, as it is rare: planning the update costs 0.7 s on a hypertable of 1000 chunks (bench P13).
    """
    cur.execute("SELECT id FROM observables WHERE last_run IS NULL AND NOT name = ANY(%s)", (names,))
    missing = [row[0] for row in cur.fetchall()]
    if not missing:
        return
    cur.execute(
        """
        UPDATE observables o SET last_run = greatest(
            o.first_run,
            (SELECT max(s.run) FROM scalars s WHERE s.observable_id = o.id AND s.run < %(run)s),
            (SELECT max(a.run) FROM array_stats a WHERE a.observable_id = o.id AND a.run < %(run)s))
        WHERE o.id = ANY(%(ids)s)
        """,
        {"run": run, "ids": missing},
    )


def mark_exact(cur: psycopg.Cursor[Any], observable_ids: Sequence[int]) -> None:
    """Note in the registry that these scalars kept exact bytes (only rows not noted yet are written)."""
    if observable_ids:
        cur.execute("UPDATE observables SET exact = true WHERE id = ANY(%s) AND NOT exact", (sorted(observable_ids),))


def stored_observable_ids(cur: psycopg.Cursor[Any], run: int) -> list[int] | None:
    """The observables the stored version of ``run`` may hold values of, or None when the run was never stored.

    Call it before :func:`register_observables` moves the registry on. A run without a row has no values, so a new
    run costs one key lookup here instead of a scan of every value table.
    """
    cur.execute("SELECT 1 FROM runs WHERE run = %s", (run,))
    if cur.fetchone() is None:
        return None
    cur.execute(
        "SELECT id FROM observables WHERE first_run <= %(run)s AND (last_run IS NULL OR last_run >= %(run)s) "
        "ORDER BY id",
        {"run": run},
    )
    return [int(row[0]) for row in cur.fetchall()]


def delete_run_values(cur: psycopg.Cursor[Any], run: int, observable_ids: Sequence[int] | None) -> list[str]:
    """Remove a run's values and errors, by key: ``observable_ids`` from :func:`stored_observable_ids`.

    :returns: the sidecar files its 2D arrays lived in, to delete once the transaction has committed.
    """
    cur.execute("DELETE FROM ingest_errors WHERE run = %s", (run,))
    if not observable_ids:
        return []
    ids = list(observable_ids)
    cur.execute("DELETE FROM arrays2d WHERE observable_id = ANY(%s) AND run = %s RETURNING file", (ids, run))
    files = sorted({row[0] for row in cur.fetchall()})
    for table in ("scalars", "arrays1d", "array_stats"):
        cur.execute(f"DELETE FROM {table} WHERE observable_id = ANY(%s) AND run = %s", (ids, run))
    return files


def update_rollup(
    cur: psycopg.Cursor[Any],
    run: int,
    observable_ids: np.ndarray[Any, Any],
    values: np.ndarray[Any, Any],
    stored: Sequence[int] | None,
) -> None:
    """Keep ``scalar_rollup`` (where no licensed continuous aggregate does it) in step with the run's scalars.

    :param stored: what :func:`stored_observable_ids` said before the run was replaced.
    """
    cur.execute(f"SELECT {own_relation('scalar_rollup')} IS NOT NULL")
    if not cur.fetchone()[0]:  # type: ignore[index]
        return
    if stored is None:
        rollup.add_to_rollup(cur, run, observable_ids, values)
    else:
        rollup.recount_rollup(cur, run, [*stored, *observable_ids.tolist()])


def upsert_run(cur: psycopg.Cursor[Any], row: RunRow) -> None:
    """Create or refresh a run's row; comment, tags and the good flag belong to users and are kept, except that a
    run that had failed (and so was not good) becomes good unless a user said otherwise."""
    cur.execute(
        """
        INSERT INTO runs (run, start_time, end_time, status, ingested_at, source, observable_count, error_count)
        VALUES (%s, %s, %s, %s, now(), %s, %s, %s)
        ON CONFLICT (run) DO UPDATE SET
            start_time = excluded.start_time, end_time = excluded.end_time, status = excluded.status,
            ingested_at = excluded.ingested_at, source = excluded.source,
            observable_count = excluded.observable_count, error_count = excluded.error_count,
            good = CASE WHEN runs.status = 'failed' AND NOT runs.reviewed THEN excluded.good ELSE runs.good END
        """,
        (row.run, row.start, row.end, row.status, row.source, row.observable_count, row.error_count),
    )


def copy_scalars(
    cur: psycopg.Cursor[Any],
    runs: np.ndarray[Any, Any],
    observable_ids: np.ndarray[Any, Any],
    values: np.ndarray[Any, Any],
    dtype_codes: np.ndarray[Any, Any],
    exact: Mapping[int, bytes] | None = None,
) -> None:
    """COPY scalar rows; ``exact`` maps a row index to the original bytes where float64 cannot hold the value.

    Rows go in primary-key order, so the B-tree fills its leaves in turn instead of splitting pages all over, and in
    chunks, so the server parses one chunk while numpy lays out the next.
    """
    exact = exact or {}
    order = primary_key_order(observable_ids, runs)
    if exact:
        plain = np.ones(len(runs), dtype=bool)
        plain[list(exact)] = False
        order = order[plain[order]]
    with cur.copy("COPY scalars (run, observable_id, value, dtype, exact) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(HEADER)
        for start in range(0, len(order), COPY_CHUNK_ROWS):
            rows = order[start : start + COPY_CHUNK_ROWS]
            columns = [("int4", runs[rows]), ("int4", observable_ids[rows]), ("float8", values[rows])]
            copy.write(encode_rows(len(rows), [*columns, ("int2", dtype_codes[rows]), ("null", None)]))
        for index, raw in exact.items():
            row = [("int4", runs[index]), ("int4", observable_ids[index]), ("float8", values[index])]
            copy.write(encode_row([*row, ("int2", dtype_codes[index]), ("bytea", raw)]))
        copy.write(TRAILER)


def primary_key_order(observable_ids: np.ndarray[Any, Any], runs: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Row indices sorted by (observable_id, run), the value tables' primary key."""
    return np.lexsort((runs, observable_ids))


def copy_stats(cur: psycopg.Cursor[Any], run: int, stats: Mapping[int, ArrayStats]) -> None:
    """COPY the per-run statistics of arrays, observable id to stats."""
    if not stats:
        return
    ids = np.fromiter(stats, dtype=np.int32, count=len(stats))
    floats_of = [(s.min, s.max, s.mean, s.std, s.sum) for s in stats.values()]
    table = np.array(floats_of, dtype=np.float64).reshape(len(stats), 5)
    counts = np.array([(s.count, s.nan_count) for s in stats.values()], dtype=np.int64).reshape(len(stats), 2)
    floats = [("float8", table[:, i]) for i in range(5)]
    ints = [("int8", counts[:, i]) for i in range(2)]
    runs = np.full(len(stats), run, dtype=np.int32)
    columns = "run, observable_id, min, max, mean, std, sum, count, nan_count"
    with cur.copy(f"COPY array_stats ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(HEADER)
        copy.write(encode_rows(len(stats), [("int4", runs), ("int4", ids), *floats, *ints]))
        copy.write(TRAILER)


def copy_arrays1d(cur: psycopg.Cursor[Any], run: int, arrays: Mapping[int, np.ndarray[Any, Any]]) -> None:
    """COPY 1D arrays as raw little-endian bytes with their dtype and shape."""
    if not arrays:
        return
    with cur.copy("COPY arrays1d (run, observable_id, dtype, shape, data) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "int4", "text", "int8[]", "bytea"])
        for observable_id, array in arrays.items():
            data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
            copy.write_row((run, observable_id, data.dtype.name, list(data.shape), data.data))


def insert_arrays2d(cur: psycopg.Cursor[Any], run: int, refs: Mapping[int, StoredArray]) -> None:
    """Record where the run's 2D arrays were written in the sidecar."""
    if not refs:
        return
    columns = "run, observable_id, file, column_name, dtype, shape, nbytes, checksum"
    with cur.copy(f"COPY arrays2d ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "int4", "text", "text", "text", "int8[]", "int8", "text"])
        for observable_id, ref in refs.items():
            row = (run, observable_id, ref.file, ref.column_name, ref.dtype, list(ref.shape), ref.nbytes, ref.checksum)
            copy.write_row(row)


def insert_errors(cur: psycopg.Cursor[Any], run: int, errors: Sequence[tuple[str, str]], job_id: int | None) -> None:
    """Record (observable, message) errors of a run; an empty observable means the whole run."""
    if errors:
        cur.executemany(
            "INSERT INTO ingest_errors (run, observable, message, job_id) VALUES (%s, %s, %s, %s)",
            [(run, clean_text(name, 1000), clean_text(message, 4000), job_id) for name, message in errors],
        )


def clean_text(text: str, limit: int) -> str:
    """``text`` as PostgreSQL can store it: NUL shown as ``\\0``, invalid UTF-8 replaced, at most ``limit`` long."""
    cleaned = text.replace("\x00", "\\0").encode("utf-8", "replace").decode("utf-8")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def scalar_columns(
    scalars: Mapping[int, np.ndarray[Any, Any]],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], dict[int, bytes]]:
    """Observable ids, float64 values, dtype codes and exact bytes of a run's scalars, for :func:`copy_scalars`.

    ``exact`` keeps the original bytes where the float64 column cannot give them back: integers beyond 2**53, and
    NaNs other than the canonical one (a sign bit or a payload), which PostgreSQL returns as plain NaN.
    """
    ids = np.fromiter(scalars, dtype=np.int32, count=len(scalars))
    values = np.empty(len(scalars), dtype=np.float64)
    codes = np.empty(len(scalars), dtype=np.int16)
    exact: dict[int, bytes] = {}
    for i, value in enumerate(scalars.values()):
        as_float = np.float64(value)
        values[i] = as_float
        codes[i] = DTYPE_CODES[value.dtype.name]
        if _needs_exact_bytes(value, as_float):
            exact[i] = value.astype(value.dtype.newbyteorder("<")).tobytes()
    return ids, values, codes, exact


def _needs_exact_bytes(value: np.ndarray[Any, Any], as_float: np.float64) -> bool:
    if value.dtype.kind in "iu":
        return int(as_float) != int(value)
    if value.dtype.kind == "f" and np.isnan(value):
        canonical = np.array(np.nan).astype(value.dtype)
        return bool(value.tobytes() != canonical.tobytes())
    return False
