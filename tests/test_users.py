"""Local accounts: argon2 hashes, roles, and names that must be unique."""

from __future__ import annotations

import pytest

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import (
    Role,
    UserError,
    authenticate,
    create_user,
    find_user,
    get_user,
    list_users,
    set_disabled,
    set_password,
)
from alpaca_dash.timescale.schema import users

pytest_plugins = ["web_fixtures"]


def test_created_user_logs_in_with_its_password_only(access: DataAccess) -> None:
    made = create_user(access, "alice", "s3cret-pass", "editor")
    assert made.role is Role.EDITOR and made.can_edit
    assert authenticate(access, "alice", "s3cret-pass") == made
    assert authenticate(access, "alice", "wrong-pass") is None
    assert authenticate(access, "nobody", "s3cret-pass") is None


def test_password_is_stored_as_an_argon2_hash(access: DataAccess) -> None:
    create_user(access, "alice", "s3cret-pass")
    with access.db.begin() as conn:
        stored = conn.execute(users.select()).one().password_hash
    assert stored.startswith("$argon2id$") and "s3cret-pass" not in stored


@pytest.mark.parametrize(
    ("name", "password", "role", "problem"),
    [
        ("", "long enough", "viewer", "invalid user name"),
        ("has space", "long enough", "viewer", "invalid user name"),
        ("bob", "short", "viewer", "at least 8"),
        ("bob", "long enough", "superuser", "unknown role"),
    ],
)
def test_bad_accounts_are_refused(access: DataAccess, name: str, password: str, role: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        create_user(access, name, password, role)


def test_a_name_is_taken_once(access: DataAccess) -> None:
    create_user(access, "alice", "s3cret-pass")
    with pytest.raises(UserError, match="already exists"):
        create_user(access, "alice", "other-pass")


def test_lookup_listing_password_change_and_disabling(access: DataAccess) -> None:
    alice = create_user(access, "alice", "s3cret-pass", Role.ADMIN)
    create_user(access, "bob", "s3cret-pass")
    assert get_user(access, alice.id) == alice
    assert find_user(access, "bob") is not None and find_user(access, "carol") is None
    assert [u.name for u in list_users(access)] == ["alice", "bob"]
    set_password(access, "bob", "new-password")
    assert authenticate(access, "bob", "new-password") is not None
    set_disabled(access, "bob", True)
    assert authenticate(access, "bob", "new-password") is None
    with pytest.raises(UserError):
        set_password(access, "carol", "new-password")
