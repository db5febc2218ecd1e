"""One run's values, exactly as they were ingested: dtype, shape and bytes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import Table, func, literal, select, union_all

from alpaca_dash.domain import SUPPORTED_DTYPES, ArrayStats, Observable, ObservableKind
from alpaca_dash.parquet_cache.store import ParquetStore, StoredArray
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.trends import SCALAR_TREND_SQL, sort_by_run
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.reader import copy_columns
from alpaca_dash.timescale.schema import array_stats, arrays1d, arrays2d, scalars


def load_value(access: DataAccess, observable: Observable, run: int) -> np.ndarray[Any, Any] | None:
    """The value of ``observable`` in ``run`` in the kind it was written in (a 0-d array for scalars), or None when
    the run has none.

    :raises SidecarError: when a 2D array's file is missing or fails its checksum.
    """
    kind = run_kind(access.db, observable, run) if observable.kind_changes() else observable.kind
    if kind is None:
        return None
    if kind is ObservableKind.SCALAR:
        return load_scalars(access, [observable], run).get(observable.id)
    return read_array(access.db, access.store, observable.id, kind, run)


def run_kind(db: Database, observable: Observable, run: int) -> ObservableKind | None:
    """The kind ``observable`` has in ``run`` (of an observable whose kind changed between runs), or None when the
    run has no value of it: three key lookups in one statement."""
    query = union_all(
        *(
            select(literal(kind.value).label("kind")).where(table.c.observable_id == observable.id, table.c.run == run)
            for kind, table in _TABLES.items()
            if kind in observable.kinds
        )
    )
    with db.begin() as conn:
        found = conn.execute(query.limit(1)).scalar()
    return None if found is None else ObservableKind(found)


def runs_of_kind(access: DataAccess, observable: Observable, kind: ObservableKind, first: int, last: int) -> set[int]:
    """The runs over a range whose value of ``observable`` is of ``kind``."""
    table = _TABLES[kind]
    query = select(table.c.run).where(table.c.observable_id == observable.id, table.c.run.between(first, last))
    with access.db.begin() as conn:
        return set(conn.execute(query).scalars())


def stored_kinds(access: DataAccess, observable: Observable, first: int, last: int) -> list[ObservableKind]:
    """The kinds the observable's values have over a run range, the registry's first (without a read when it knows of
    one kind only)."""
    if not observable.kind_changes():
        return [observable.kind]
    found = []
    for kind in sorted(observable.kinds, key=lambda k: k is not observable.kind):
        table = _TABLES[kind]
        query = select(table.c.run).where(table.c.observable_id == observable.id, table.c.run.between(first, last))
        with access.db.begin() as conn:
            if conn.execute(query.limit(1)).first() is not None:
                found.append(kind)
    return found


def as_kind(observable: Observable, kind: ObservableKind) -> Observable:
    """The observable read as one of its kinds only (its values of the other kinds are then not found)."""
    return replace(observable, kind=kind, kinds=(kind,))


#: the table each kind's values live in
_TABLES: dict[ObservableKind, Table] = {
    ObservableKind.SCALAR: scalars,
    ObservableKind.ARRAY1D: arrays1d,
    ObservableKind.ARRAY2D: arrays2d,
}


def read_array(
    db: Database, store: ParquetStore, observable_id: int, kind: ObservableKind, run: int
) -> np.ndarray[Any, Any] | None:
    """A 1D or 2D array as stored, or None when the run has none (for the pipeline, which holds no DataAccess).

    :raises SidecarError: when a 2D array's file is missing or fails its checksum.
    """
    if kind is ObservableKind.ARRAY1D:
        return _load_array1d(db, observable_id, run)
    ref = _load_ref(db, observable_id, run)
    return None if ref is None else store.read(ref)


def load_scalars(access: DataAccess, items: list[Observable], run: int) -> dict[int, np.ndarray[Any, Any]]:
    """Scalar values of one run by observable id, each with its original dtype."""
    ids = [item.id for item in items]
    query = select(scalars.c.observable_id, scalars.c.value, scalars.c.dtype, scalars.c.exact).where(
        scalars.c.run == run, scalars.c.observable_id.in_(ids)
    )
    with access.db.begin() as conn:
        rows = conn.execute(query).all()
    return {row.observable_id: _scalar(row.value, row.dtype, row.exact) for row in rows}


def _scalar(value: float, code: int, exact: bytes | None) -> np.ndarray[Any, Any]:
    dtype = np.dtype(SUPPORTED_DTYPES[code]).newbyteorder("<")
    if exact is not None:
        return np.frombuffer(exact, dtype=dtype).reshape(())
    if dtype.kind in "iub":
        return np.array(int(value), dtype=dtype)
    return np.array(value, dtype=np.float64).astype(dtype)


def _load_array1d(db: Database, observable_id: int, run: int) -> np.ndarray[Any, Any] | None:
    # a binary cursor: bytea arrives as its bytes, not as hex text twice its size to decode
    query = "SELECT dtype, shape, data FROM arrays1d WHERE run = %s AND observable_id = %s"
    with db.begin() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor(binary=True) as cur:  # type: ignore[union-attr]
            row = cur.execute(query, (run, observable_id)).fetchone()
    if row is None:
        return None
    dtype, shape, data = row
    return np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).reshape(tuple(shape))


def _load_ref(db: Database, observable_id: int, run: int) -> StoredArray | None:
    query = select(arrays2d).where(arrays2d.c.run == run, arrays2d.c.observable_id == observable_id)
    with db.begin() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return StoredArray(row.file, row.column_name, row.dtype, tuple(row.shape), row.nbytes, row.checksum)


def load_stats(access: DataAccess, observable: Observable, run: int) -> ArrayStats | None:
    """The per-run statistics of an array observable, or None."""
    query = select(array_stats).where(array_stats.c.run == run, array_stats.c.observable_id == observable.id)
    with access.db.begin() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    m = row._mapping  # 'count' would be the Row tuple's own method
    return ArrayStats(m["min"], m["max"], m["mean"], m["std"], m["sum"], m["count"], m["nan_count"])


def referenced_files(access: DataAccess) -> set[str]:
    """Every sidecar file a committed row points to (for reconcile)."""
    with access.db.begin() as conn:
        return {row[0] for row in conn.execute(select(arrays2d.c.file).distinct())}


def load_scalar_series(
    access: DataAccess, items: list[Observable], first: int, last: int
) -> dict[int, dict[int, np.ndarray[Any, Any]]]:
    """Scalar values over a run range: observable id to run to value, each with its original dtype."""
    if not items:
        return {}
    query = select(scalars.c.observable_id, scalars.c.run, scalars.c.value, scalars.c.dtype, scalars.c.exact).where(
        scalars.c.observable_id.in_([item.id for item in items]), scalars.c.run.between(first, last)
    )
    series: dict[int, dict[int, np.ndarray[Any, Any]]] = {}
    with access.db.begin() as conn:
        for row in conn.execute(query):
            series.setdefault(row.observable_id, {})[row.run] = _scalar(row.value, row.dtype, row.exact)
    return series


def load_scalar_column(
    access: DataAccess, observable: Observable, first: int, last: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
    """Runs (ascending) and values in the scalar's dtype over a run range, from the covering key alone; None when
    the registry says its values are not all of one dtype or some kept exact bytes (use :func:`load_scalar_series`).
    """
    if observable.exact or len(observable.dtypes) != 1:
        return None
    with access.db.begin() as conn:
        raw = conn.connection.driver_connection
        columns = copy_columns(raw, SCALAR_TREND_SQL, (observable.id, first, last), ["int4", "float8"])  # type: ignore[arg-type]
    runs, floats = sort_by_run(*columns)
    dtype = np.dtype(observable.dtypes[0])
    return runs, floats if dtype == np.float64 else floats.astype(dtype)


def stored_dtypes(access: DataAccess, observable: Observable, first: int, last: int) -> set[str]:
    """The dtypes the observable's values have over a run range (more than one if its source changed it).

    When the registry knows of one dtype only, that is the answer, without reading a value.
    """
    if len(observable.dtypes) == 1:
        return set(observable.dtypes)
    if observable.kind is ObservableKind.SCALAR:
        query = select(scalars.c.dtype).where(
            scalars.c.observable_id == observable.id, scalars.c.run.between(first, last)
        )
        with access.db.begin() as conn:
            return {SUPPORTED_DTYPES[code] for code in conn.execute(query.distinct()).scalars()}
    table = arrays1d if observable.kind is ObservableKind.ARRAY1D else arrays2d
    query = select(table.c.dtype).where(table.c.observable_id == observable.id, table.c.run.between(first, last))
    with access.db.begin() as conn:
        return set(conn.execute(query.distinct()).scalars())


def largest_array_elements(access: DataAccess, observable: Observable, first: int, last: int) -> int:
    """The most values one stored 2D array of ``observable`` has over a run range (0 when it has none there)."""
    query = (
        select(arrays2d.c.dtype, func.max(arrays2d.c.nbytes))
        .where(arrays2d.c.observable_id == observable.id, arrays2d.c.run.between(first, last))
        .group_by(arrays2d.c.dtype)
    )
    with access.db.begin() as conn:
        return max((int(nbytes) // np.dtype(dtype).itemsize for dtype, nbytes in conn.execute(query)), default=0)


def stored_sizes(access: DataAccess, observable: Observable, first: int, last: int) -> dict[int, int]:
    """Run to bytes of an array observable's values over a run range, as stored, without reading the arrays."""
    if observable.kind is ObservableKind.ARRAY2D:
        query = select(arrays2d.c.run, arrays2d.c.nbytes).where(
            arrays2d.c.observable_id == observable.id, arrays2d.c.run.between(first, last)
        )
    else:  # octet_length of a TOASTed bytea reads its header, not the value
        query = select(arrays1d.c.run, func.octet_length(arrays1d.c.data)).where(
            arrays1d.c.observable_id == observable.id, arrays1d.c.run.between(first, last)
        )
    with access.db.begin() as conn:
        return {run: int(size) for run, size in conn.execute(query)}
