"""Quality results as their readers see them: per run and check, per-run summaries with the suspect mark, and the
worst state of each observable of a run (for dashboards)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from alpaca_dash.quality.checks import SEVERITY, CheckState
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.schema import quality_checks, quality_results, runs

#: a run counts as good for references, history and anomalies when flagged good and not suspect: no check of it in
#: alarm, unless an editor has reviewed it (SQL over ``runs r``)
GOOD_RUN = (
    "r.good AND r.status = 'ingested' AND (r.reviewed OR NOT EXISTS "
    "(SELECT 1 FROM quality_results q WHERE q.run = r.run AND q.state = 'alarm'))"
)


@dataclass(frozen=True)
class ResultRow:
    run: int
    check: str
    kind: str
    observable: str
    state: CheckState
    value: float | None
    p_value: float | None
    reference_run: int | None
    message: str
    evaluated_at: datetime


@dataclass(frozen=True)
class RunSummary:
    """How many of a run's checks are in each state; ``suspect`` while one is in alarm and no editor reviewed it."""

    run: int
    counts: dict[CheckState, int] = field(default_factory=dict)
    good: bool = True
    reviewed: bool = False

    @property
    def worst(self) -> CheckState | None:
        present = [state for state, n in self.counts.items() if n]
        return max(present, key=SEVERITY.__getitem__, default=None)

    @property
    def suspect(self) -> bool:
        return self.counts.get(CheckState.ALARM, 0) > 0 and not self.reviewed

    def count(self, state: CheckState) -> int:
        return self.counts.get(state, 0)


def _results_query(first: int, last: int) -> Select[Any]:
    return (
        select(
            quality_results.c.run,
            quality_checks.c.name,
            quality_checks.c.kind,
            quality_checks.c.observable,
            quality_results.c.state,
            quality_results.c.value,
            quality_results.c.p_value,
            quality_results.c.reference_run,
            quality_results.c.message,
            quality_results.c.evaluated_at,
        )
        .join(quality_checks, quality_checks.c.id == quality_results.c.check_id)
        .where(quality_results.c.run.between(first, last))
    )


def list_results(access: DataAccess, first: int, last: int) -> list[ResultRow]:
    """Every stored result over a run range, newest run first, worst state first within a run."""
    with access.db.begin() as conn:
        rows = conn.execute(_results_query(first, last)).all()
    found = [
        ResultRow(
            row.run,
            row.name,
            row.kind,
            row.observable,
            CheckState(row.state),
            row.value,
            row.p_value,
            row.reference_run,
            row.message,
            row.evaluated_at,
        )
        for row in rows
    ]
    found.sort(key=lambda r: (-r.run, -SEVERITY[r.state], r.check))
    return found


def run_summaries(access: DataAccess, first: int, last: int) -> list[RunSummary]:
    """Every stored run of a range with the count of its checks in each state, newest first."""
    counts = (
        select(quality_results.c.run, quality_results.c.state, func.count().label("n"))
        .where(quality_results.c.run.between(first, last))
        .group_by(quality_results.c.run, quality_results.c.state)
    )
    stored = select(runs.c.run, runs.c.good, runs.c.reviewed).where(runs.c.run.between(first, last))
    with access.db.begin() as conn:
        by_run: dict[int, dict[CheckState, int]] = {}
        for run, state, n in conn.execute(counts):
            by_run.setdefault(run, {})[CheckState(state)] = int(n)
        rows = conn.execute(stored.order_by(runs.c.run.desc())).all()
    return [RunSummary(run, by_run.get(run, {}), good, reviewed) for run, good, reviewed in rows]


def suspect_runs(access: DataAccess, run_numbers: Sequence[int]) -> set[int]:
    """Those of ``run_numbers`` with a check in alarm that no editor has reviewed."""
    if not run_numbers:
        return set()
    query = (
        select(quality_results.c.run)
        .distinct()
        .join(runs, runs.c.run == quality_results.c.run)
        .where(
            quality_results.c.run.in_(list(run_numbers)),
            quality_results.c.state == CheckState.ALARM.value,
            runs.c.reviewed.is_(False),
        )
    )
    with access.db.begin() as conn:
        return set(conn.execute(query).scalars())


def observable_states(access: DataAccess, run: int) -> dict[str, ResultRow]:
    """The worst stored result of each checked observable in ``run``: what its panels show."""
    worst: dict[str, ResultRow] = {}
    for row in list_results(access, run, run):
        if row.observable not in worst:  # list_results is worst first
            worst[row.observable] = row
    return worst


def list_cells(access: DataAccess, first: int, last: int) -> list[tuple[int, str, CheckState]]:
    """(run, check name, state) of every result over a run range: the quality grid, without messages."""
    query = (
        select(quality_results.c.run, quality_checks.c.name, quality_results.c.state)
        .join(quality_checks, quality_checks.c.id == quality_results.c.check_id)
        .where(quality_results.c.run.between(first, last))
    )
    with access.db.begin() as conn:
        return [(run, name, CheckState(state)) for run, name, state in conn.execute(query)]
