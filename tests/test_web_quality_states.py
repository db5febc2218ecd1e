"""Dashboards show stored check states: a panel's badge and the alarm summary follow the quality results of its
observable, and a run whose checks reach alarm is suspect on the dashboard, the runs table and in kiosk mode until
an editor sets its flag."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing.user import User

from alpaca_dash.content.alarms import panel_level
from alpaca_dash.content.charts.stat import DEFAULT_COLOR, LEVEL_FILL, StatOptions
from alpaca_dash.content.data import PanelContent
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.pipeline.quality import evaluate_range
from alpaca_dash.quality.checks import parse_checks
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import import_checks
from alpaca_dash.queries.runs import get_run, list_runs, update_run_meta
from alpaca_dash.sources.simulated import ELENA

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
SLOW = 100
H = f"{ELENA}*H_offset_mm"
V = f"{ELENA}*V_offset_mm"
RUN = 390002


def test_a_stored_state_overrides_the_panels_own_bounds() -> None:
    spec = PanelSpec(id="s", type="stat", observables=[H], options=StatOptions(alarm_high=1e9))
    content = PanelContent("ready", {}, value=1.0)
    assert panel_level(spec, content) == "ok"
    assert panel_level(spec, content, {H: "alarm"}) == "alarm"
    assert panel_level(spec, content, {H: "error"}) == "warn"
    assert panel_level(spec, content, {V: "alarm"}) == "ok"  # another observable's check: the bounds decide
    assert panel_level(PanelSpec(id="t", type="stat", observables=[H]), content, {H: "nodata"}) is None


def number_colours(user: User) -> dict[str, str]:
    """The colour of each stat panel's number, by panel id, as its chart option has it."""
    assert user.client is not None
    cards = [e for e in user.client.elements.values() if "data-panel" in e.props]
    found = {}
    for card in cards:
        for chart in (e for e in card.descendants() if isinstance(e, ui.echart)):
            found[card.props["data-panel"]] = chart.options["graphic"]["elements"][0]["style"]["fill"]
    return found


def judge(access: DataAccess) -> None:
    checks = [{"kind": "scalar", "name": "H never", "observable": H, "bounds": {"alarm_high": -1e9}}]
    import_checks(access, parse_checks(checks))
    evaluate_range(access.db, access.store, RUN, RUN)


async def test_panels_show_stored_states_and_the_run_is_suspect_until_reviewed(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    judge(seeded_access)
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="h", type="stat", title="Horizontal", observables=[H]),  # no bounds of its own
            PanelSpec(id="v", type="stat", title="Vertical", observables=[V], layout=GridPosition(x=4)),
        ]
    )
    made = store.create_dashboard(seeded_access, accounts["alice"], "Shift", spec)
    run = get_run(seeded_access, RUN)
    assert run is not None and run.suspect and run.good
    assert [r.suspect for r in list_runs(seeded_access, limit=4)] == [False, True, False, False]  # newest first

    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run={RUN}")
    await web_user.should_see("1 in alarm: Horizontal", retries=SLOW)
    await web_user.should_see(f"Run {RUN} is suspect", retries=SLOW)
    assert web_user.client is not None
    for _ in range(SLOW):
        badges = sorted(e.text for e in web_user.client.elements.values() if isinstance(e, ui.badge) and e.visible)
        if "alarm" in badges:
            break
        await asyncio.sleep(0.1)
    assert badges == ["1 in alarm: Horizontal", "alarm", "suspect"]
    # the number in the colour of its badge: the check's alarm, though the panel has no bounds of its own
    assert number_colours(web_user) == {"h": LEVEL_FILL["alarm"], "v": DEFAULT_COLOR}

    await web_user.open(f"/dashboard/{made.id}?run={RUN}&kiosk=1")
    await web_user.should_see(f"Run {RUN} is suspect", retries=SLOW)

    await web_user.open("/runs")
    await web_user.should_see("Newest runs", retries=SLOW)
    for _ in range(SLOW):
        tables = [e for e in web_user.client.elements.values() if isinstance(e, ui.table) and e.rows]
        if tables:
            break
        await asyncio.sleep(0.1)
    flags = {row["run"]: row["good"] for row in tables[0].rows}
    assert flags[RUN] == "suspect" and flags[RUN + 1] == "good"

    update_run_meta(seeded_access, RUN, good=True)
    reviewed = get_run(seeded_access, RUN)
    assert reviewed is not None and not reviewed.suspect
