"""Sessions and rights: a new session id at sign-in and sign-out, every request checks the account as it is now,
and every UI handler that changes something refuses once the page's user has logged out in another tab, been
demoted or been disabled (nothing changes in the database)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from http_routes import app_routes, concrete, post_upload
from nicegui import core, ui
from nicegui.elements.mixins.value_element import ValueElement
from nicegui.testing.user import User
from polling import wait_until
from sqlalchemy import text

from alpaca_dash.content.spec import DashboardSpec, PanelSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries import jobs
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role
from alpaca_dash.web.grid import PanelGrid

pytest_plugins = ["web_fixtures"]
PASSWORD = "correct horse battery"
LogIn = Callable[..., Awaitable[None]]
SLOW = 100
H_OFFSET = "ELENA_Parameters*H_offset_mm"
SESSION_COOKIE = "session"


def value_field(found: Any) -> ValueElement[Any]:
    """The one field ``found`` holds, as the element with a value it is."""
    element = next(iter(found.elements))
    assert isinstance(element, ValueElement)
    return element


def _client_with(cookies: httpx.Cookies) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(core.app)
    return httpx.AsyncClient(transport=transport, base_url="http://test", cookies=cookies)


async def test_the_session_id_changes_at_sign_in_and_a_planted_cookie_gets_nothing(
    web_user: User, accounts: dict[str, int], log_in: LogIn
) -> None:
    await web_user.open("/login")
    planted = httpx.Cookies(web_user.http_client.cookies)  # what an attacker set or read before the sign-in
    assert planted.get(SESSION_COOKIE)
    await log_in(web_user, "alice")
    assert web_user.http_client.cookies.get(SESSION_COOKIE) != planted.get(SESSION_COOKIE)
    assert (await web_user.http_client.get("/runs")).status_code == 200
    async with _client_with(planted) as attacker:
        assert (await attacker.get("/runs")).status_code == 303
        assert (await attacker.get("/api/export", params={"observable": H_OFFSET, "runs": "1"})).status_code == 401


async def test_the_session_id_changes_at_sign_out(web_user: User, accounts: dict[str, int], log_in: LogIn) -> None:
    await log_in(web_user, "alice")
    signed_in = httpx.Cookies(web_user.http_client.cookies)
    web_user.find(marker="logout").click()
    await web_user.should_see("Sign in to Alpaca Dashboard", retries=SLOW)
    assert web_user.http_client.cookies.get(SESSION_COOKIE) != signed_in.get(SESSION_COOKIE)
    async with _client_with(signed_in) as copied:  # a copy of the cookie taken while signed in
        assert (await copied.get("/runs")).status_code == 303


async def test_a_token_for_another_session_does_not_sign_in(web_user: User, accounts: dict[str, int]) -> None:
    async with _client_with(httpx.Cookies()) as stranger:
        response = await stranger.get("/login/finish", params={"token": "guessed", "redirect_to": "/runs"})
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert (await stranger.get("/runs")).status_code == 303


def _non_public_routes() -> list[str]:
    return [concrete(path) for path, methods in app_routes() if "GET" in methods]


@pytest.mark.parametrize("loss", ["disabled", "deleted"])
async def test_every_route_refuses_a_session_whose_account_is_gone(
    loss: str, web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    routes = _non_public_routes()
    assert "/api/export" in routes and "/runs" in routes
    if loss == "disabled":
        user_queries.set_disabled(access, "alice", True)
    else:
        with access.db.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE name = 'alice'"))
    for path in routes:
        response = await web_user.http_client.get(path, params={"observable": H_OFFSET, "runs": "390000"})
        expected = 401 if path.startswith("/api/") else 303
        assert response.status_code == expected, path


# --- every handler that changes something, after the page's user lost the right to -------------------------------


@dataclass
class Scene:
    access: DataAccess
    dashboard_id: int
    job_id: int


@dataclass(frozen=True)
class Action:
    page: str  # {dashboard} is replaced by the scene's dashboard
    perform: Callable[[User, Scene], Awaitable[bool | None]]  # True: refused before any handler ran
    refusal: str
    admin: bool = False


async def _upload(user: User, _scene: Scene) -> bool:
    raw = json.dumps({"format": "alpaca-dash/dashboard", "title": "Imported", "spec": {"panels": []}}).encode()
    response = await post_upload(user, raw)
    assert response.status_code in (200, 401), response.text  # 401: refused at the door, the page is not reached
    return response.status_code == 401


def _clicks(*markers: str) -> Callable[[User, Scene], Awaitable[None]]:
    async def perform(user: User, scene: Scene) -> None:
        for marker in markers:
            user.find(marker=marker.format(id=scene.dashboard_id)).click()

    return perform


def _sets(marker: str, value: object) -> Callable[[User, Scene], Awaitable[None]]:
    async def perform(user: User, scene: Scene) -> None:
        value_field(user.find(marker=marker.format(id=scene.dashboard_id))).set_value(value)

    return perform


async def _cancel_job(user: User, scene: Scene) -> None:
    choice = next(iter(user.find(marker="job-choice").elements))
    assert isinstance(choice, ui.select)
    await wait_until(lambda: scene.job_id in choice.options, "the job in the list")
    choice.set_value(scene.job_id)
    user.find(marker="job-cancel").click()


async def _create(user: User, _scene: Scene) -> None:
    user.find("New dashboard title").type("Sneaky")
    user.find("Create").click()


async def _edit_run(user: User, _scene: Scene) -> None:
    value_field(user.find(marker="edit-run")).set_value(390001)
    user.find(marker="edit-run-open").click()
    dialog = next(iter(user.find(kind=ui.dialog).elements))
    await wait_until(lambda: bool(dialog.value), "the run editor")
    user.find(marker="run-comment").type("sneaky")
    user.find(marker="run-save").click()


async def _queue(user: User, _scene: Scene) -> None:
    user.find(marker="reingest-open").click()
    user.find(marker="reingest-range").type("390000-390001")
    user.find(marker="reingest-queue").click()


async def _create_user(user: User, _scene: Scene) -> None:
    user.find("New user name").type("mallory")
    user.find("Password").type(PASSWORD)
    user.find("Create user").click()


async def _move_panel(user: User, _scene: Scene) -> None:
    user.find(kind=PanelGrid).trigger("layout", [{"id": "a", "x": 6, "y": 0, "w": 6, "h": 5}])


async def _restore(user: User, _scene: Scene) -> None:
    user.find(marker="versions").click()
    await user.should_see(marker="restore-1", retries=SLOW)
    user.find(marker="restore-1").click()


DASHBOARDS = "Viewers cannot change dashboards."
ACTIONS = {
    "create dashboard": Action("/", _create, DASHBOARDS),
    "import dashboard": Action("/", _upload, DASHBOARDS),
    "duplicate dashboard": Action("/", _clicks("duplicate-{id}"), DASHBOARDS),
    "rename dashboard": Action("/", _clicks("rename-{id}", "rename-apply"), DASHBOARDS),
    "delete dashboard": Action("/", _clicks("delete-{id}", "delete-apply"), DASHBOARDS),
    "share dashboard": Action("/", _sets("visibility-{id}", "shared_edit"), DASHBOARDS),
    "move a panel": Action("/dashboard/{id}", _move_panel, DASHBOARDS),
    "remove a panel": Action("/dashboard/{id}", _clicks("remove-a"), DASHBOARDS),
    "restore a version": Action("/dashboard/{id}", _restore, DASHBOARDS),
    "edit a run": Action("/runs", _edit_run, "Viewers cannot change runs."),
    "queue a re-ingest": Action("/jobs", _queue, "Viewers cannot start ingest jobs."),
    "cancel a job": Action("/jobs", _cancel_job, "Viewers cannot cancel jobs."),
    "create a user": Action("/admin", _create_user, "Only admins manage users.", admin=True),
    "change a role": Action("/admin", _sets("role-victor", "admin"), "Only admins manage users.", admin=True),
    "disable a user": Action("/admin", _sets("disabled-victor", True), "Only admins manage users.", admin=True),
}


def _snapshot(access: DataAccess) -> dict[str, Any]:
    """Everything a handler could change."""
    with access.db.begin() as conn:
        return {
            "dashboards": conn.execute(text("SELECT id, title, version, visibility FROM dashboards ORDER BY id")).all(),
            "users": conn.execute(text("SELECT name, role FROM users WHERE name <> 'alice' ORDER BY name")).all(),
            "disabled": conn.execute(text("SELECT name FROM users WHERE disabled AND name <> 'alice'")).all(),
            "runs": conn.execute(text("SELECT run, comment, tags, good FROM runs ORDER BY run")).all(),
            "jobs": conn.execute(text("SELECT id, status, cancel_requested FROM ingest_jobs ORDER BY id")).all(),
        }


async def _lose_rights(loss: str, user: User, access: DataAccess, name: str, admin: bool) -> None:
    if loss == "nothing":  # the control: the same action does change something
        return
    if loss == "logged out in another tab":  # the same browser's cookie; this page stays open
        assert (await user.http_client.get("/logout")).status_code == 303
    elif loss == "demoted":
        user_queries.set_role(access, name, Role.EDITOR if admin else Role.VIEWER)
    else:
        user_queries.set_disabled(access, name, True)


@pytest.mark.parametrize("loss", ["nothing", "logged out in another tab", "demoted", "disabled"])
@pytest.mark.parametrize("action", list(ACTIONS))
async def test_a_page_left_open_cannot_change_anything_once_its_user_lost_the_right(
    action: str, loss: str, web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    chosen = ACTIONS[action]
    name = "alice"
    if chosen.admin:
        user_queries.set_role(seeded_access, name, Role.ADMIN)
    spec = DashboardSpec(panels=[PanelSpec(id="a", type="stat", observables=[H_OFFSET])])
    dashboard = store.create_dashboard(seeded_access, accounts[name], "Mine", spec)
    store.save_dashboard(seeded_access, dashboard.id, accounts[name], DashboardSpec())  # a version 1 to restore
    store.save_dashboard(seeded_access, dashboard.id, accounts[name], spec)
    job_id = jobs.create_job(seeded_access, source="simulated", first_run=1, last_run=2, created_by=name)
    scene = Scene(seeded_access, dashboard.id, job_id)
    await log_in(web_user, name)
    await web_user.open(chosen.page.format(id=dashboard.id))
    await web_user.should_see(marker="user-menu", retries=SLOW)
    await _lose_rights(loss, web_user, seeded_access, name, chosen.admin)
    before = _snapshot(seeded_access)
    refused_at_the_door = await chosen.perform(web_user, scene)
    if loss == "nothing":
        await wait_until(lambda: _snapshot(seeded_access) != before, f"{action} to change something")
        return
    if not refused_at_the_door:
        await web_user.should_see(chosen.refusal, retries=SLOW)
    assert _snapshot(seeded_access) == before


def test_the_queries_check_the_role_themselves(access: DataAccess, accounts: dict[str, int]) -> None:
    from alpaca_dash.queries.runs import RunEditError, update_run_meta

    with pytest.raises(store.DashboardError, match="editor"):
        store.create_dashboard(access, accounts["victor"], "Viewer's")
    user_queries.set_disabled(access, "alice", True)
    with pytest.raises(store.DashboardError, match="editor"):
        store.create_dashboard(access, accounts["alice"], "Disabled")
    assert store.list_dashboards(access, accounts["alice"]) == []
    with access.db.begin() as conn:
        conn.execute(text("INSERT INTO runs (run, status, source) VALUES (7, 'ingested', 'simulated')"))
    with pytest.raises(RunEditError, match="editor"):
        update_run_meta(access, 7, comment="x", by_user=accounts["victor"])
    assert update_run_meta(access, 7, comment="ok", by_user=accounts["bob"]).comment == "ok"
