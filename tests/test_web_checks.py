"""The checks page in NiceGUI's simulated browser: an editor adds, edits, disables and deletes checks in the dialog,
bad checks are refused there with the reason and nothing stored, JSON goes out and in, and a viewer only looks."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from controls import control
from http_routes import post_upload
from nicegui import ui
from nicegui.testing.user import User
from observable_fields import choose
from polling import RETRIES, TIMEOUT, wait_until

from alpaca_dash.quality.checks import HistoryCheck, ReferenceCheck, ScalarCheck, parse_checks
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import import_checks, list_checks
from alpaca_dash.queries.users import Role, set_role
from alpaca_dash.sources.simulated import ELENA, SSPALS
from alpaca_dash.web.pages.checks_page import READ_ONLY

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
H = f"{ELENA}*H_offset_mm"
WAVEFORM = f"{SSPALS}*V"


def table_rows(user: User) -> list[dict[str, Any]]:
    (table,) = user.find(marker="checks-table").elements
    assert isinstance(table, ui.table)
    return list(table.rows)


def error_text(user: User) -> str:
    (label,) = user.find(marker="check-error").elements
    assert isinstance(label, ui.label)
    return str(label.text)


def stored(access: DataAccess) -> dict[str, Any]:
    return {s.check.name: s.check for s in list_checks(access)}


async def open_checks(user: User) -> None:
    await user.open("/checks")
    await user.should_see(marker="checks-table", retries=RETRIES)


async def add_check(user: User) -> None:
    """Click "Add check" and wait until the dialog has been reset and opened: an observable typed before the reset
    loses its hits to it (the add first reads the account, and a dialog closing after a save still shows)."""
    [save] = user.find(kind=ui.button, marker="check-save").elements
    dialog: ui.element = save
    while not isinstance(dialog, ui.dialog):
        assert dialog.parent_slot is not None, "check-save is not in a dialog"
        dialog = dialog.parent_slot.parent
    await wait_until(lambda: True if not dialog.value else None, "the check dialog closed")
    user.find(marker="check-add").click()
    await wait_until(lambda: True if dialog.value else None, "the check dialog opened")


async def save_refused(user: User, reason: str) -> str:
    user.find(marker="check-save").click()
    return await wait_until(lambda: error_text(user) if reason in error_text(user) else None, f"{reason!r} shown")


async def test_an_editor_adds_edits_disables_and_deletes_a_check(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await open_checks(web_user)
    assert table_rows(web_user) == []
    await add_check(web_user)
    await choose(web_user, "check-observable", H)
    assert set(control(web_user, "check-kind", ui.select).options) == {"scalar", "history"}  # those for a scalar
    control(web_user, "check-name").set_value("H offset")
    control(web_user, "check-warn-high").set_value("2")
    control(web_user, "check-alarm-high").set_value("3")
    web_user.find(marker="check-save").click()
    await web_user.should_see("Check 'H offset' saved", retries=RETRIES)
    await wait_until(lambda: [r["name"] for r in table_rows(web_user)] == ["H offset"], "the new check listed")
    check = stored(seeded_access)["H offset"]
    assert isinstance(check, ScalarCheck) and check.enabled
    assert (check.bounds.warn_high, check.bounds.alarm_high, check.bounds.warn_low) == (2, 3, None)

    row = table_rows(web_user)[0]
    web_user.find(marker="checks-table").trigger("rowClick", [{}, {"id": row["id"]}, 0])
    await web_user.should_see("Edit check 'H offset'", retries=RETRIES)
    assert control(web_user, "check-alarm-high").value == "3"  # the dialog holds the stored check
    control(web_user, "check-name").set_value("H offset mm")
    control(web_user, "check-alarm-low").set_value("-3")
    control(web_user, "check-enabled").set_value(False)
    web_user.find(marker="check-save").click()
    await wait_until(lambda: "H offset mm" in stored(seeded_access), "the check renamed")
    check = stored(seeded_access)["H offset mm"]
    assert not check.enabled and check.bounds.alarm_low == -3 and len(stored(seeded_access)) == 1
    await wait_until(lambda: table_rows(web_user)[0]["enabled"] == "no", "the check shown disabled")

    web_user.find(marker="checks-table").trigger("rowClick", [{}, {"id": row["id"]}, 0])
    await web_user.should_see("Edit check 'H offset mm'", retries=RETRIES)
    web_user.find(marker="check-delete").click()
    web_user.find(marker="check-delete-apply").click()
    await web_user.should_see("Check 'H offset mm' deleted.", retries=RETRIES)
    assert stored(seeded_access) == {}


async def test_bad_checks_are_refused_in_the_dialog_and_nothing_is_stored(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "bob")
    await open_checks(web_user)
    await add_check(web_user)
    await choose(web_user, "check-observable", H)
    await save_refused(web_user, "name: String should have at least 1 character")
    control(web_user, "check-name").set_value("offset")
    await save_refused(web_user, "bounds need at least one of Alarm low, Warn low, Warn high, Alarm high")
    control(web_user, "check-warn-high").set_value("5")
    control(web_user, "check-alarm-high").set_value("3")
    assert "bounds do not nest: Warn high 5 is above Alarm high 3" in await save_refused(web_user, "do not nest")
    control(web_user, "check-alarm-high").set_value("1,5")
    await save_refused(web_user, "Alarm high: '1,5' is not a number")

    await choose(web_user, "check-observable", WAVEFORM)
    control(web_user, "check-kind").set_value("reference")
    control(web_user, "check-warn-p").set_value(1.5)
    await save_refused(web_user, "Warn p must lie in (0, 1), not 1.5")
    control(web_user, "check-warn-p").set_value(0.01)
    control(web_user, "check-alarm-p").set_value(0.05)
    await save_refused(web_user, "Alarm p 0.05 must not be above Warn p 0.01")
    control(web_user, "check-alarm-p").set_value(0.001)
    control(web_user, "check-reference-run").set_value(123)
    await save_refused(web_user, "check 'offset': reference run 123 does not exist")

    # an observable chosen, then gone from the registry before the save (the field can only offer known ones)
    field = control(web_user, "check-observable", ui.select)
    field.set_options(["Gone*observable"], value="Gone*observable")
    control(web_user, "check-kind").set_value("history")
    await save_refused(web_user, "unknown observable 'Gone*observable'")
    assert stored(seeded_access) == {}

    # the same dialog stores the check once it is right
    await choose(web_user, "check-observable", WAVEFORM)
    control(web_user, "check-kind").set_value("reference")
    control(web_user, "check-test").set_value("chi2")
    control(web_user, "check-reference-run").set_value(390001)
    web_user.find(marker="check-save").click()
    await wait_until(lambda: "offset" in stored(seeded_access), "the corrected check stored")
    check = stored(seeded_access)["offset"]
    assert isinstance(check, ReferenceCheck) and (check.test, check.reference_run) == ("chi2", 390001)

    # a second check of the same name is refused, not merged
    await add_check(web_user)
    await choose(web_user, "check-observable", H)
    control(web_user, "check-kind").set_value("history")
    control(web_user, "check-name").set_value("offset")
    await save_refused(web_user, "a check named 'offset' exists already")
    assert isinstance(stored(seeded_access)["offset"], ReferenceCheck)


async def test_checks_go_out_and_come_in_as_json(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await open_checks(web_user)
    bad = {"version": 1, "checks": [{"kind": "history", "name": "ghost", "observable": "No*such"}]}
    response = await post_upload(web_user, json.dumps(bad).encode())
    assert response.status_code == 200
    await web_user.should_see("Import failed: check 'ghost': unknown observable 'No*such'", retries=RETRIES)
    await web_user.should_see("nothing was stored")
    good = {"version": 1, "checks": [{"kind": "history", "name": "drift", "observable": H, "k_warn": 2}]}
    await post_upload(web_user, json.dumps(good).encode())
    await web_user.should_see("1 checks added, 0 updated", retries=RETRIES)
    await wait_until(lambda: [r["name"] for r in table_rows(web_user)] == ["drift"], "the imported check listed")

    web_user.find(marker="checks-export").click()
    response = await web_user.download.next(timeout=TIMEOUT)
    (check,) = parse_checks(json.loads(response.content))
    assert isinstance(check, HistoryCheck) and (check.name, check.k_warn) == ("drift", 2)


async def test_a_viewer_sees_the_checks_but_cannot_change_them(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    import_checks(seeded_access, parse_checks([{"kind": "history", "name": "drift", "observable": H}]))
    await log_in(web_user, "victor")
    await open_checks(web_user)
    await wait_until(lambda: [r["name"] for r in table_rows(web_user)] == ["drift"], "the check listed")
    await web_user.should_see(marker="checks-read-only")
    await web_user.should_not_see(marker="check-add")
    await web_user.should_not_see(marker="checks-import")
    web_user.find(marker="checks-table").trigger("rowClick", [{}, {"id": table_rows(web_user)[0]["id"]}, 0])
    await web_user.should_not_see(marker="check-save")
    web_user.find(marker="checks-export").click()  # viewers may export
    response = await web_user.download.next(timeout=TIMEOUT)
    assert [c.name for c in parse_checks(json.loads(response.content))] == ["drift"]
    await web_user.should_not_see(kind=ui.upload)


async def test_an_editor_demoted_while_the_dialog_is_open_stores_nothing(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await open_checks(web_user)
    await add_check(web_user)
    await choose(web_user, "check-observable", H)
    control(web_user, "check-name").set_value("late")
    control(web_user, "check-kind").set_value("history")
    set_role(seeded_access, "alice", Role.VIEWER)  # in another tab, by an admin
    await save_refused(web_user, READ_ONLY)
    assert stored(seeded_access) == {}
