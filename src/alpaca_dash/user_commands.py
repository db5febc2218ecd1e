"""``alpaca-dash users``: local accounts."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from alpaca_dash.cli_common import OneLineErrors, echo, fails_cleanly, load_settings, open_access, print_error

#: the roles (``queries.users.Role``), spelled here so that ``--role`` is checked before the password prompt without
#: importing the account code for ``--help``; a test keeps the two equal
RoleChoice = Literal["viewer", "editor", "admin"]

users_app = typer.Typer(cls=OneLineErrors, help="Local accounts.", no_args_is_help=True)


@users_app.command("add")
@fails_cleanly
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[RoleChoice, typer.Option(help="The account's role.")] = "viewer",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
    ] = "",
) -> None:
    """Create a local account."""
    from alpaca_dash.queries import users

    access = open_access(load_settings(), migrate=True)
    try:
        user = users.create_user(access, name, password, role)
    except users.UserError as exc:
        print_error(exc)
        raise typer.Exit(1) from None
    echo(f"created {user.role.value} {user.name}")


@users_app.command("list")
@fails_cleanly
def users_list() -> None:
    """List local accounts."""
    from alpaca_dash.queries import users

    access = open_access(load_settings())
    for user in users.list_users(access):
        echo(f"{user.name}\t{user.role.value}\t{'disabled' if user.disabled else ''}")
