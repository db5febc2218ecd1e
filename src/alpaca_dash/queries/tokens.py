"""Personal API tokens: created and revoked by their user, stored as a hash, and traded for that user by scripts.

A token is ``adt_`` and 43 URL-safe characters (256 random bits). It is returned once, when it is created; the
database keeps its SHA-256 and its first characters, so a stolen database dump holds no usable token. A token acts
with its user's role as it is when the token is used, and stops working when it is revoked, when it expires, or
when its account is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import User, get_user
from alpaca_dash.timescale.schema import api_tokens, users

TOKEN_PREFIX = "adt_"
#: characters of a token kept in the clear, to tell tokens apart in lists
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 6
MAX_NAME = 64
MAX_ACTIVE_TOKENS = 20
MAX_DAYS = 3650


class TokenError(ValueError):
    """A token cannot be created or revoked: bad name or lifetime, too many tokens, or no such token of this user."""


@dataclass(frozen=True)
class ApiToken:
    """What is known of a token after it was shown: never the token itself."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def is_active(self, now: datetime | None = None) -> bool:
        moment = now or datetime.now(UTC)
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > moment)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _to_token(row: Any) -> ApiToken:
    return ApiToken(
        row.id, row.user_id, row.name, row.prefix, row.created_at, row.expires_at, row.last_used_at, row.revoked_at
    )


def _token_columns() -> tuple[Any, ...]:
    c = api_tokens.c
    return (c.id, c.user_id, c.name, c.prefix, c.created_at, c.expires_at, c.last_used_at, c.revoked_at)


def _active() -> Any:
    return and_(
        api_tokens.c.revoked_at.is_(None), or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > func.now())
    )


def create_token(access: DataAccess, user_id: int, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for the user, valid for ``days`` (None: until revoked).

    :returns: the stored record and the token itself, which nothing can show again.
    :raises TokenError: for an empty or too long name, a lifetime out of 1 to 3650 days, or a user who has
        ``MAX_ACTIVE_TOKENS`` active tokens already.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise TokenError(f"name the token (1 to {MAX_NAME} characters), e.g. after the script that uses it")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(f"a token lives 1 to {MAX_DAYS} days, or until it is revoked")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = None if days is None else datetime.now(UTC) + timedelta(days=days)
    with access.db.begin() as conn:
        conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())  # one creation at a time
        active = conn.execute(
            select(func.count()).select_from(api_tokens).where(api_tokens.c.user_id == user_id, _active())
        ).scalar_one()
        if active >= MAX_ACTIVE_TOKENS:
            raise TokenError(f"you have {active} active tokens, the most allowed: revoke one first")
        row = conn.execute(
            insert(api_tokens)
            .values(
                user_id=user_id,
                name=name,
                token_hash=hash_token(token),
                prefix=token[:SHOWN_CHARACTERS],
                expires_at=expires,
            )
            .returning(*_token_columns())
        ).one()
    return _to_token(row), token


def list_tokens(access: DataAccess, user_id: int, *, include_revoked: bool = False) -> list[ApiToken]:
    """The user's tokens, newest first; revoked ones only if asked."""
    query = select(*_token_columns()).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id.desc())
    if not include_revoked:
        query = query.where(api_tokens.c.revoked_at.is_(None))
    with access.db.begin() as conn:
        return [_to_token(row) for row in conn.execute(query)]


def revoke_token(access: DataAccess, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (revoking it again changes nothing).

    :raises TokenError: when the user has no token with this id.
    """
    c = api_tokens.c
    with access.db.begin() as conn:
        row = conn.execute(
            update(api_tokens)
            .where(c.id == token_id, c.user_id == user_id)
            .values(revoked_at=func.coalesce(c.revoked_at, func.now()))
            .returning(*_token_columns())
        ).first()
    if row is None:
        raise TokenError(f"you have no token {token_id}")
    return _to_token(row)


def authenticate_token(access: DataAccess, token: str) -> User | None:
    """The user a token belongs to, if it is active and the account enabled, recording its use; else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    statement = (
        update(api_tokens)
        .where(api_tokens.c.token_hash == hash_token(token), _active())
        .values(last_used_at=func.now())
        .returning(api_tokens.c.user_id)
    )
    with access.db.begin() as conn:
        user_id = conn.execute(statement).scalar()
    user = None if user_id is None else get_user(access, user_id)
    return None if user is None or user.disabled else user
