"""Live mode: a run committed while a dashboard is open in live mode shows up without any interaction."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

import pytest
from controls import control
from nicegui import ui
from nicegui.testing.user import User
from polling import wait_until

from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.domain import Run, RunStatus
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import ELENA, SimulatedSource
from alpaca_dash.web.dashboard.page import is_on
from alpaca_dash.web.dashboard.run_bar import run_caption

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
NEW_RUN = 390004


def stat_spec() -> DashboardSpec:
    return DashboardSpec(panels=[PanelSpec(id="stat", type="stat", observables=[f"{ELENA}*H_offset_mm"])])


async def open_stat_dashboard(
    user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn, query: str
) -> None:
    """Alice's new dashboard of one stat panel, opened with ``query`` (``?run=...&live=1``)."""
    made = store.create_dashboard(access, accounts["alice"], "Live", stat_spec())
    await log_in(user, "alice")
    await user.open(f"/dashboard/{made.id}{query}")


def run_field_value(user: User) -> object:
    """The run field's value, also when kiosk mode hides it."""
    assert user.client is not None
    field = next(e for e in user.client.elements.values() if isinstance(e, ui.number) and e.props["label"] == "Run")
    return field.value


def panel_state(user: User) -> str:
    assert user.client is not None
    states = [str(e.props["data-state"]) for e in user.client.elements.values() if "data-panel" in e.props]
    return states[0] if states else ""


def stat_text(user: User) -> str:
    """The stat panel's drawn text (its option's graphic), which differs from run to run."""
    assert user.client is not None
    chart = next(e for e in user.client.elements.values() if isinstance(e, ui.echart))
    return str(chart.options.get("graphic"))


async def test_a_committed_run_appears_in_live_mode(
    web_user: User,
    seeded_access: DataAccess,
    simulated: SimulatedSource,
    accounts: dict[str, int],
    log_in: LogIn,
) -> None:
    await open_stat_dashboard(web_user, seeded_access, accounts, log_in, "?run=390001&live=1")
    await wait_until(lambda: run_field_value(web_user) == 390003 and panel_state(web_user) == "ready", "newest run")
    switch = control(web_user, "live-toggle")
    assert isinstance(switch, ui.switch) and switch.value is True

    before = stat_text(web_user)
    await asyncio.to_thread(ingest_run, seeded_access.db, seeded_access.store, simulated, NEW_RUN)
    await wait_until(lambda: run_field_value(web_user) == NEW_RUN, "the new run in the run field")
    await wait_until(lambda: panel_state(web_user) == "ready" and stat_text(web_user) != before, "the panel redrawn")


async def open_live_witness(user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn) -> None:
    """A second screen on a live dashboard, opened after the page under test subscribed: once it shows a new run,
    the page under test (subscribed first, and whose handler does not wait on anything) has heard of it too."""
    made = store.create_dashboard(access, accounts["bob"], "Witness", stat_spec())
    await log_in(user, "bob")
    await user.open(f"/dashboard/{made.id}?live=1")
    await wait_until(lambda: run_field_value(user) == 390003 and panel_state(user) == "ready", "the witness ready")


async def test_without_live_mode_the_page_stays_on_its_run(
    web_user: User,
    other_user: User,
    seeded_access: DataAccess,
    simulated: SimulatedSource,
    accounts: dict[str, int],
    log_in: LogIn,
) -> None:
    await open_stat_dashboard(web_user, seeded_access, accounts, log_in, "?run=390001&kiosk=1")
    await wait_until(lambda: run_field_value(web_user) == 390001 and panel_state(web_user) == "ready", "run 390001")
    await open_live_witness(other_user, seeded_access, accounts, log_in)
    await asyncio.to_thread(ingest_run, seeded_access.db, seeded_access.store, simulated, NEW_RUN)
    await wait_until(lambda: run_field_value(other_user) == NEW_RUN, "the new run on the live witness")
    assert run_field_value(web_user) == 390001
    header = next(e for e in web_user.client.elements.values() if isinstance(e, ui.header)) if web_user.client else None
    assert header is not None and header.value is False


def caption_text(user: User) -> str:
    return " ".join(e.text for e in user.find(marker="run-caption").elements if isinstance(e, ui.label))


async def test_a_wall_screen_says_which_run_it_shows_and_follows_the_new_one(
    web_user: User,
    seeded_access: DataAccess,
    simulated: SimulatedSource,
    accounts: dict[str, int],
    log_in: LogIn,
) -> None:
    """Kiosk mode hides the run bar; a caption names the run, when it ended and that the screen is live."""
    await open_stat_dashboard(web_user, seeded_access, accounts, log_in, "?live=1&kiosk=1")
    await wait_until(lambda: caption_text(web_user).startswith("Run 390003 · ended "), "the newest run's caption")
    assert caption_text(web_user).endswith(" UTC · live")
    await asyncio.to_thread(ingest_run, seeded_access.db, seeded_access.store, simulated, NEW_RUN)
    await wait_until(lambda: caption_text(web_user).startswith(f"Run {NEW_RUN} · "), "the new run's caption")


def test_the_caption_says_when_a_run_ended_and_whether_it_is_bad() -> None:
    ended = datetime(2026, 5, 1, 12, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    run = Run(390123, ended - timedelta(seconds=4), ended, RunStatus.INGESTED, ended, "simulated", "", (), True, 340, 0)
    assert run_caption(run, live=True) == "Run 390123 · ended 2026-05-01 10:30:05 UTC · live"
    started_only = dataclasses.replace(run, end=None, good=False)
    assert run_caption(started_only, live=False) == "Run 390123 · started 2026-05-01 10:30:01 UTC · marked bad"
    assert run_caption(dataclasses.replace(run, start=None, end=None), live=False) == "Run 390123"


def test_url_flags() -> None:
    assert is_on("1") and is_on("true") and not is_on(None) and not is_on("0")


def record_urls(user: User, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the page puts in the address bar (``ui.navigate.history.replace``), in order."""
    urls: list[str] = []
    history = user.navigate.history
    replace = history.replace

    def keep(url: str) -> None:
        urls.append(url)
        replace(url)

    monkeypatch.setattr(history, "replace", keep)
    return urls


def live_switch(user: User) -> ui.switch:
    switch = control(user, "live-toggle")
    assert isinstance(switch, ui.switch)
    return switch


async def test_picking_a_run_by_hand_leaves_live_mode(
    web_user: User,
    other_user: User,
    seeded_access: DataAccess,
    simulated: SimulatedSource,
    accounts: dict[str, int],
    log_in: LogIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = record_urls(web_user, monkeypatch)  # only the last URL is checked: logging in may add some before
    await open_stat_dashboard(web_user, seeded_access, accounts, log_in, "?live=1")
    await wait_until(lambda: run_field_value(web_user) == 390003 and panel_state(web_user) == "ready", "newest run")

    web_user.find(marker="run-latest").click()  # the newest run: live mode stays on
    await asyncio.sleep(0.5)
    assert live_switch(web_user).value is True

    web_user.find(marker="run-previous").click()
    await wait_until(lambda: run_field_value(web_user) == 390002, "the previous run")
    assert live_switch(web_user).value is False
    await wait_until(lambda: bool(urls) and urls[-1].endswith("?run=390002&theme=light"), "the URL without live=1")
    await open_live_witness(other_user, seeded_access, accounts, log_in)
    await asyncio.to_thread(ingest_run, seeded_access.db, seeded_access.store, simulated, NEW_RUN)
    await wait_until(lambda: run_field_value(other_user) == NEW_RUN, "the new run on the live witness")
    assert run_field_value(web_user) == 390002  # the new run did not take the view away

    live_switch(web_user).set_value(True)  # back to live: jumps to the newest run
    await wait_until(lambda: run_field_value(web_user) == NEW_RUN, "the newest run in live mode")
    await wait_until(lambda: urls[-1].endswith(f"?run={NEW_RUN}&theme=light&live=1"), "live=1 in the URL")
    control(web_user, "run-field").set_value(390001)
    web_user.find(marker="run-field").trigger("keydown.enter")
    await wait_until(lambda: urls[-1].endswith("?run=390001&theme=light"), "run 390001 without live=1 in the URL")
    assert live_switch(web_user).value is False
