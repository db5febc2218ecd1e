"""Bad input on every route and in every handler that takes text: a clear message, nothing changed, never a 500 or
an error page with SQL: huge and non-ASCII numbers, run numbers beyond 32 bits, NUL characters, NaN and infinity."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from controls import control
from http_routes import post_upload
from nicegui import ui
from nicegui.elements.mixins.value_element import ValueElement
from nicegui.testing.user import User
from observable_fields import choose
from polling import wait_until
from sqlalchemy import text

from alpaca_dash.content.spec import DashboardFileError, DashboardSpec, PanelSpec, parse_import
from alpaca_dash.domain import UnknownObservable
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.runs import RunEditError, RunFilter, get_run, list_runs, update_run_meta
from alpaca_dash.run_range import RunRangeError, parse_run_number, parse_run_range

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
SLOW = 100
H_OFFSET = "ELENA_Parameters*H_offset_mm"
HUGE = "9" * 5000
BEYOND = str(2**31 + 5)
NON_ASCII = ["\u00b2", "\u0663", "\uff13", "\u09e9-\u09ea"]  # superscript, Arabic, full-width, Bengali
SQL_WORDS = ("SELECT", "sqlalchemy", "psycopg", "Traceback", "[parameters", "[SQL")


@pytest.mark.parametrize("typed", [HUGE, f"1-{HUGE}", BEYOND, *NON_ASCII, "1\x00-2", ""])
def test_run_ranges_are_refused_clearly(typed: str) -> None:
    with pytest.raises(RunRangeError) as caught:
        parse_run_range(typed, max_runs=100)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("typed", [HUGE, BEYOND, *NON_ASCII, "12\x00", "-1", "1e3"])
def test_a_run_number_that_is_none_gives_none(typed: str) -> None:
    assert parse_run_number(typed) is None
    assert parse_run_number(" 390001 ") == 390001


ROUTES = [
    "/dashboard/99999999999",
    f"/dashboard/{HUGE[:30]}",
    "/dashboard/-5",
    "/dashboard/{id}?run=\u00b2",
    f"/dashboard/{{id}}?run={BEYOND}",
    f"/dashboard/{{id}}?run={HUGE}",
    "/dashboard/{id}?run=%00",
    f"/dashboard/{{id}}?runs=1-{HUGE}",
    "/dashboard/{id}?runs=\u0663-\u0664",
    f"/api/export?observable={H_OFFSET}&runs={HUGE}",
    f"/api/export?observable={H_OFFSET}&runs=\u00b2",
    f"/api/export?observable={H_OFFSET}&runs={BEYOND}",
    "/api/export?observable=a%00b&runs=390000",
    f"/api/export?observable={'x' * 5000}&runs=390000",
    "/api/images/%00.png",
    "/runs?theme=%00",
    "/jobs?theme=" + HUGE,
]


@pytest.mark.parametrize("route", ROUTES)
async def test_bad_input_on_a_route_is_a_clear_answer_not_an_error(
    route: str, web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(
        seeded_access,
        accounts["alice"],
        "Mine",
        DashboardSpec(panels=[PanelSpec(id="a", type="stat", observables=[H_OFFSET])]),
    )
    await log_in(web_user, "alice")
    response = await web_user.http_client.get(route.replace("{id}", str(made.id)))
    assert response.status_code in (200, 303, 400, 404, 422), (response.status_code, response.text[:500])
    assert not any(word in response.text for word in SQL_WORDS), response.text[:2000]


async def test_a_failing_page_shows_a_reference_not_the_error(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    with access.db.begin() as conn:  # a dashboard whose stored spec no longer parses: the page itself fails
        conn.execute(
            text("INSERT INTO dashboards (owner_id, title, spec, version) VALUES (:o, 'Broken', '{\"panels\": 5}', 1)"),
            {"o": accounts["alice"]},
        )
        broken = conn.execute(text("SELECT max(id) FROM dashboards")).scalar_one()
    response = await web_user.http_client.get(f"/dashboard/{broken}")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "ValidationError" not in response.text
    assert not any(word in response.text for word in SQL_WORDS)


def value_field(found: Any) -> ValueElement[Any]:
    """The one field ``found`` holds, as the element with a value it is."""
    element = next(iter(found.elements))
    assert isinstance(element, ValueElement)
    return element


def test_the_queries_take_any_number_and_text_without_failing(seeded_access: DataAccess) -> None:
    assert get_run(seeded_access, 2**40) is None
    assert list_runs(seeded_access, where=RunFilter(first=2**40)) == []
    assert len(list_runs(seeded_access, where=RunFilter(last=2**40))) == 4
    assert list_runs(seeded_access, where=RunFilter(text="a\x00b")) == []
    assert list_runs(seeded_access, where=RunFilter(tag="\x00")) == []
    assert store.get_dashboard(seeded_access, 2**40, 1) is None
    with pytest.raises(store.DashboardNotFound):
        store.save_dashboard(seeded_access, 2**40, 1, DashboardSpec())
    with pytest.raises(UnknownObservable):
        get_observables(seeded_access, ["a\x00b"])
    for change in ({"comment": "x\x00y"}, {"tags": ["a\x00"]}):
        with pytest.raises(RunEditError, match="NUL"):
            update_run_meta(seeded_access, 390001, **change)
    with pytest.raises(RunEditError, match="does not exist"):
        update_run_meta(seeded_access, 2**40, comment="x")
    assert get_run(seeded_access, 390001).comment == ""  # type: ignore[union-attr]


def _export(spec: Any, title: Any = "Imported") -> bytes:
    return json.dumps({"format": "alpaca-dash/dashboard", "title": title, "spec": spec}).encode()


PANEL = {"id": "a", "type": "stat", "observables": [H_OFFSET]}
BAD_IMPORTS = {
    "NaN bound": _export({"panels": [{**PANEL, "options": {"warn_low": float("nan")}}]}),
    "infinite threshold": _export(
        {"panels": [{**PANEL, "options": {"thresholds": [{"value": 1e999, "color": "red"}]}}]}
    ),
    "1e400": _export({"panels": []}).replace(b'"panels": []', b'"panels": [], "reference_run": 1e400'),
    "5000-digit number": _export({"panels": []}).replace(
        b'"panels": []', b'"panels": [], "reference_run": ' + HUGE.encode()
    ),
    "NUL in the title": _export({"panels": []}, "a\x00b"),
    "NUL in a key": json.dumps(
        {"format": "alpaca-dash/dashboard", "title": "t", "spec": {"panels": [], "\x00": 1}}
    ).encode(),
    "run beyond 32 bits": _export({"panels": [], "reference_run": 2**31}),
}


@pytest.mark.parametrize("typed", ["nan", "inf", "-inf", "1e999"])
def test_a_bound_must_be_finite(typed: str) -> None:
    from alpaca_dash.web.dashboard.panel_dialog import parse_bound

    with pytest.raises(ValueError, match="finite"):
        parse_bound(typed, "Warn low")


def _dialog_of(element: ui.element) -> ui.dialog:
    while not isinstance(element, ui.dialog):
        assert element.parent_slot is not None, "not in a dialog"
        element = element.parent_slot.parent
    return element


@pytest.mark.parametrize(
    ("field", "typed"), [("warn-low", "nan"), ("warn-high", "inf"), ("alarm-low", "-inf"), ("alarm-high", "1e999")]
)
async def test_a_non_finite_bound_in_the_panel_dialog_says_so_and_saves_nothing(
    field: str, typed: str, web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(seeded_access, accounts["alice"], "Bounds")
    versions = store.list_versions(seeded_access, made.id, accounts["alice"])
    await log_in(web_user, "alice")
    await web_user.open(f"/dashboard/{made.id}")
    web_user.find("Add panel").click()
    await choose(web_user, "panel-observable", H_OFFSET)
    web_user.find(marker="panel-title").type("Bounded")
    web_user.find(marker=f"panel-{field}").type(typed)
    web_user.find(marker="panel-save").click()
    label = field.replace("-", " ").capitalize()
    await web_user.should_see(f"{label}: write a finite number or leave it empty", retries=SLOW)
    assert _dialog_of(next(iter(web_user.find(marker="panel-save").elements))).value  # still open, the text in it
    assert control(web_user, f"panel-{field}").value == typed
    saved = store.get_dashboard(seeded_access, made.id, accounts["alice"])
    assert saved is not None and saved.spec.panels == []
    assert store.list_versions(seeded_access, made.id, accounts["alice"]) == versions


@pytest.mark.parametrize("name", list(BAD_IMPORTS))
def test_bad_numbers_and_text_in_an_import_are_refused(name: str) -> None:
    with pytest.raises(DashboardFileError):
        parse_import(BAD_IMPORTS[name])


@pytest.mark.parametrize("name", list(BAD_IMPORTS))
async def test_a_bad_import_says_so_on_the_page(
    name: str, web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    assert (await post_upload(web_user, BAD_IMPORTS[name])).status_code == 200
    await web_user.should_see("Import failed", retries=SLOW)
    assert store.list_dashboards(access, accounts["alice"]) == []


# --- handlers that take typed text ------------------------------------------------------------------------------


async def _runs_filter(user: User, typed: str) -> None:
    value_field(user.find("From run")).set_value(float(typed))
    user.find(marker="runs-filter").click()


async def _edit_run_number(user: User, typed: str) -> None:
    value_field(user.find(marker="edit-run")).set_value(float(typed))
    user.find(marker="edit-run-open").click()


async def _edit_run_comment(user: User, typed: str) -> None:
    value_field(user.find(marker="edit-run")).set_value(390001)
    user.find(marker="edit-run-open").click()
    dialog = next(iter(user.find(kind=ui.dialog).elements))
    await wait_until(lambda: bool(dialog.value), "the run editor")
    user.find(marker="run-comment").type(typed)
    user.find(marker="run-save").click()


async def _reingest(user: User, typed: str) -> None:
    user.find(marker="reingest-open").click()
    user.find(marker="reingest-range").type(typed)
    user.find(marker="reingest-queue").click()


async def _run_field(user: User, typed: str) -> None:
    value_field(user.find(marker="run-field")).set_value(float(typed))  # a number field: 1e999 is inf
    user.find(marker="run-field").trigger("keydown.enter")


async def _login_name(user: User, typed: str) -> None:
    user.find(marker="logout").click()
    await user.should_see("Sign in to Alpaca Dashboard", retries=SLOW)
    user.find("Username").type(typed)
    user.find("Password").type("correct horse battery")
    user.find("Log in").click()


HANDLERS: dict[str, tuple[str, Callable[[User, str], Awaitable[None]], list[str], str]] = {
    # name: (page, perform, typed values, what the page says)
    "runs filter": ("/runs", _runs_filter, [BEYOND, "1e30"], "runs-table"),
    "run to edit": ("/runs", _edit_run_number, [BEYOND, "1e30"], "does not exist"),
    "run comment": ("/runs", _edit_run_comment, ["a\x00b"], "NUL"),
    "re-ingest range": ("/jobs", _reingest, [HUGE, BEYOND, *NON_ASCII, "1\x00"], "run"),
    "run field": ("/dashboard/{id}", _run_field, [BEYOND, "1e30"], "does not exist"),
    "login name": ("/", _login_name, ["ali\x00ce", HUGE], "Wrong user name or password."),
}
CASES = [(name, typed) for name, (_p, _f, values, _s) in HANDLERS.items() for typed in values]


def _state(access: DataAccess) -> list[Any]:
    with access.db.begin() as conn:
        return [
            conn.execute(text("SELECT run, comment, tags, good FROM runs ORDER BY run")).all(),
            conn.execute(text("SELECT id, version FROM dashboards ORDER BY id")).all(),
            conn.execute(text("SELECT count(*) FROM ingest_jobs")).scalar(),
        ]


@pytest.mark.parametrize(("handler", "typed"), CASES, ids=[f"{n}-{t[:12]!r}" for n, t in CASES])
async def test_bad_input_in_a_handler_gets_a_message_and_changes_nothing(
    handler: str, typed: str, web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    page, perform, _values, says = HANDLERS[handler]
    spec = DashboardSpec(panels=[PanelSpec(id="a", type="stat", observables=[H_OFFSET])])
    made = store.create_dashboard(seeded_access, accounts["alice"], "Mine", spec)
    await log_in(web_user, "alice")
    await web_user.open(page.format(id=made.id))
    await web_user.should_see(marker="user-menu", retries=SLOW)
    before = _state(seeded_access)
    await perform(web_user, typed)
    await web_user.should_see(says, retries=SLOW)
    assert _state(seeded_access) == before
