"""Comparing runs in the simulated browser: the panel dialog's overlay fields, drawn as one series per run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from controls import control
from nicegui.testing.user import User
from observable_fields import choose
from polling import RETRIES, wait_until
from test_web_reference import wait_for_names

from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.overlay import Overlay
from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import SSPALS

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
WAVE = f"{SSPALS}*V"


async def test_an_overlay_chosen_in_the_dialog_is_saved_and_drawn(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Compare", DashboardSpec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390003")
    await web_user.should_see("Add panel", retries=RETRIES)
    web_user.find("Add panel").click()
    await choose(web_user, "panel-observable", WAVE)
    control(web_user, "panel-chart-type").set_value("histogram")
    control(web_user, "panel-overlay").set_value("list")
    web_user.find(marker="panel-overlay-runs").type("390000-390002, 390009-390026")
    web_user.find(marker="panel-save").click()
    await web_user.should_see("21 runs listed: at most 20 can be overlaid")
    web_user.find(marker="panel-overlay-runs").clear().type("390000, 390001")
    control(web_user, "panel-normalise").set_value("peak")
    web_user.find(marker="panel-reference-run").type("390002")
    web_user.find(marker="panel-save").click()

    def saved() -> store.Dashboard | None:
        found = store.get_dashboard(seeded_access, made.id, accounts["alice"])
        return found if found is not None and found.spec.panels else None

    found = await wait_until(saved, "the panel saved")
    assert len(found.spec.panels) == 1
    panel = found.spec.panels[0]
    assert panel.options == HistogramOptions(overlay=Overlay(mode="list", runs=[390000, 390001]), normalise="peak")
    assert panel.reference_run == 390002
    await wait_for_names(web_user, {panel.id: ["run 390003", "run 390001", "run 390000", "reference 390002"]})


async def test_previous_runs_move_with_the_shown_run(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    spec = DashboardSpec(
        panels=[PanelSpec(id="h", type="histogram", observables=[WAVE],
                          options=HistogramOptions(overlay=Overlay(mode="previous", count=2)))]
    )  # fmt: skip
    made = store.create_dashboard(seeded_access, accounts["alice"], "Compare", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390003")
    await wait_for_names(web_user, {"h": ["run 390003", "run 390002", "run 390001"]})
    web_user.find(marker="run-previous").click()
    await wait_for_names(web_user, {"h": ["run 390002", "run 390001", "run 390000"]})
