"""Comparing runs in the simulated browser: the panel dialog's overlay fields, drawn as one series per run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from controls import control
from nicegui.testing.user import User
from observable_fields import choose
from polling import RETRIES, wait_until
from test_web_reference import wait_for_names

from alpaca_dash.content.charts.common import MINUS
from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.overlay import Overlay
from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import SSPALS

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
WAVE = f"{SSPALS}*V"


async def open_panel_dialog(
    user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn, spec: DashboardSpec
) -> store.Dashboard:
    """Alice's new dashboard of ``spec`` at run 390003, its panel dialog open on the waveform."""
    made = store.create_dashboard(access, accounts["alice"], "Compare", spec)
    await log_in(user, "alice")
    await user.open(f"/dashboard/{made.id}?run=390003")
    await user.should_see("Add panel", retries=RETRIES)
    user.find("Add panel").click()
    await choose(user, "panel-observable", WAVE)
    return made


async def saved_panel(access: DataAccess, dashboard_id: int, user_id: int) -> PanelSpec:
    """The one panel of the dashboard, once it is saved."""

    def saved() -> store.Dashboard | None:
        found = store.get_dashboard(access, dashboard_id, user_id)
        return found if found is not None and found.spec.panels else None

    panels = (await wait_until(saved, "the panel saved")).spec.panels
    assert len(panels) == 1
    return panels[0]


async def test_an_overlay_chosen_in_the_dialog_is_saved_and_drawn(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = await open_panel_dialog(web_user, seeded_access, accounts, log_in, DashboardSpec())
    control(web_user, "panel-chart-type").set_value("histogram")
    control(web_user, "panel-overlay").set_value("list")
    web_user.find(marker="panel-overlay-runs").type("390000-390002, 390009-390026")
    web_user.find(marker="panel-save").click()
    await web_user.should_see("21 runs listed: at most 20 can be overlaid")
    web_user.find(marker="panel-overlay-runs").clear().type("390000, 390001")
    control(web_user, "panel-normalise").set_value("peak")
    web_user.find(marker="panel-reference-run").type("390002")
    web_user.find(marker="panel-save").click()
    panel = await saved_panel(seeded_access, made.id, accounts["alice"])
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


async def test_a_difference_or_ratio_under_the_plot_chosen_in_the_dialog(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = await open_panel_dialog(web_user, seeded_access, accounts, log_in, DashboardSpec(reference_run=390000))
    control(web_user, "panel-chart-type").set_value("line")
    control(web_user, "panel-reference-plot").set_value("ratio")
    web_user.find(marker="panel-save").click()
    panel = await saved_panel(seeded_access, made.id, accounts["alice"])
    assert panel.options == LineOptions(reference_plot="ratio")
    # drawn under the plot against the dashboard's reference, on the same sample index
    await wait_for_names(web_user, {panel.id: ["run 390003", "reference 390000", "run 390003 / reference 390000"]})
    # the dialog shows it again when the panel is edited, and a change is saved
    web_user.find(marker=f"edit-{panel.id}").click()
    await wait_until(lambda: control(web_user, "panel-reference-plot").value == "ratio", "the dialog filled")
    control(web_user, "panel-reference-plot").set_value("difference")
    web_user.find(marker="panel-save").click()
    await wait_for_names(
        web_user, {panel.id: ["run 390003", "reference 390000", f"run 390003 {MINUS} reference 390000"]}
    )

    def difference_saved() -> bool:
        found = store.get_dashboard(seeded_access, made.id, accounts["alice"])
        return found is not None and found.spec.panels[0].options == LineOptions(reference_plot="difference")

    await wait_until(difference_saved, "the difference saved")
