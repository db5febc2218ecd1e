"""Roles and sharing: private, shared read-only and shared editable dashboards, checked inside the queries and
the page handlers, and the admin page for admins only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from controls import control
from nicegui.testing.user import User
from polling import RETRIES, wait_until

from alpaca_dash.content.spec import DashboardSpec
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role
from alpaca_dash.web.pages.dashboards_page import DashboardList

pytest_plugins = ["web_fixtures"]
PASSWORD = "correct horse battery"
LogIn = Callable[..., Awaitable[None]]


def _visibility(access: DataAccess, dashboard_id: int, user_id: int) -> store.Visibility | None:
    found = store.get_dashboard(access, dashboard_id, user_id)
    return None if found is None else found.visibility


def test_private_dashboards_stay_private(access: DataAccess, accounts: dict[str, int]) -> None:
    alice, bob = accounts["alice"], accounts["bob"]
    made = store.create_dashboard(access, alice, "Mine")
    assert store.get_dashboard(access, made.id, bob) is None
    assert [d.id for d in store.list_dashboards(access, bob)] == []
    assert store.list_versions(access, made.id, bob) == []
    with pytest.raises(store.DashboardNotFound):
        store.save_dashboard(access, made.id, bob, DashboardSpec())
    with pytest.raises(store.DashboardNotFound):
        store.duplicate_dashboard(access, made.id, bob)


def test_shared_read_only_is_seen_but_not_changed(access: DataAccess, accounts: dict[str, int]) -> None:
    alice, bob, victor = accounts["alice"], accounts["bob"], accounts["victor"]
    made = store.create_dashboard(access, alice, "Beam")
    store.set_visibility(access, made.id, alice, store.Visibility.SHARED_READ)
    for reader in (bob, victor):
        listed = store.list_dashboards(access, reader)
        assert [(d.id, d.owner_name, d.visibility) for d in listed] == [
            (made.id, "alice", store.Visibility.SHARED_READ)
        ]
        assert listed[0].is_shared_with(reader)
        assert store.get_dashboard(access, made.id, reader) is not None
        with pytest.raises(store.DashboardNotFound):
            store.save_dashboard(access, made.id, reader, DashboardSpec())
        with pytest.raises(store.DashboardNotFound):
            store.rename_dashboard(access, made.id, reader, "Taken over")
        with pytest.raises(store.DashboardNotFound):
            store.restore_version(access, made.id, reader, 1)
        with pytest.raises(store.DashboardNotFound):
            store.set_visibility(access, made.id, reader, store.Visibility.SHARED_EDIT)
        assert not store.delete_dashboard(access, made.id, reader)
    copy = store.duplicate_dashboard(access, made.id, bob)
    assert copy.owner_id == bob and copy.visibility == store.Visibility.PRIVATE
    found = store.get_dashboard(access, made.id, alice)
    assert found is not None and found.version == 1 and found.title == "Beam"


def test_shared_editable_needs_the_editor_role(access: DataAccess, accounts: dict[str, int]) -> None:
    alice, bob, victor = accounts["alice"], accounts["bob"], accounts["victor"]
    made = store.create_dashboard(access, alice, "Team")
    store.set_visibility(access, made.id, alice, "shared_edit")
    saved = store.save_dashboard(access, made.id, bob, DashboardSpec(), title="Team board")
    assert saved.version == 2 and saved.owner_id == alice
    assert saved.is_changeable_by(bob, "editor") and not saved.is_changeable_by(victor, "viewer")
    with pytest.raises(store.DashboardNotFound):
        store.save_dashboard(access, made.id, victor, DashboardSpec())
    assert not store.delete_dashboard(access, made.id, bob)  # only the owner deletes
    user_queries.set_role(access, "bob", Role.VIEWER)  # a demotion counts at once
    with pytest.raises(store.DashboardNotFound):
        store.save_dashboard(access, made.id, bob, DashboardSpec())


def test_unknown_visibility_is_refused(access: DataAccess, accounts: dict[str, int]) -> None:
    made = store.create_dashboard(access, accounts["alice"], "X")
    with pytest.raises(store.DashboardError):
        store.set_visibility(access, made.id, accounts["alice"], "public")


async def test_owner_shares_on_the_list_page_and_others_see_the_owner(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    made = store.create_dashboard(access, accounts["alice"], "Positrons")
    await log_in(web_user, "alice")
    await web_user.should_see("Positrons", retries=RETRIES)
    control(web_user, f"visibility-{made.id}").set_value("shared_read")
    await wait_until(lambda: _visibility(access, made.id, accounts["alice"]) == store.Visibility.SHARED_READ, "shared")
    listed = store.list_dashboards(access, accounts["bob"])
    assert [(d.title, d.owner_name) for d in listed] == [("Positrons", "alice")]


async def test_list_page_handlers_refuse_non_owners(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    alice = accounts["alice"]
    made = store.create_dashboard(access, alice, "Antiprotons")
    store.set_visibility(access, made.id, alice, "shared_read")
    await log_in(web_user, "bob")
    await web_user.should_see("shared by alice", retries=RETRIES)
    bob = user_queries.get_user(access, accounts["bob"])
    assert bob is not None
    with web_user:
        page = DashboardList(access, bob)
        await page.rename(made.id, "Hijacked")
        await page.share(made.id, "shared_edit")
        await page.delete(made.id)
    found = store.get_dashboard(access, made.id, alice)
    assert found is not None and found.title == "Antiprotons" and found.visibility == store.Visibility.SHARED_READ


async def test_admin_page_is_for_admins_only(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await log_in(web_user, "alice")
    await web_user.open("/admin")
    await web_user.should_see(marker="admins-only", retries=RETRIES)
    await web_user.should_not_see("Create user")


async def test_admin_creates_changes_and_disables_users(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    user_queries.create_user(access, "ada", PASSWORD, Role.ADMIN)
    await log_in(web_user, "ada")
    await web_user.open("/admin")
    await web_user.should_see("Create user", retries=RETRIES)
    web_user.find("New user name").type("carol")
    web_user.find("Password").type(PASSWORD)
    web_user.find("Create user").click()
    await web_user.should_see(marker="user-carol", retries=RETRIES)
    carol = user_queries.find_user(access, "carol")
    assert carol is not None and carol.role == Role.VIEWER
    control(web_user, "role-carol").set_value("editor")
    await wait_until(
        lambda: getattr(user_queries.find_user(access, "carol"), "role", None) == Role.EDITOR, "carol an editor"
    )
    control(web_user, "disabled-victor").set_value(True)
    await wait_until(
        lambda: bool(getattr(user_queries.find_user(access, "victor"), "disabled", False)), "victor disabled"
    )
    carol = user_queries.find_user(access, "carol")
    victor = user_queries.find_user(access, "victor")
    assert carol is not None and carol.role == Role.EDITOR
    assert victor is not None and victor.disabled
    assert user_queries.authenticate(access, "victor", PASSWORD) is None
    control(web_user, "role-ada").set_value("viewer")  # cannot demote oneself
    await web_user.should_see("You cannot take away your own admin role.", retries=RETRIES)
    ada = user_queries.find_user(access, "ada")
    assert ada is not None and ada.role == Role.ADMIN


@pytest.mark.parametrize(
    ("visibility", "offered"),
    [("shared_read", "This dashboard is empty."), ("shared_edit", "Add a panel, or pick an observable in the tree.")],
)
async def test_an_editor_is_offered_editing_only_where_saving_is_allowed(
    web_user: User, access: DataAccess, accounts: dict[str, int], log_in: LogIn, visibility: str, offered: str
) -> None:
    made = store.create_dashboard(access, accounts["alice"], "Shared")
    store.set_visibility(access, made.id, accounts["alice"], visibility)
    await log_in(web_user, "bob")
    await web_user.open(f"/dashboard/{made.id}")
    await web_user.should_see(offered, retries=RETRIES)
