"""The anomaly list of one run: every observable with statistics, ranked by its robust deviation from the recent
good runs, whether or not a check exists for it, so that a shifter sees what changed first."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text

from alpaca_dash.quality.statistics import robust_scores
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.quality import GOOD_RUN

#: the statistics of an array that are compared; ``count`` and ``nan_count`` change with the shape, not the physics
ARRAY_STATISTICS = ("mean", "std", "min", "max", "sum")
GOOD_RUNS_BEFORE = text(f"SELECT r.run FROM runs r WHERE r.run < :run AND {GOOD_RUN} ORDER BY r.run DESC LIMIT :n")
SCALARS_OF_RUNS = text(
    "SELECT o.name, s.run, s.value FROM scalars s JOIN observables o ON o.id = s.observable_id WHERE s.run = ANY(:runs)"
)
STATS_OF_RUNS = text(
    "SELECT o.name, a.run, a.mean, a.std, a.min, a.max, a.sum FROM array_stats a "
    "JOIN observables o ON o.id = a.observable_id WHERE a.run = ANY(:runs)"
)


@dataclass(frozen=True)
class Anomaly:
    observable: str
    #: ``value`` for a scalar, else the array statistic that deviates most
    statistic: str
    value: float
    median: float
    sigma: float
    #: robust standard deviations from the median of the good runs (infinite when they never varied)
    score: float


def rank_anomalies(access: DataAccess, run: int, *, last_runs: int = 20, limit: int = 500) -> list[Anomaly]:
    """The observables of ``run`` by deviation from the last ``last_runs`` good runs before it, largest first.

    Observables the history never had, or that the run lacks, are left out.
    """
    with access.db.begin() as conn:
        history_runs = list(conn.execute(GOOD_RUNS_BEFORE, {"run": run, "n": last_runs}).scalars())
        runs = [run, *history_runs]
        scalar_rows = conn.execute(SCALARS_OF_RUNS, {"runs": runs}).all()
        stat_rows = conn.execute(STATS_OF_RUNS, {"runs": runs}).all()
    if not history_runs:
        return []
    column = {r: i for i, r in enumerate(runs)}
    series: dict[tuple[str, str], np.ndarray] = {}

    def cell(key: tuple[str, str]) -> np.ndarray:
        if key not in series:
            series[key] = np.full(len(runs), np.nan)
        return series[key]

    for name, at, value in scalar_rows:
        cell((name, "value"))[column[at]] = value
    for name, at, *stats in stat_rows:
        for statistic, value in zip(ARRAY_STATISTICS, stats, strict=True):
            cell((name, statistic))[column[at]] = np.nan if value is None else value
    if not series:
        return []
    keys = list(series)
    matrix = np.vstack([series[key] for key in keys])
    with np.errstate(invalid="ignore"):
        matrix[~np.isfinite(matrix)] = np.nan
    scores, medians, sigmas = robust_scores(matrix[:, 0], matrix[:, 1:])
    best: dict[str, Anomaly] = {}
    for index, (name, statistic) in enumerate(keys):
        score = float(scores[index])
        if math.isnan(score):
            continue
        found = Anomaly(name, statistic, float(matrix[index, 0]), float(medians[index]), float(sigmas[index]), score)
        if name not in best or score > best[name].score:
            best[name] = found
    ranked = sorted(best.values(), key=lambda a: (-a.score, a.observable))
    return ranked[:limit]
