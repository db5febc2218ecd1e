"""The quality page in NiceGUI's simulated browser: runs x checks, per-run summaries, one run's results and anomaly
list, and the editor's verdict that ends a run's suspect mark."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import RETRIES, wait_until

from alpaca_dash.domain import RunRecord
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.pipeline.quality import QualityEvaluator, evaluate_range
from alpaca_dash.quality.checks import parse_checks
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.anomalies import rank_anomalies
from alpaca_dash.queries.checks import import_checks
from alpaca_dash.queries.dashboards import create_dashboard
from alpaca_dash.queries.quality import suspect_runs
from alpaca_dash.queries.runs import get_run
from alpaca_dash.sources.simulated import SimulatedSource

FIRST_RUN, SEEDED_RUNS = 390000, 4  # as web_fixtures seeds them

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
ELENA = "ELENA_Parameters*H_offset_mm"
INTENSITY = "ELENA_Parameters*Intensity_E7"
CHECKS = [
    {"kind": "scalar", "name": "offset sane", "observable": ELENA, "bounds": {"alarm_low": -1e6, "alarm_high": 1e6}},
    {"kind": "history", "name": "intensity history", "observable": INTENSITY, "last_runs": 10},
]


def table_rows(user: User, marker: str) -> list[dict[str, Any]]:
    (table,) = user.find(marker=marker).elements
    assert isinstance(table, ui.table)
    return list(table.rows)


def listed_runs(user: User) -> list[int]:
    return [int(row["run"]) for row in table_rows(user, "quality-runs")]


async def wait_for_runs(user: User, runs: list[int]) -> None:
    await wait_until(lambda: listed_runs(user) == runs, lambda: f"runs {runs}, not {listed_runs(user)}")


def button_enabled(user: User, marker: str) -> bool:
    (button,) = user.find(marker=marker).elements
    assert isinstance(button, ui.button)
    return bool(button.enabled)


@pytest.fixture
def judged(seeded_access: DataAccess, simulated: SimulatedSource) -> DataAccess:
    """The seeded runs judged, then one run whose ELENA intensity jumps a hundredfold, judged after its commit."""
    access = seeded_access
    import_checks(access, parse_checks(CHECKS))
    evaluate_range(access.db, access.store, FIRST_RUN, FIRST_RUN + SEEDED_RUNS - 1)
    broken = simulated.read_run(FIRST_RUN + SEEDED_RUNS)
    values = dict(broken.values)
    values[INTENSITY] = np.float64(values[INTENSITY]) * 100

    class Broken(SimulatedSource):
        def read_run(self, run: int) -> RunRecord:
            return RunRecord(broken.run, broken.start, broken.end, values)

    evaluator = QualityEvaluator(access.db, access.store)
    assert ingest_run(access.db, access.store, Broken(seed=7, first_run=FIRST_RUN), broken.run, quality=evaluator).ok
    evaluator.close()
    return access


def test_the_changed_observable_is_the_first_anomaly(judged: DataAccess) -> None:
    ranked = rank_anomalies(judged, FIRST_RUN + SEEDED_RUNS)
    assert ranked[0].observable == INTENSITY and ranked[0].statistic == "value"
    assert ranked[0].score > 10 * ranked[1].score
    assert len(ranked) > 300  # every observable with statistics, checked or not


async def test_shifters_see_runs_by_checks_and_an_editor_clears_a_suspect_run(
    web_user: User, judged: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    broken = FIRST_RUN + SEEDED_RUNS
    dashboard = create_dashboard(judged, accounts["alice"], "Shift")
    assert suspect_runs(judged, [broken]) == {broken}
    await log_in(web_user, "alice")
    await web_user.open("/quality")
    await web_user.should_see(marker="quality-runs", retries=RETRIES)
    await wait_until(lambda: len(table_rows(web_user, "quality-runs")) == SEEDED_RUNS + 1, "the runs listed")
    rows = table_rows(web_user, "quality-runs")
    assert [row["run"] for row in rows] == list(range(broken, FIRST_RUN - 1, -1))  # newest first
    assert rows[0]["flag"] == "suspect" and rows[0]["worst"] == "alarm" and rows[0]["alarm"] == 1
    assert rows[1]["flag"] == "good" and rows[1]["ok"] >= 1

    (chart,) = web_user.find(marker="quality-grid").elements
    assert isinstance(chart, ui.echart)
    assert chart.options["xAxis"]["data"][0] == "intensity history"  # the check in alarm first
    assert chart.options["yAxis"]["data"][0] == str(broken)

    web_user.find(marker="quality-runs").trigger("rowClick", [{}, {"run": broken}, 0])
    await web_user.should_see(f"Run {broken}: 2 checks", retries=RETRIES)
    results = table_rows(web_user, "quality-results")
    assert [r["state"] for r in results] == ["alarm", "ok"]
    assert "sigma from the median" in results[0]["message"]
    assert table_rows(web_user, "quality-anomalies")[0]["observable"] == INTENSITY

    web_user.find("Mark good").click()
    await web_user.should_see(f"Run {broken} marked good.", retries=RETRIES)
    assert suspect_runs(judged, [broken]) == set()
    run = get_run(judged, broken)
    assert run is not None and run.good

    # a cell opens the chosen dashboard at its run
    cell = {
        "componentType": "series",
        "seriesType": "heatmap",
        "seriesIndex": 0,
        "seriesName": "",
        "name": "",
        "dataIndex": 0,
        "data": [0, 0, 4],
        "dataType": None,
        "value": [0, 0, 4],
    }
    web_user.find(marker="quality-grid").trigger("componentClick", cell)
    await web_user.should_see(marker="run-field", retries=RETRIES)
    field = next(iter(web_user.find(marker="run-field").elements))
    assert str(getattr(field, "value", "")) == str(broken)
    assert dashboard.id > 0


async def test_pages_go_back_past_the_newest_runs(
    web_user: User, judged: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    newest = FIRST_RUN + SEEDED_RUNS
    await log_in(web_user, "victor")
    await web_user.open("/quality?rows=2")
    await wait_for_runs(web_user, [newest, newest - 1])
    await web_user.should_see(f"Page 1: runs {newest} to {newest - 1}", retries=RETRIES)
    assert not button_enabled(web_user, "quality-newer")
    web_user.find(marker="quality-older").click()
    await wait_for_runs(web_user, [newest - 2, newest - 3])
    web_user.find(marker="quality-older").click()
    await wait_for_runs(web_user, [FIRST_RUN])
    await web_user.should_see(f"Page 3: runs {FIRST_RUN} to {FIRST_RUN}", retries=RETRIES)
    assert not button_enabled(web_user, "quality-older")  # the oldest page
    (chart,) = web_user.find(marker="quality-grid").elements
    assert isinstance(chart, ui.echart)
    assert chart.options["yAxis"]["data"] == [str(FIRST_RUN)]
    web_user.find(marker="quality-newer").click()
    await wait_for_runs(web_user, [newest - 2, newest - 3])
    web_user.find(marker="quality-newest").click()
    await wait_for_runs(web_user, [newest, newest - 1])


async def test_a_newly_judged_run_appears_without_reload_or_polling(
    web_user: User, judged: DataAccess, simulated: SimulatedSource, accounts: dict[str, int], log_in: LogIn
) -> None:
    newest = FIRST_RUN + SEEDED_RUNS
    await log_in(web_user, "victor")
    await web_user.open("/quality")
    await wait_for_runs(web_user, list(range(newest, FIRST_RUN - 1, -1)))
    assert web_user.client is not None
    assert not [e for e in web_user.client.elements.values() if isinstance(e, ui.timer)]

    evaluator = QualityEvaluator(judged.db, judged.store)
    try:
        await asyncio.to_thread(ingest_run, judged.db, judged.store, simulated, newest + 1, quality=evaluator)
    finally:
        await asyncio.to_thread(evaluator.close)
    await wait_for_runs(web_user, list(range(newest + 1, FIRST_RUN - 1, -1)))
    row = table_rows(web_user, "quality-runs")[0]
    assert row["worst"] != "" and sum(row[state] for state in ("ok", "warn", "alarm", "error", "nodata")) == 2
