"""The runs page: rows, filters, editing by editors only, and new runs arriving through the listener."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from controls import control
from nicegui import ui
from nicegui.testing.user import User
from polling import RETRIES, wait_until
from sqlalchemy import text

from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.web.pages.runs_table import build_filter, elog_link, split_tags
from alpaca_dash.web.time_text import utc_text

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def table_rows(user: User) -> list[dict[str, Any]]:
    assert user.client is not None
    table = next(e for e in user.client.elements.values() if isinstance(e, ui.table))
    return list(table.rows)


async def wait_for_rows(user: User, check: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    def matching() -> list[dict[str, Any]] | None:
        rows = table_rows(user)
        return rows if check(rows) else None

    return await wait_until(matching, lambda: f"matching rows, not {table_rows(user)}")


async def edit_run(user: User, run: int, comment: str, tags: str) -> None:
    control(user, "edit-run").set_value(run)
    user.find(marker="edit-run-open").click()
    await user.should_see(f"Run {run}", retries=RETRIES)
    user.find(marker="run-comment").clear().type(comment)
    user.find(marker="run-tags").clear().type(tags)
    user.find(marker="run-good").click()  # good -> bad
    user.find(marker="run-save").click()


async def test_editor_marks_a_run_bad_and_filters(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await web_user.open("/runs")
    rows = await wait_for_rows(web_user, lambda rows: len(rows) == 4)
    assert [row["run"] for row in rows] == [390003, 390002, 390001, 390000]
    assert rows[0]["status"] == "ingested" and rows[0]["observables"] > 0 and rows[0]["good"] == "good"

    await edit_run(web_user, 390001, "beam lost", "calibration, test")
    await web_user.should_see("Run 390001 saved.", retries=RETRIES)
    stored = run_queries.get_run(seeded_access, 390001)
    assert stored is not None and stored.comment == "beam lost" and stored.tags == ("calibration", "test")
    assert not stored.good
    await wait_for_rows(web_user, lambda rows: any(r["comment"] == "beam lost" for r in rows))

    control(web_user, "runs-quality", ui.select).set_value("bad")
    web_user.find(marker="runs-filter").click()
    rows = await wait_for_rows(web_user, lambda rows: len(rows) == 1)
    assert rows[0]["run"] == 390001 and rows[0]["tags"] == "calibration, test" and rows[0]["good"] == "bad"


async def test_viewer_cannot_edit_and_a_demoted_editor_is_refused(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "victor")
    await web_user.open("/runs")
    await wait_for_rows(web_user, lambda rows: len(rows) == 4)
    await web_user.should_not_see(marker="edit-run")

    web_user.find(marker="logout").click()
    await web_user.should_see("Sign in to Alpaca Dashboard", retries=RETRIES)
    await log_in(web_user, "alice")
    await web_user.open("/runs")
    await wait_for_rows(web_user, lambda rows: len(rows) == 4)
    with seeded_access.db.begin() as conn:  # the role is taken away while the page is open
        conn.execute(text("UPDATE users SET role = 'viewer' WHERE name = 'alice'"))
    await edit_run(web_user, 390002, "should not stick", "x")
    await web_user.should_see("Viewers cannot change runs.", retries=RETRIES)
    stored = run_queries.get_run(seeded_access, 390002)
    assert stored is not None and stored.comment == "" and stored.good


async def test_a_committed_run_appears_without_polling(
    web_user: User, seeded_access: DataAccess, simulated: SimulatedSource, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "victor")
    await web_user.open("/runs")
    await wait_for_rows(web_user, lambda rows: len(rows) == 4)
    assert web_user.client is not None
    assert not [e for e in web_user.client.elements.values() if isinstance(e, ui.timer)]
    await asyncio.to_thread(ingest_run, seeded_access.db, seeded_access.store, simulated, 390004)
    rows = await wait_for_rows(web_user, lambda rows: len(rows) == 5)
    assert rows[0]["run"] == 390004


def test_form_helpers() -> None:
    assert split_tags(" a, b;c ,,") == ["a", "b", "c"]
    assert elog_link("https://elog.example/AEgIS?run={run}", 390001) == "https://elog.example/AEgIS?run=390001"
    assert elog_link("", 1) == ""
    assert utc_text(datetime(2026, 5, 1, 14, 30, 5, tzinfo=timezone(timedelta(hours=2)))) == "2026-05-01 12:30:05"
    assert utc_text(None) == ""
    chosen = build_filter(390000.0, None, "bad", " cal ", "", True)
    assert (chosen.first, chosen.last, chosen.good, chosen.tag) == (390000, None, False, "cal")
    assert chosen.with_errors
    assert build_filter(None, None, "all", "", "", False) == run_queries.RunFilter()


async def test_pages_go_past_the_first_through_every_run(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "victor")
    await web_user.open("/runs?rows=3")
    await wait_for_rows(web_user, lambda rows: [r["run"] for r in rows] == [390003, 390002, 390001])
    await web_user.should_see("Page 1: runs 390003 to 390001", retries=RETRIES)
    web_user.find(marker="runs-older").click()
    await wait_for_rows(web_user, lambda rows: [r["run"] for r in rows] == [390000])
    await web_user.should_see("Page 2: runs 390000 to 390000", retries=RETRIES)
    older = control(web_user, "runs-older", ui.button)
    assert not older.enabled  # the last page
    web_user.find(marker="runs-newer").click()
    await wait_for_rows(web_user, lambda rows: [r["run"] for r in rows] == [390003, 390002, 390001])


def test_keyset_pages_meet_without_gaps_or_repeats_under_a_filter(seeded_access: DataAccess) -> None:
    for run in (390000, 390002, 390003):
        run_queries.update_run_meta(seeded_access, run, tags=["scan"])
    where = run_queries.RunFilter(tag="scan")
    first = run_queries.list_runs(seeded_access, limit=2, where=where)
    second = run_queries.list_runs(seeded_access, limit=2, before=first[-1].run, where=where)
    assert [r.run for r in first] == [390003, 390002] and [r.run for r in second] == [390000]
