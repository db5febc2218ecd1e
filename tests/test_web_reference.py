"""A reference run pinned per dashboard, drawn over line and histogram panels with a legend entry of its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import numpy as np
import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import wait_until
from sqlalchemy import text

from alpaca_dash.content.charts.packed import series_data
from alpaca_dash.content.overlay import RunValues, style_series, with_legend
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import SSPALS

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def spec(reference: int | None) -> DashboardSpec:
    return DashboardSpec(
        panels=[
            PanelSpec(id="wave", type="line", observables=[f"{SSPALS}*V"], x=f"{SSPALS}*t"),
            PanelSpec(id="hist", type="histogram", observables=[f"{SSPALS}*V"], layout=GridPosition(x=4)),
        ],
        reference_run=reference,
    )


def series_names(user: User) -> dict[str, list[str]]:
    assert user.client is not None
    found = {}
    for element in user.client.elements.values():
        if "data-panel" in element.props and element.props.get("data-state") == "ready":
            chart = next(e for e in element.descendants() if isinstance(e, ui.echart))
            found[str(element.props["data-panel"])] = [str(s.get("name", "")) for s in chart.options["series"]]
    return found


async def wait_for_names(user: User, expected: dict[str, list[str]]) -> None:
    await wait_until(lambda: series_names(user) == expected, lambda: f"series {expected}, not {series_names(user)}")


async def test_reference_overlay_appears_and_can_be_pinned(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Compare", spec(390000))
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390002")
    overlay = ["run 390002", "reference 390000"]
    await wait_for_names(web_user, {"wave": overlay, "hist": overlay})
    assert web_user.client is not None
    hist = next(
        e
        for e in web_user.client.elements.values()
        if isinstance(e, ui.echart) and e.options["series"][0]["type"] == "bar"
    )
    bars, reference = hist.options["series"]
    assert len(series_data(reference)) == len(series_data(bars)) and reference["step"] == "middle"

    web_user.find(marker="pin-reference").click()
    await wait_for_names(web_user, {"wave": [""], "hist": [""]})  # the reference is the shown run itself
    found = store.get_dashboard(seeded_access, made.id, accounts["alice"])
    assert found is not None and found.spec.reference_run == 390002


async def test_pinning_a_reference_where_no_panel_can_show_it(
    web_user: User,
    seeded_access: DataAccess,
    accounts: dict[str, int],
    log_in: LogIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = DashboardSpec(panels=[PanelSpec(id="h", type="stat", observables=["ELENA_Parameters*H_offset_mm"])])
    made = store.create_dashboard(seeded_access, accounts["alice"], "Stats", stats)
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390002")
    web_user.find(marker="pin-reference").click()
    await web_user.should_see("Reference run: 390002.")
    await asyncio.sleep(0.3)  # the redraw of panels that show it (none) runs after the notification
    found = store.get_dashboard(seeded_access, made.id, accounts["alice"])
    assert found is not None and found.spec.reference_run == 390002
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_reference_run_is_read_once_while_stepping(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Compare", spec(390000))
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390003")
    await wait_for_names(
        web_user, {"wave": ["run 390003", "reference 390000"], "hist": ["run 390003", "reference 390000"]}
    )
    # the reference run's waveforms vanish from storage: what the page draws from now on comes from what it read
    with seeded_access.db.begin() as conn:
        conn.execute(text("DELETE FROM arrays1d WHERE run = 390000"))
    for run in (390002, 390001):
        web_user.find(marker="run-previous").click()
        await asyncio.sleep(0.5)
        overlay = [f"run {run}", "reference 390000"]
        await wait_for_names(web_user, {"wave": overlay, "hist": overlay})


def test_reference_helpers() -> None:
    option = {"series": [{"type": "line", "data": []}]}
    shown = style_series(option["series"][0], RunValues(8, "shown", np.zeros(1)), 0, kind="line")
    reference = style_series({"type": "line", "data": [[0, 1]]}, RunValues(7, "reference", np.zeros(1)), 0, kind="line")
    merged = with_legend({**option, "series": [shown, reference]})
    assert [s.get("name") for s in merged["series"]] == ["run 8", "reference 7"]
    assert merged["legend"]["data"] == ["run 8", "reference 7"]
    assert option["series"] == [{"type": "line", "data": []}]
    assert "legend" not in with_legend(option)
    assert DashboardSpec.model_validate({"panels": []}).reference_run is None
