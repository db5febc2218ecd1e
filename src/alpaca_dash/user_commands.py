"""``alpaca-dash users``: local accounts."""

from __future__ import annotations

from typing import Literal, get_args

import click
from click.exceptions import Exit

from alpaca_dash.cli_common import OneLineErrors, echo, fails_cleanly, load_settings, open_access, print_error

#: the roles (``queries.users.Role``), spelled here so that ``--role`` is checked before the password prompt without
#: importing the account code for ``--help``; a test keeps the two equal
RoleChoice = Literal["viewer", "editor", "admin"]


@click.group("users", cls=OneLineErrors, no_args_is_help=True)
def users_app() -> None:
    """Local accounts."""


@users_app.command("add")
@click.argument("name", help="Login name.")
@click.option("--role", type=click.Choice(get_args(RoleChoice)), default="viewer", help="The account's role.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
@fails_cleanly
def users_add(name: str, role: RoleChoice, password: str) -> None:
    """Create a local account."""
    from alpaca_dash.queries import users

    access = open_access(load_settings(), migrate=True)
    try:
        user = users.create_user(access, name, password, role)
    except users.UserError as exc:
        print_error(exc)
        raise Exit(1) from None
    echo(f"created {user.role.value} {user.name}")


@users_app.command("list")
@fails_cleanly
def users_list() -> None:
    """List local accounts."""
    from alpaca_dash.queries import users

    access = open_access(load_settings())
    for user in users.list_users(access):
        echo(f"{user.name}\t{user.role.value}\t{'disabled' if user.disabled else ''}")
