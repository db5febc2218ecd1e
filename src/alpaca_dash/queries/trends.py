"""Observables across runs: a scalar, or a statistic of an array, per run; and one observable against another."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from alpaca_dash.domain import STATISTICS, Observable, ObservableKind, Statistic, Trend
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.reader import copy_columns
from alpaca_dash.timescale.schema import runs
from alpaca_dash.types import Array

#: without ORDER BY: the rows come as the server finds them (in run order from an index scan) and numpy sorts them
#: if need be, which spares the server a sort of up to 100k rows that spills to disk at the default work_mem
SCALAR_TREND_SQL = "SELECT run, value FROM scalars WHERE observable_id = %s AND run BETWEEN %s AND %s"


class TrendError(ValueError):
    """A trend that cannot be drawn: a statistic of a scalar, or a value of an array."""


def load_trend(
    access: DataAccess, observable: Observable, first: int, last: int, *, statistic: Statistic | None = None
) -> Trend:
    """The scalar's value, or the array's ``statistic``, for every stored run between ``first`` and ``last``.

    :raises TrendError: for a statistic of a scalar, or an array without a statistic.
    """
    if observable.kind is ObservableKind.SCALAR:
        if statistic is not None:
            raise TrendError(f"{observable.name} is a scalar: it has no {statistic}")
        query = SCALAR_TREND_SQL
    else:
        if statistic not in STATISTICS:
            raise TrendError(f"{observable.name} is an array: choose one of {', '.join(STATISTICS)}")
        column = f"coalesce({statistic}::float8, 'NaN')"  # statistic is one of the names above, never user text
        query = f"SELECT run, {column} FROM array_stats WHERE observable_id = %s AND run BETWEEN %s AND %s"
    with access.db.begin() as conn:
        raw = conn.connection.driver_connection
        columns = copy_columns(raw, query, (observable.id, first, last), ["int4", "float8"])  # type: ignore[arg-type]
        bad = conn.execute(select(runs.c.run).where(runs.c.run.between(first, last), ~runs.c.good)).scalars().all()
    run_numbers, values = sort_by_run(*columns)
    good = ~np.isin(run_numbers, np.asarray(bad, dtype=np.int32))
    return Trend(observable, statistic, run_numbers, values, good)


def sort_by_run(run_numbers: Array, values: Array) -> tuple[Array, Array]:
    """The rows ascending by run (one row per run), sorting only when they did not arrive in order."""
    if run_numbers.size > 1 and not bool(np.all(run_numbers[1:] > run_numbers[:-1])):
        order = np.argsort(run_numbers, kind="stable")
        return run_numbers[order], values[order]
    return run_numbers, values


def load_run_times(access: DataAccess, run_numbers: Array) -> Array:
    """Start times (numpy datetime64[us], NaT where unknown) of the given runs, for a time x axis."""
    if run_numbers.size == 0:
        return np.array([], dtype="datetime64[us]")
    query = (
        "SELECT run, coalesce((extract(epoch FROM start_time) * 1e6)::int8, -9223372036854775808) FROM runs "
        "WHERE run BETWEEN %s AND %s ORDER BY run"
    )
    with access.db.begin() as conn:
        raw = conn.connection.driver_connection
        columns = copy_columns(raw, query, (int(run_numbers[0]), int(run_numbers[-1])), ["int4", "int8"])  # type: ignore[arg-type]
    stored, micros = sort_by_run(*columns)
    # NULL start times arrive as int64's minimum, which is exactly datetime64's NaT
    times = np.full(run_numbers.size, np.datetime64("NaT", "us"))
    position = np.searchsorted(stored, run_numbers)
    hit = position < stored.size
    hit[hit] = stored[position[hit]] == run_numbers[hit]
    times[hit] = micros[position[hit]].view("datetime64[us]")
    return times
