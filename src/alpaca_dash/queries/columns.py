"""Observables over a run range as numpy columns with their own dtypes, for data frames and stacks of arrays.

Unlike a trend (float64 for plotting), a scalar column keeps the dtype it was ingested with: a uint64 counter above
2**53 comes back exact, a flag as bool. Arrays come straight from ``arrays1d`` and the sidecar, without the export's
Parquet round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select

from alpaca_dash.domain import SUPPORTED_DTYPES, Observable, ObservableKind
from alpaca_dash.parquet_cache.store import StoredArray
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.reader import copy_columns
from alpaca_dash.timescale.schema import arrays2d, runs
from alpaca_dash.types import Array

_SCALARS_SQL = (
    "SELECT observable_id, run, value, dtype FROM scalars WHERE observable_id = ANY(%s) AND run BETWEEN %s AND %s"
)
_EXACT_SQL = (
    "SELECT observable_id, run, dtype, exact FROM scalars "
    "WHERE observable_id = ANY(%s) AND run BETWEEN %s AND %s AND exact IS NOT NULL"
)
_ARRAYS1D_SQL = (
    "SELECT run, dtype, shape, data FROM arrays1d WHERE observable_id = %s AND run BETWEEN %s AND %s ORDER BY run"
)


class NotAnArray(ValueError):
    """A scalar observable asked for as a stack of arrays."""


@dataclass(frozen=True)
class ScalarColumn:
    """One scalar observable's values, ascending by run, in its own dtype (the common one if its source changed
    it within the range)."""

    runs: Array
    values: Array


def load_scalar_columns(
    access: DataAccess, items: Sequence[Observable], first: int, last: int
) -> dict[int, ScalarColumn]:
    """Scalar values of every run between ``first`` and ``last``, by observable id (each id present, maybe empty)."""
    ids = [item.id for item in items]
    if not ids:
        return {}
    with access.db.begin() as conn:
        raw: Any = conn.connection.driver_connection
        owner, run_numbers, values, codes = copy_columns(
            raw, _SCALARS_SQL, (ids, first, last), ["int4", "int4", "float8", "int2"]
        )
        with raw.cursor(binary=True) as cur:
            exact = cur.execute(_EXACT_SQL, (ids, first, last)).fetchall()
    columns = {}
    for observable_id in ids:
        mine = owner == observable_id
        columns[observable_id] = _native_column(run_numbers[mine], values[mine], codes[mine])
    for observable_id, run, code, data in exact:
        column = columns[observable_id]
        position = int(np.searchsorted(column.runs, run))
        column.values[position] = np.frombuffer(data, dtype=_dtype(code))[0]
    return columns


def _dtype(code: int) -> np.dtype[Any]:
    return np.dtype(SUPPORTED_DTYPES[code]).newbyteorder("<")


def _native_column(run_numbers: Array, values: Array, codes: Array) -> ScalarColumn:
    order = np.argsort(run_numbers, kind="stable")
    run_numbers, values, codes = run_numbers[order], values[order], codes[order]
    present = [int(code) for code in np.unique(codes)]
    if not present:
        return ScalarColumn(run_numbers, values)
    target = np.result_type(*(np.dtype(SUPPORTED_DTYPES[code]) for code in present))
    native = np.empty(values.size, dtype=target)
    for code in present:
        chosen = codes == code
        # float64 holds every value of these dtypes exactly, except integers beyond 2**53: those are in ``exact``
        # and replace what this cast makes of them (2**64 - 1 is 2**64 as a float: out of range, not an error)
        with np.errstate(invalid="ignore", over="ignore"):
            native[chosen] = values[chosen].astype(SUPPORTED_DTYPES[code])
    return ScalarColumn(run_numbers, native)


def load_array_series(access: DataAccess, observable: Observable, first: int, last: int) -> tuple[Array, list[Array]]:
    """``(runs, arrays)`` of a 1D or 2D observable: every run between ``first`` and ``last`` that has it as an array,
    ascending, each array with its stored dtype and shape (1D and 2D alike when its kind changed between runs).

    :raises NotAnArray: for a scalar observable (one that never was an array).
    :raises SidecarError: when a 2D array's file is missing or fails its checksum.
    """
    kinds = [kind for kind in (observable.kinds or (observable.kind,)) if kind is not ObservableKind.SCALAR]
    if not kinds:
        raise NotAnArray(f"{observable.name} is a scalar: read it with trend()")
    found = [(run, array) for kind in kinds for run, array in _array_rows(access, observable.id, kind, first, last)]
    found.sort(key=lambda item: item[0])
    return np.array([run for run, _ in found], dtype=np.int32), [array for _, array in found]


def _array_rows(
    access: DataAccess, observable_id: int, kind: ObservableKind, first: int, last: int
) -> list[tuple[int, Array]]:
    if kind is ObservableKind.ARRAY1D:
        with access.db.begin() as conn:
            raw: Any = conn.connection.driver_connection
            with raw.cursor(binary=True) as cur:  # bytea as its bytes, not as hex text
                rows = cur.execute(_ARRAYS1D_SQL, (observable_id, first, last)).fetchall()
        return [
            (run, np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape))
            for run, dtype, shape, data in rows
        ]
    query = (
        select(arrays2d)
        .where(arrays2d.c.observable_id == observable_id, arrays2d.c.run.between(first, last))
        .order_by(arrays2d.c.run)
    )
    with access.db.begin() as conn:
        refs = [
            (row.run, StoredArray(row.file, row.column_name, row.dtype, tuple(row.shape), row.nbytes, row.checksum))
            for row in conn.execute(query)
        ]
    return [(run, access.store.read(ref)) for run, ref in refs]


def run_index(columns: Sequence[Array]) -> Array:
    """Every run any of the columns has, ascending."""
    if not columns:
        return np.array([], dtype=np.int32)
    return np.unique(np.concatenate([np.asarray(c, dtype=np.int32) for c in columns]))


def load_bad_runs(access: DataAccess, first: int, last: int) -> Array:
    """The runs between ``first`` and ``last`` users marked bad, ascending."""
    query = select(runs.c.run).where(runs.c.run.between(first, last), ~runs.c.good).order_by(runs.c.run)
    with access.db.begin() as conn:
        return np.asarray(conn.execute(query).scalars().all(), dtype=np.int32)
