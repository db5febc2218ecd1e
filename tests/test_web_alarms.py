"""Warn and alarm bounds: the level of the shown run's value, per panel and summarised for the dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.testing.user import User

from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.dashboard_spec import DashboardSpec, GridPosition, PanelOptions, PanelSpec
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.values import load_value
from alpaca_dash.sources.simulated import ELENA
from alpaca_dash.web.dashboard.alarms import classify_level, summarise_levels, trend_value

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
SLOW = 100
H = f"{ELENA}*H_offset_mm"


def test_levels() -> None:
    bounds = PanelOptions(warn_low=-1, warn_high=1, alarm_high=2)
    assert classify_level(0.0, bounds) == "ok"
    assert classify_level(1.5, bounds) == "warn" and classify_level(-1.5, bounds) == "warn"
    assert classify_level(2.5, bounds) == "alarm"
    assert classify_level(float("nan"), bounds) is None and classify_level(None, bounds) is None
    assert trend_value({"series": [{"data": [[1, 0.5, 7], [2, 0.7, 8]]}]}, 8) == 0.7
    assert summarise_levels({"a": "alarm", "b": "warn", "c": "ok"}, {"a": "A", "b": "B"}) == ("1 in alarm", "A, B")
    assert summarise_levels({"c": "ok"}, {}) == ("", "")


async def test_panels_in_alarm_are_badged(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    (observable,) = get_observables(seeded_access, [H])
    value = load_value(seeded_access, observable, 390002)
    assert value is not None
    shown = float(value.item())
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="hot", type="stat", title="Hot", observables=[H], options=PanelOptions(alarm_high=shown - 1)),
            PanelSpec(
                id="fine",
                type="stat",
                title="Fine",
                observables=[H],
                options=PanelOptions(warn_low=shown - 1, warn_high=shown + 1),
                layout=GridPosition(x=4),
            ),
            PanelSpec(
                id="trend",
                type="trend",
                title="Trend",
                observables=[H],
                options=PanelOptions(warn_high=shown - 1, alarm_high=shown + 100),
                layout=GridPosition(x=8),
            ),
        ]
    )
    made = store.create_dashboard(seeded_access, accounts["alice"], "Alarms", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390002")
    await web_user.should_see("1 in alarm: Hot, Trend", retries=SLOW)
    assert web_user.client is not None
    for _ in range(SLOW):
        texts = sorted(e.text for e in web_user.client.elements.values() if isinstance(e, ui.badge) and e.visible)
        if texts == ["1 in alarm: Hot, Trend", "alarm", "warn"]:
            break
        await asyncio.sleep(0.1)
    assert texts == ["1 in alarm: Hot, Trend", "alarm", "warn"]
