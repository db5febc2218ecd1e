"""``alpaca-dash tokens``: personal API tokens of an account, for scripts (create shows the token once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from click.exceptions import Exit

from alpaca_dash.cli_common import (
    OneLineErrors,
    echo,
    fails_cleanly,
    load_settings,
    open_access,
    print_error,
    stdout_console,
)

if TYPE_CHECKING:
    from alpaca_dash.queries.access import DataAccess


@click.group("tokens", cls=OneLineErrors, no_args_is_help=True)
def tokens_app() -> None:
    """Personal API tokens: scripts send one as 'Authorization: Bearer <token>'."""


user_argument = click.argument("user", help="The account the token acts for (with its role).")


def _user_id(access: DataAccess, name: str, *, enabled: bool = False) -> int:
    from alpaca_dash.queries.users import find_user

    user = find_user(access, name)
    if user is None:
        print_error(f"no user named {name!r}")
        raise Exit(1)
    if enabled and user.disabled:
        print_error(f"the account {name!r} is disabled: its tokens are refused")
        raise Exit(1)
    return user.id


@tokens_app.command("create")
@user_argument
@click.option("--name", required=True, help="What the token is for, e.g. the script's name.")
@click.option("--days", type=int, help="Valid for this many days (default: until revoked).")
@fails_cleanly
def tokens_create(user: str, name: str, days: int | None) -> None:
    """Create a token and print it once: it is stored hashed and cannot be shown again."""
    from alpaca_dash.queries.tokens import TokenError, create_token

    access = open_access(load_settings())
    try:
        record, token = create_token(access, _user_id(access, user, enabled=True), name, days=days)
    except TokenError as exc:
        print_error(exc)
        raise Exit(1) from None
    click.echo(token)  # alone on stdout, for TOKEN=$(alpaca-dash tokens create ...)
    click.echo(f"token {record.id} {record.name!r} for {user}; copy it now, it is not shown again", err=True)


@tokens_app.command("list")
@user_argument
@click.option("--revoked", is_flag=True, help="Also list revoked tokens.")
@fails_cleanly
def tokens_list(user: str, revoked: bool) -> None:
    """An account's tokens: id, name, first characters, created, last used, expiry."""
    from rich.markup import escape
    from rich.table import Table

    from alpaca_dash.queries.tokens import list_tokens

    access = open_access(load_settings())
    table = Table("id", "name", "token", "created", "last used", "expires", "state")
    for token in list_tokens(access, _user_id(access, user), include_revoked=revoked):
        state = "revoked" if token.revoked_at else "active" if token.is_active() else "expired"
        table.add_row(
            str(token.id),
            escape(token.name),
            token.prefix + "…",
            token.created_at.isoformat(timespec="seconds"),
            token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never",
            token.expires_at.isoformat(timespec="seconds") if token.expires_at else "never",
            state,
        )
    stdout_console().print(table)


@tokens_app.command("revoke")
@user_argument
@click.argument("token_id", type=int, help="The token's id, from 'tokens list'.")
@fails_cleanly
def tokens_revoke(user: str, token_id: int) -> None:
    """Revoke a token: scripts using it get 401 from then on."""
    from rich.markup import escape

    from alpaca_dash.queries.tokens import TokenError, revoke_token

    access = open_access(load_settings())
    try:
        record = revoke_token(access, _user_id(access, user), token_id)
    except TokenError as exc:
        print_error(f"{user} has no token {token_id}" if "no token" in str(exc) else exc)
        raise Exit(1) from None
    echo(f"revoked token {record.id} {escape(repr(record.name))} of {user}")
