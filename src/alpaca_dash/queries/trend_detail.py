"""A trend at the level of detail of its panel: rollup buckets across years of runs, every value when zoomed in.

A scalar over a million runs is a thousand rollup buckets (min and max each, so spikes stay visible) instead of a
million values; the runs at either end of the range that fill no whole bucket come as values. Ranges narrow enough
that the buckets would not fill the panel's width read every value, as :func:`load_trend` does.
"""

from __future__ import annotations

import numpy as np

from alpaca_dash.domain import Observable, ObservableKind, Statistic, Trend
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.trends import SCALAR_TREND_SQL, load_trend, sort_by_run
from alpaca_dash.timescale.reader import copy_columns
from alpaca_dash.timescale.rollup import ROLLUP_RUNS, bucket_of

#: points a bucket gives (its min and its max); the rollup serves a range when its buckets give a point per pixel
POINTS_PER_BUCKET = 2
#: the licensed continuous aggregate (migration 1) and the table ingest keeps elsewhere (migration 5)
CONTINUOUS_ROLLUP = "scalar_rollup_1000"
INGEST_ROLLUP = "scalar_rollup"


def uses_rollup(observable: Observable, first: int, last: int, width: int, statistic: Statistic | None) -> bool:
    """Whether a trend of ``width`` pixels over ``first``..``last`` is drawn from rollup buckets."""
    if observable.kind is not ObservableKind.SCALAR or statistic is not None or width < 1:
        return False
    whole_buckets = (last + 1 - bucket_of(first + ROLLUP_RUNS - 1)) // ROLLUP_RUNS
    return whole_buckets * POINTS_PER_BUCKET >= width


def load_trend_for_width(
    access: DataAccess,
    observable: Observable,
    first: int,
    last: int,
    width: int,
    *,
    statistic: Statistic | None = None,
) -> Trend:
    """The trend as a panel ``width`` pixels wide draws it: rollup buckets where they fill the width, else values.

    A bucket's points sit at its first run (the min) and its middle (the max); their ``good`` is True, as a bucket
    mixes good and bad runs. ``Trend.bucket_runs`` says how many runs one point stands for (1: every value).

    :raises TrendError: as :func:`load_trend`.
    """
    if not uses_rollup(observable, first, last, width, statistic):
        return load_trend(access, observable, first, last, statistic=statistic)
    inner_first = bucket_of(first + ROLLUP_RUNS - 1)
    inner_last = bucket_of(last + 1) - 1
    relation = CONTINUOUS_ROLLUP if access.db.capabilities.timescale_community else INGEST_ROLLUP
    bucket_sql = (
        f"SELECT bucket, coalesce(min, 'NaN'), coalesce(max, 'NaN') FROM {relation} "
        "WHERE observable_id = %s AND bucket BETWEEN %s AND %s AND n > 0"
    )
    with access.db.begin() as conn:
        raw = conn.connection.driver_connection
        buckets, lows, highs = copy_columns(
            raw,  # type: ignore[arg-type]
            bucket_sql,
            (observable.id, inner_first, inner_last),
            ["int4", "float8", "float8"],
        )
        edges = [
            copy_columns(raw, SCALAR_TREND_SQL, (observable.id, a, b), ["int4", "float8"])  # type: ignore[arg-type]
            for a, b in ((first, inner_first - 1), (inner_last + 1, last))
            if a <= b
        ]
    order = np.argsort(buckets, kind="stable")
    buckets, lows, highs = buckets[order], lows[order], highs[order]
    middle = (buckets + ROLLUP_RUNS // 2).astype(np.int32)
    inner_runs = np.column_stack([buckets, middle]).reshape(-1)
    inner_values = np.column_stack([lows, highs]).reshape(-1)
    run_numbers = np.concatenate([*(e[0] for e in edges), inner_runs]).astype(np.int32)
    values = np.concatenate([*(e[1] for e in edges), inner_values]).astype(np.float64)
    run_numbers, values = sort_by_run(run_numbers, values)
    good = np.ones(run_numbers.size, dtype=bool)
    return Trend(observable, None, run_numbers, values, good, bucket_runs=ROLLUP_RUNS)
