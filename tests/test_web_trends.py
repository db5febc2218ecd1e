"""Trend and correlation panels drawn over a run range in the simulated browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from controls import control
from nicegui import ui
from nicegui.testing.user import User
from observable_fields import choose
from polling import RETRIES, wait_until

from alpaca_dash.content.charts.correlation import CorrelationOptions
from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.charts.trend import TrendOptions
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import update_run_meta
from alpaca_dash.sources.simulated import ELENA, SSPALS

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def trend_spec() -> DashboardSpec:
    return DashboardSpec(
        panels=[
            PanelSpec(id="trend", type="trend", observables=[f"{ELENA}*H_offset_mm"]),
            PanelSpec(
                id="wavemax",
                type="trend",
                observables=[f"{SSPALS}*V"],
                options=TrendOptions(statistic="max", hide_bad=True),
                layout=GridPosition(x=4),
            ),
            PanelSpec(
                id="corr",
                type="correlation",
                observables=[f"{ELENA}*H_offset_mm"],
                x=f"{ELENA}*V_offset_mm",
                layout=GridPosition(x=8),
            ),
        ]
    )


def charts_by_panel(user: User) -> dict[str, dict[str, Any]]:
    assert user.client is not None
    found = {}
    for element in user.client.elements.values():
        if "data-panel" in element.props:
            chart = next((e for e in element.descendants() if isinstance(e, ui.echart)), None)
            found[str(element.props["data-panel"])] = {
                "state": element.props["data-state"],
                "option": chart.options if chart else {},
            }
    return found


async def wait_ready(user: User, count: int) -> dict[str, dict[str, Any]]:
    def loaded() -> dict[str, dict[str, Any]] | None:
        panels = charts_by_panel(user)
        return panels if len(panels) == count and all(p["state"] != "loading" for p in panels.values()) else None

    return await wait_until(loaded, lambda: f"{count} panels loaded, not {charts_by_panel(user)}")


async def test_trends_over_a_run_range_draw_and_mark_bad_runs(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    update_run_meta(seeded_access, 390001, good=False, comment="beam lost")
    made = store.create_dashboard(seeded_access, accounts["alice"], "Trends", trend_spec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390003&runs=390000-390003")
    panels = await wait_ready(web_user, 3)
    assert {k: p["state"] for k, p in panels.items()} == {"trend": "ready", "wavemax": "ready", "corr": "ready"}

    trend = panels["trend"]["option"]["series"]
    assert [point[0] for point in series_data(trend[0])] == [390000, 390002, 390003]
    assert [point[0] for point in series_data(trend[1])] == [390001]  # the bad run, in red
    assert [(p["value"][2], p["note"]) for p in trend[2]["data"]] == [(390001, "beam lost")]  # its comment
    wave = panels["wavemax"]["option"]
    assert len(wave["series"]) == 1 and [p[0] for p in series_data(wave["series"][0])] == [390000, 390002, 390003]
    assert "(max)" in wave["yAxis"]["name"]
    assert trend[0]["markLine"]["data"] == [{"xAxis": 390003.0}]  # the shown run, marked
    corr = panels["corr"]["option"]["series"]
    assert sorted(p[2] for s in corr[:2] for p in series_data(s)) == [390000, 390001, 390002, 390003]
    assert corr[2]["name"] == "run 390003" and [p[2] for p in series_data(corr[2])] == [390003]


async def test_a_bad_range_in_the_url_falls_back_to_the_default(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Trends", trend_spec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?runs=390003-390000")
    await web_user.should_see("reversed run range", retries=RETRIES)
    panels = await wait_ready(web_user, 3)
    assert len(series_data(panels["trend"]["option"]["series"][0])) == 4  # last 200 runs up to the newest


async def test_trend_and_correlation_panels_through_the_dialog(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Dialog", DashboardSpec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?runs=390000-390003")
    await web_user.should_see("Add panel", retries=RETRIES)

    web_user.find("Add panel").click()
    await choose(web_user, "panel-observable", f"{ELENA}*H_offset_mm")
    control(web_user, "panel-chart-type").set_value("correlation")
    await choose(web_user, "panel-x", f"{ELENA}*V_offset_mm")
    web_user.find(marker="panel-save").click()
    panels = await wait_ready(web_user, 1)
    assert len([p for s in next(iter(panels.values()))["option"]["series"][:2] for p in series_data(s)]) == 4

    web_user.find("Add panel").click()
    await choose(web_user, "panel-observable", f"{SSPALS}*V")
    control(web_user, "panel-chart-type").set_value("trend")
    control(web_user, "panel-statistic").set_value("std")
    web_user.find(marker="panel-save").click()
    panels = await wait_ready(web_user, 2)
    found = store.get_dashboard(seeded_access, made.id, accounts["alice"])
    assert found is not None
    assert [(p.type, p.x, p.options) for p in found.spec.panels] == [
        ("correlation", f"{ELENA}*V_offset_mm", CorrelationOptions()),
        ("trend", None, TrendOptions(statistic="std")),
    ]
    assert all(p["state"] == "ready" for p in panels.values())
