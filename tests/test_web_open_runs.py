"""From the runs table into a dashboard: one ticked run opens there, two open with the older as reference."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import RETRIES, wait_until
from test_web_reference import spec, wait_for_names

from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.web.pages.open_runs import dashboard_address

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def test_the_address_of_one_or_two_runs() -> None:
    assert dashboard_address(7, [390002]) == "/dashboard/7?run=390002"
    assert dashboard_address(7, [390000, 390003]) == "/dashboard/7?run=390003&reference=390000"
    for runs in ([], [1, 2, 3]):
        with pytest.raises(ValueError, match="tick one run"):
            dashboard_address(7, runs)


async def tick(user: User, runs: list[int]) -> None:
    table = next(iter(user.find(marker="runs-table").elements))
    assert isinstance(table, ui.table)
    await wait_until(lambda: len(table.rows) == 4, "the runs")
    table.selected = [row for row in table.rows if row["run"] in runs]


async def test_two_runs_open_a_dashboard_with_one_as_reference(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Compare", spec(None))
    await log_in(web_user, "alice")
    await web_user.open("/runs")
    await web_user.should_see("Open the ticked runs", retries=RETRIES)
    web_user.find(marker="open-runs").click()
    await web_user.should_see("tick one run to open it")
    await tick(web_user, [390000, 390002])
    web_user.find(marker="open-runs").click()
    await web_user.should_see(marker="run-field", retries=RETRIES)
    assert web_user.back_history[-1] == f"/dashboard/{made.id}?run=390002&reference=390000"
    await wait_for_names(
        web_user, {"wave": ["run 390002", "reference 390000"], "hist": ["run 390002", "reference 390000"]}
    )
    found = store.get_dashboard(seeded_access, made.id, accounts["alice"])
    assert found is not None and found.spec.reference_run is None  # the address's reference is not saved
