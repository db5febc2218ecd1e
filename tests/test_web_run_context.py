"""The shown run's context on the dashboard: times, flag, comment, tags, ingest status, e-log; edits by editors;
a bad run marked on the whole page, in kiosk mode too."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from controls import control
from nicegui import ui
from nicegui.testing.user import User
from polling import wait_until

from alpaca_dash.content.spec import DashboardSpec
from alpaca_dash.domain import Run, RunStatus
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import get_run, update_run_meta
from alpaca_dash.web.dashboard.run_context import duration_text, local_text, times_text

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def text_of(user: User, marker: str) -> str:
    return " ".join(str(getattr(e, "text", "")) for e in user.find(marker=marker).elements)


def test_times_as_people_read_them() -> None:
    start = datetime(2026, 5, 1, 12, 30, 5, tzinfo=UTC)
    end = datetime(2026, 5, 1, 12, 34, 10, tzinfo=UTC)
    run = Run(1, start, end, RunStatus.INGESTED, None, "sim", "", (), True, 3, 0)
    assert times_text(run) == "2026-05-01 12:30:05 → 12:34:10 UTC · 4 min 05 s"
    assert duration_text(start, datetime(2026, 5, 1, 14, 32, 5, tzinfo=UTC)) == "2 h 02 min"
    assert duration_text(start, start) == "0 s" and duration_text(end, start) == ""
    assert local_text(start, "Europe/Zurich") == "2026-05-01 14:30:05 Europe/Zurich"
    assert local_text(start, "Not/AZone") == "2026-05-01 12:30:05 UTC"


async def test_a_bad_runs_context_is_shown_and_an_editor_changes_it(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    update_run_meta(seeded_access, 390001, good=False, comment="beam lost at 12:31", tags=["calibration", "low-e"])
    made = store.create_dashboard(seeded_access, accounts["alice"], "Context", DashboardSpec())
    web_user.javascript_rules[re.compile(r"alpaca\.timeZone\(\)")] = lambda _: "Europe/Zurich"
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390001")
    await web_user.should_see("Run 390001 is marked bad: beam lost at 12:31", retries=100)
    assert text_of(web_user, "run-flag") == "bad" and text_of(web_user, "run-comment") == "beam lost at 12:31"
    found = get_run(seeded_access, 390001)
    assert found is not None and found.start is not None
    assert text_of(web_user, "run-times").startswith(f"{found.start.astimezone(UTC):%Y-%m-%d %H:%M:%S} → ")
    assert text_of(web_user, "run-ingest") == "ingested"
    await web_user.should_see("calibration")
    await web_user.should_see("low-e")

    def tips() -> list[str]:
        return [str(e.text) for e in web_user.find(kind=ui.tooltip).elements]

    await wait_until(lambda: any(t.endswith("Europe/Zurich") for t in tips()), "the local time on hover")

    web_user.find(marker="run-edit").click()
    control(web_user, "run-edit-good").set_value(True)
    web_user.find(marker="run-edit-tags").clear().type("calibration")
    web_user.find(marker="run-edit-save").click()
    await web_user.should_see("Run 390001 saved.")
    changed = get_run(seeded_access, 390001)
    assert changed is not None and changed.good and changed.tags == ("calibration",)
    await wait_until(lambda: text_of(web_user, "run-flag") == "good", "the run flagged good")
    await web_user.should_not_see(marker="bad-run-banner")

    web_user.find(marker="run-next").click()  # a good run without comment
    await wait_until(lambda: text_of(web_user, "run-comment") == "", "the next run's context")


async def test_viewers_see_the_context_without_the_editor(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Context", DashboardSpec())
    store.set_visibility(seeded_access, made.id, accounts["alice"], store.Visibility.SHARED_READ)
    await log_in(web_user, "victor")
    await web_user.open(f"/dashboard/{made.id}?run=390002")
    await wait_until(lambda: text_of(web_user, "run-flag") == "good", "the run's flag")
    await web_user.should_not_see(marker="run-edit")
    await web_user.should_not_see(marker="bad-run-banner")


async def test_kiosk_mode_marks_a_bad_run(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    update_run_meta(seeded_access, 390002, good=False)
    made = store.create_dashboard(seeded_access, accounts["alice"], "Context", DashboardSpec())
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}?run=390002&kiosk=1")
    await web_user.should_see("Run 390002 is marked bad", retries=100)
    await web_user.should_not_see(marker="run-flag")  # the details line is hidden with the bar
