"""Local accounts: argon2 password hashes and the roles viewer, editor and admin."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from alpaca_dash.domain import Role as Role  # re-exported: the role is part of a user
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.schema import users

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@functools.cache
def _hasher() -> PasswordHasher:
    """argon2's hasher, loaded on first use: commands that only check a role (every job's) never load it."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong password. Made on first
    use, not at import: one argon2 hash takes 0.1-0.4 s, which every command that reads users would pay."""
    return _hasher().hash("not a password of anyone")


def prepare_password_checks() -> None:
    """Make the dummy hash now (the web app does at start-up), so that not even the first sign-in with an unknown
    name takes longer than one with a wrong password."""
    _dummy_hash()


class UserError(ValueError):
    """A user cannot be created or changed: bad name, short password, unknown role, or the name is taken."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role
    disabled: bool
    created_at: datetime
    sso: bool = False

    @property
    def can_edit(self) -> bool:
        """Editors and admins may create and change their dashboards; viewers only look."""
        return self.role in (Role.EDITOR, Role.ADMIN)

    def has_role(self, role: Role) -> bool:
        """Whether the account's role is ``role`` or higher (an admin may do what an editor may)."""
        return self.role.rank >= role.rank

    @property
    def is_admin(self) -> bool:
        """Admins manage users, jobs and settings."""
        return self.role == Role.ADMIN


def may_act(user_id: int, role: Role) -> Any:
    """SQL condition: account ``user_id`` exists, is enabled and has ``role`` or higher, as the database has it
    when the statement runs (so a demotion or disabling counts at once)."""
    roles = [r.value for r in Role if r.rank >= role.rank]
    return exists().where(users.c.id == user_id, users.c.role.in_(roles), users.c.disabled.is_(False))


def _to_user(row: Any) -> User:
    return User(row.id, row.name, Role(row.role), row.disabled, row.created_at, row.sso)


def _columns() -> tuple[Any, ...]:
    return (users.c.id, users.c.name, users.c.role, users.c.disabled, users.c.created_at, users.c.sso)


def create_user(
    access: DataAccess, name: str, password: str, role: Role | str = Role.VIEWER, *, sso: bool = False
) -> User:
    """Create a local account (``sso``: one made by single sign-on, with an unusable random password).

    :raises UserError: when the name is not 1-64 letters, digits or ``._@-``, the password is shorter than
        8 characters, the role is unknown, or the name is taken.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(f"invalid user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"unknown role {role!r}: use viewer, editor or admin") from None
    statement = (
        insert(users)
        .values(name=name, password_hash=_hasher().hash(password), role=role.value, sso=sso)
        .returning(*_columns())
    )
    try:
        with access.db.begin() as conn:
            return _to_user(conn.execute(statement).one())
    except IntegrityError:
        raise UserError(f"a user named {name!r} already exists") from None


def authenticate(access: DataAccess, name: str, password: str) -> User | None:
    """The user if the name and password match an enabled account, else None (also for a name no account could
    have, such as one with a NUL, which the database would refuse)."""
    row = None
    if NAME_PATTERN.fullmatch(name) and len(password) <= MAX_PASSWORD_LENGTH:
        with access.db.begin() as conn:
            row = conn.execute(select(*_columns(), users.c.password_hash).where(users.c.name == name)).first()
    stored = _dummy_hash() if row is None else row.password_hash
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    if _hasher().check_needs_rehash(stored):
        _store_hash(access, row.id, _hasher().hash(password))
    return _to_user(row)


def _store_hash(access: DataAccess, user_id: int, password_hash: str) -> None:
    with access.db.begin() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def set_password(access: DataAccess, name: str, password: str) -> None:
    """:raises UserError: when the password is too short or no such user exists."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    with access.db.begin() as conn:
        result = conn.execute(update(users).where(users.c.name == name).values(password_hash=_hasher().hash(password)))
    if result.rowcount == 0:
        raise UserError(f"no user named {name!r}")


def get_user(access: DataAccess, user_id: int) -> User | None:
    with access.db.begin() as conn:
        row = conn.execute(select(*_columns()).where(users.c.id == user_id)).first()
    return None if row is None else _to_user(row)


def find_user(access: DataAccess, name: str) -> User | None:
    with access.db.begin() as conn:
        row = conn.execute(select(*_columns()).where(users.c.name == name)).first()
    return None if row is None else _to_user(row)


def list_users(access: DataAccess) -> list[User]:
    with access.db.begin() as conn:
        return [_to_user(row) for row in conn.execute(select(*_columns()).order_by(users.c.name))]


def set_disabled(access: DataAccess, name: str, disabled: bool) -> None:
    """Disable or enable an account; a disabled account cannot log in. :raises UserError: no such user."""
    with access.db.begin() as conn:
        result = conn.execute(update(users).where(users.c.name == name).values(disabled=disabled))
    if result.rowcount == 0:
        raise UserError(f"no user named {name!r}")


def set_role(access: DataAccess, name: str, role: Role | str) -> User:
    """Give an account another role. :raises UserError: unknown role or no such user."""
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"unknown role {role!r}: use viewer, editor or admin") from None
    with access.db.begin() as conn:
        row = conn.execute(
            update(users).where(users.c.name == name).values(role=role.value).returning(*_columns())
        ).first()
    if row is None:
        raise UserError(f"no user named {name!r}")
    return _to_user(row)
