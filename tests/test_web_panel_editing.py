"""Building a dashboard in the simulated browser: the tree, the panel dialog, the grid's layout events, versions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from controls import control
from nicegui import ui
from nicegui.testing.user import User
from observable_fields import choose
from polling import RETRIES, wait_until

from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.charts.stat import LEVEL_FILL
from alpaca_dash.content.charts.trend import TrendOptions
from alpaca_dash.content.options import BoundedOptions
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.runs import update_run_meta
from alpaca_dash.queries.users import Role
from alpaca_dash.queries.values import load_value
from alpaca_dash.sources.simulated import ELENA, SSPALS
from alpaca_dash.web.grid import PanelGrid

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
H = f"{ELENA}*H_offset_mm"


def leaves(nodes: list[dict[str, object]]) -> list[str]:
    found: list[str] = []
    for node in nodes:
        children = node.get("children")
        if isinstance(children, list):
            found += leaves(children)
        else:
            found.append(str(node["id"]))
    return found


async def eventually(check: Callable[[], bool]) -> None:
    await wait_until(check, "the page to change")


async def open_dashboard(user: User, access: DataAccess, owner: int, spec: DashboardSpec | None = None) -> int:
    made = store.create_dashboard(access, owner, "Editing", spec)
    await user.open(f"/dashboard/{made.id}")
    await user.should_see("Observables", retries=RETRIES)
    user.find(marker="toggle-observables").click()  # the drawer builds its tree when first opened
    await user.should_see(kind=ui.tree, retries=RETRIES)
    return made.id


async def test_search_the_tree_and_add_a_waveform_panel(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    dashboard_id = await open_dashboard(web_user, seeded_access, accounts["alice"])
    web_user.find("Search observables").type("SSPALS")
    tree = next(iter(web_user.find(kind=ui.tree).elements))
    await eventually(lambda: sorted(leaves(tree.props["nodes"])) == [f"{SSPALS}*V", f"{SSPALS}*t"])
    web_user.find(kind=ui.tree).trigger("update:selected", f"{SSPALS}*V")
    await web_user.should_see(marker="panel-chart-type", retries=RETRIES)
    chart_type = control(web_user, "panel-chart-type", ui.select)
    assert list(chart_type.options) == ["line", "scatter", "histogram", "trend"] and chart_type.value == "line"
    web_user.find(marker="panel-title").type("My SSPALS")
    await choose(web_user, "panel-x", f"{SSPALS}*t")
    web_user.find(marker="panel-save").click()

    def saved() -> bool:
        found = store.get_dashboard(seeded_access, dashboard_id, accounts["alice"])
        return found is not None and len(found.spec.panels) == 1

    await eventually(saved)
    found = store.get_dashboard(seeded_access, dashboard_id, accounts["alice"])
    assert found is not None
    panel = found.spec.panels[0]
    assert (panel.type, panel.title, panel.observables, panel.x) == (
        "line",
        "My SSPALS",
        [f"{SSPALS}*V"],
        f"{SSPALS}*t",
    )
    await web_user.should_see("My SSPALS", retries=RETRIES)


async def test_a_stats_colour_and_badge_follow_one_setting(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    dashboard_id = await open_dashboard(web_user, seeded_access, accounts["alice"])
    web_user.find("Add panel").click()
    await choose(web_user, "panel-observable", f"{ELENA}*Intensity_E7")
    chart_type = control(web_user, "panel-chart-type", ui.select)
    assert list(chart_type.options) == ["stat", "table", "trend", "correlation"]
    await web_user.should_not_see("Thresholds")
    web_user.find(marker="panel-warn-high").type("-1000")
    web_user.find(marker="panel-save").click()
    await eventually(lambda: len(store.list_versions(seeded_access, dashboard_id, accounts["alice"])) == 2)
    found = store.get_dashboard(seeded_access, dashboard_id, accounts["alice"])
    assert found is not None and found.spec.panels[0].options.model_dump()["warn_high"] == -1000
    assert web_user.client is not None

    def fill() -> object:
        charts = [e for e in web_user.client.elements.values() if isinstance(e, ui.echart)]  # type: ignore[union-attr]
        elements = [c.options.get("graphic", {}).get("elements") for c in charts]
        return next((e[0]["style"]["fill"] for e in elements if e), None)

    await eventually(lambda: fill() == LEVEL_FILL["warn"])  # drawn orange, as its badge says "warn"
    await web_user.should_see(marker="alarm-summary")


def bound_texts(user: User) -> list[object]:
    return [
        control(user, f"panel-{name}").props["value"] for name in ("warn-low", "warn-high", "alarm-low", "alarm-high")
    ]


def saved_panel(access: DataAccess, dashboard_id: int, owner: int) -> PanelSpec:
    found = store.get_dashboard(access, dashboard_id, owner)
    assert found is not None and len(found.spec.panels) == 1
    return found.spec.panels[0]


def panel_chart(user: User, panel_id: str) -> tuple[object, dict[str, object]]:
    """The panel's state and its chart's option."""
    assert user.client is not None
    for element in user.client.elements.values():
        if element.props.get("data-panel") == panel_id:
            chart = next((e for e in element.descendants() if isinstance(e, ui.echart)), None)
            return element.props["data-state"], chart.options if chart else {}
    return None, {}


async def test_warn_and_alarm_bounds_through_the_dialog(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    alice = accounts["alice"]
    (observable,) = get_observables(seeded_access, [H])
    value = load_value(seeded_access, observable, 390003)  # the newest run, which the page shows
    assert value is not None
    shown = float(value.item())
    await log_in(web_user, "alice")
    dashboard_id = await open_dashboard(web_user, seeded_access, alice)
    web_user.find("Add panel").click()
    await choose(web_user, "panel-observable", H)
    assert control(web_user, "panel-chart-type").value == "stat"
    web_user.find(marker="panel-title").type("Hot")

    web_user.find(marker="panel-warn-low").type("abc")
    web_user.find(marker="panel-save").click()
    await web_user.should_see("Warn low: 'abc' is not a number", retries=RETRIES)
    web_user.find(marker="panel-warn-low").clear()
    web_user.find(marker="panel-warn-high").type(str(shown + 10))
    web_user.find(marker="panel-alarm-high").type(str(shown - 1))
    web_user.find(marker="panel-save").click()
    await web_user.should_see("the warn bounds must lie within the alarm bounds", retries=RETRIES)
    web_user.find(marker="panel-alarm-low").type(str(shown + 5))
    web_user.find(marker="panel-warn-high").clear().type(str(shown - 2))
    web_user.find(marker="panel-save").click()
    await web_user.should_see("must be below alarm high", retries=RETRIES)
    assert len(store.list_versions(seeded_access, dashboard_id, alice)) == 1  # nothing saved yet

    web_user.find(marker="panel-alarm-low").clear()
    web_user.find(marker="panel-save").click()
    await eventually(lambda: len(store.list_versions(seeded_access, dashboard_id, alice)) == 2)
    panel = saved_panel(seeded_access, dashboard_id, alice)
    bounds = panel.options_as(BoundedOptions)
    assert (bounds.warn_low, bounds.warn_high, bounds.alarm_low, bounds.alarm_high) == (
        None,
        shown - 2,
        None,
        shown - 1,
    )
    await web_user.should_see("1 in alarm: Hot", retries=RETRIES)

    web_user.find(marker=f"edit-{panel.id}").click()  # the dialog shows the saved bounds
    await web_user.should_see("Edit panel", retries=RETRIES)
    assert bound_texts(web_user) == ["", str(shown - 2), "", str(shown - 1)]
    web_user.find(marker="panel-alarm-high").clear()
    web_user.find(marker="panel-save").click()
    await eventually(
        lambda: saved_panel(seeded_access, dashboard_id, alice).options_as(BoundedOptions).alarm_high is None
    )
    await web_user.should_see("1 warning: Hot", retries=RETRIES)


async def test_trend_axis_and_bad_runs_through_the_dialog(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    alice = accounts["alice"]
    update_run_meta(seeded_access, 390001, good=False, comment="beam lost")
    bounds = TrendOptions(warn_low=-1000.5, alarm_low=-2000)
    spec = DashboardSpec(panels=[PanelSpec(id="t", type="trend", title="T", observables=[H], options=bounds)])
    made = store.create_dashboard(seeded_access, alice, "Trend", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?runs=390000-390003")
    await eventually(lambda: panel_chart(web_user, "t")[0] == "ready")
    series = panel_chart(web_user, "t")[1]["series"]
    assert isinstance(series, list) and [p[0] for p in series_data(series[1])] == [390001]  # the bad run, marked

    web_user.find(marker="edit-t").click()
    await web_user.should_see("Edit panel", retries=RETRIES)
    assert bound_texts(web_user) == ["-1000.5", "", "-2000", ""]
    assert (control(web_user, "panel-trend-x").value, control(web_user, "panel-bad-runs").value) == ("run", "mark")
    control(web_user, "panel-trend-x").set_value("time")
    control(web_user, "panel-bad-runs").set_value("hide")
    web_user.find(marker="panel-save").click()
    await eventually(lambda: saved_panel(seeded_access, made.id, alice).options_as(TrendOptions).hide_bad)
    options = saved_panel(seeded_access, made.id, alice).options
    assert options == TrendOptions(trend_x="time", hide_bad=True, warn_low=-1000.5, alarm_low=-2000)

    def redrawn() -> bool:
        state, option = panel_chart(web_user, "t")
        return state == "ready" and option.get("xAxis", {}).get("type") == "time"  # type: ignore[attr-defined]

    await eventually(redrawn)
    series = panel_chart(web_user, "t")[1]["series"]
    assert isinstance(series, list) and len(series) == 1  # the bad run is hidden
    assert [p[2] for p in series_data(series[0])] == [390000, 390002, 390003]


async def test_layout_changes_are_saved_and_versions_restore(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    alice = accounts["alice"]
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="a", type="stat", observables=[f"{ELENA}*H_offset_mm"], layout=GridPosition(x=0, w=3, h=3)),
            PanelSpec(id="b", type="stat", observables=[f"{ELENA}*V_offset_mm"], layout=GridPosition(x=3, w=3, h=3)),
        ]
    )
    await log_in(web_user, "alice")
    dashboard_id = await open_dashboard(web_user, seeded_access, alice, spec)
    grid = web_user.find(kind=PanelGrid)
    grid.trigger("layout", [{"id": "a", "x": 6, "y": 0, "w": 6, "h": 5}, {"id": "b", "x": 0, "y": 0, "w": 3, "h": 3}])

    def moved() -> bool:
        found = store.get_dashboard(seeded_access, dashboard_id, alice)
        return found is not None and found.version == 2

    await eventually(moved)
    found = store.get_dashboard(seeded_access, dashboard_id, alice)
    assert found is not None and found.spec.panel("a") is not None
    assert found.spec.panels[0].layout == GridPosition(x=6, y=0, w=6, h=5)
    grid.trigger("layout", [{"id": "a", "x": 6, "y": 0, "w": 6, "h": 5}, {"id": "b", "x": 0, "y": 0, "w": 3, "h": 3}])
    grid.trigger("layout", [{"id": "a", "x": 99, "y": 0, "w": 6, "h": 5}])  # invalid: ignored
    await asyncio.sleep(0.5)
    assert store.get_dashboard(seeded_access, dashboard_id, alice).version == 2  # type: ignore[union-attr]

    web_user.find(marker="remove-b").click()
    await eventually(lambda: store.get_dashboard(seeded_access, dashboard_id, alice).version == 3)  # type: ignore[union-attr]
    web_user.find(marker="versions").click()
    await web_user.should_see(marker="restore-1", retries=RETRIES)
    web_user.find(marker="restore-1").click()
    await eventually(lambda: store.get_dashboard(seeded_access, dashboard_id, alice).version == 4)  # type: ignore[union-attr]
    restored = store.get_dashboard(seeded_access, dashboard_id, alice)
    assert restored is not None and restored.spec == spec


async def test_export_from_the_dashboard_page(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    spec = DashboardSpec(panels=[PanelSpec(id="a", type="stat", observables=[f"{ELENA}*H_offset_mm"])])
    await log_in(web_user, "alice")
    await open_dashboard(web_user, seeded_access, accounts["alice"], spec)
    web_user.find(marker="export").click()
    response = await web_user.download.next(timeout=5)
    exported = json.loads(response.content)
    assert exported["format"] == "alpaca-dash/dashboard" and exported["title"] == "Editing"
    assert exported["spec"] == spec.model_dump(mode="json")


async def test_viewers_look_but_do_not_change(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    victor = accounts["victor"]
    spec = DashboardSpec(panels=[PanelSpec(id="a", type="stat", observables=[f"{ELENA}*H_offset_mm"])])
    user_queries.set_role(seeded_access, "victor", Role.EDITOR)  # made while victor was an editor
    dashboard_id = store.create_dashboard(seeded_access, victor, "Editing", spec).id
    user_queries.set_role(seeded_access, "victor", Role.VIEWER)
    await log_in(web_user, "victor")
    await web_user.should_not_see("Create")
    await web_user.open(f"/dashboard/{dashboard_id}")
    await web_user.should_see("Observables", retries=RETRIES)
    web_user.find(marker="toggle-observables").click()
    await web_user.should_see(kind=ui.tree, retries=RETRIES)
    await web_user.should_not_see("Add panel")
    web_user.find(kind=PanelGrid).trigger("layout", [{"id": "a", "x": 6, "y": 0, "w": 6, "h": 5}])
    web_user.find(kind=ui.tree).trigger("update:selected", f"{SSPALS}*V")
    await asyncio.sleep(0.5)
    found = store.get_dashboard(seeded_access, dashboard_id, victor)
    assert found is not None and found.version == 1
    await web_user.should_not_see("Save panel")
