"""Warn and alarm bounds: the level of the shown run's value, per panel and summarised for the dashboard."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import RETRIES, wait_until
from pydantic import ValidationError

from alpaca_dash.content.alarms import classify_level, panel_level, summarise_levels
from alpaca_dash.content.charts.stat import StatOptions
from alpaca_dash.content.data import PanelContent
from alpaca_dash.content.options import bounds_problem
from alpaca_dash.content.spec import (
    DashboardFileError,
    DashboardSpec,
    GridPosition,
    PanelSpec,
    parse_import,
)
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.values import load_value
from alpaca_dash.sources.simulated import ELENA
from alpaca_dash.web.dashboard.panel_dialog import format_bound, parse_bound

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
H = f"{ELENA}*H_offset_mm"


def test_levels() -> None:
    bounds = StatOptions(warn_low=-1, warn_high=1, alarm_high=2)
    assert classify_level(0.0, bounds) == "ok"
    assert classify_level(1.5, bounds) == "warn" and classify_level(-1.5, bounds) == "warn"
    assert classify_level(2.5, bounds) == "alarm"
    assert classify_level(float("nan"), bounds) is None and classify_level(None, bounds) is None
    judged = PanelSpec(id="s", type="stat", observables=[H], options=bounds)
    assert panel_level(judged, PanelContent("ready", {}, value=1.5)) == "warn"
    assert panel_level(judged, PanelContent("nodata", value=None)) is None
    unjudged = PanelSpec(id="s", type="stat", observables=[H])
    assert panel_level(unjudged, PanelContent("ready", {}, value=1e9)) is None
    assert summarise_levels({"a": "alarm", "b": "warn", "c": "ok"}, {"a": "A", "b": "B"}) == ("1 in alarm", "A, B")
    assert summarise_levels({"c": "ok"}, {}) == ("", "")


def test_warn_bounds_lie_within_the_alarm_bounds() -> None:
    assert bounds_problem(StatOptions(warn_low=-1, warn_high=1, alarm_low=-2, alarm_high=2)) == ""
    assert bounds_problem(StatOptions(warn_low=-2, alarm_low=-2, warn_high=5)) == ""  # a warn bound may equal one
    with pytest.raises(ValidationError, match=r"within the alarm bounds: alarm low \(-2\) is above warn low \(-3\)"):
        StatOptions(warn_low=-3, alarm_low=-2)
    with pytest.raises(ValidationError, match=r"within the alarm bounds: warn high \(3\) is above alarm high \(2\)"):
        StatOptions(warn_high=3, alarm_high=2)
    with pytest.raises(ValidationError, match=r"warn low \(1\) must be below warn high \(0\)"):
        StatOptions(warn_low=1, warn_high=0)
    with pytest.raises(ValidationError, match=r"alarm low \(2\) must be below alarm high \(2\)"):
        StatOptions(alarm_low=2, alarm_high=2)
    with pytest.raises(ValidationError, match=r"alarm low \(5\) must be below warn high \(1\)"):
        StatOptions(alarm_low=5, warn_high=1)
    with pytest.raises(ValidationError, match="finite number"):
        StatOptions(alarm_high=float("inf"))
    panel = {"id": "a", "type": "stat", "observables": [H], "options": {"warn_high": 3, "alarm_high": 2}}
    imported = {"title": "Bad bounds", "spec": {"panels": [panel]}}
    with pytest.raises(DashboardFileError, match="warn bounds must lie within the alarm bounds"):
        parse_import(json.dumps(imported).encode())


def test_bounds_as_typed() -> None:
    assert parse_bound(" 1e-3 ", "Warn low") == 0.001 and parse_bound("", "Warn low") is None
    assert parse_bound(None, "Warn low") is None
    with pytest.raises(ValueError, match="Warn low: '1,5' is not a number"):
        parse_bound("1,5", "Warn low")
    with pytest.raises(ValueError, match="Alarm high: write a finite number"):
        parse_bound("nan", "Alarm high")
    assert (format_bound(None), format_bound(3.0), format_bound(-0.1)) == ("", "3", "-0.1")
    for value in (0.1, -1000.5, 1e20, 3.0, 2 / 3):
        assert parse_bound(format_bound(value), "x") == value


async def test_panels_in_alarm_are_badged(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    (observable,) = get_observables(seeded_access, [H])
    value = load_value(seeded_access, observable, 390002)
    assert value is not None
    shown = float(value.item())
    spec = DashboardSpec(
        panels=[
            PanelSpec(id="hot", type="stat", title="Hot", observables=[H], options=StatOptions(alarm_high=shown - 1)),
            PanelSpec(
                id="fine",
                type="stat",
                title="Fine",
                observables=[H],
                options=StatOptions(warn_low=shown - 1, warn_high=shown + 1),
                layout=GridPosition(x=4),
            ),
            PanelSpec(
                id="trend",
                type="trend",
                title="Trend",
                observables=[H],
                options=StatOptions(warn_high=shown - 1, alarm_high=shown + 100),
                layout=GridPosition(x=8),
            ),
        ]
    )
    made = store.create_dashboard(seeded_access, accounts["alice"], "Alarms", spec)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390002")
    await web_user.should_see("1 in alarm: Hot, Trend", retries=RETRIES)
    assert web_user.client is not None
    client = web_user.client

    def badges() -> list[str]:
        return sorted(e.text for e in client.elements.values() if isinstance(e, ui.badge) and e.visible)

    await wait_until(
        lambda: badges() == ["1 in alarm: Hot, Trend", "alarm", "good", "warn"], lambda: f"badges, not {badges()}"
    )
