"""Choosing observables in the panel dialog as a user does: typing into a field that searches on the server."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User
from polling import wait_until


async def choose(user: User, marker: str, name: str) -> ui.select:
    """Type ``name`` into the observable field ``marker``, wait for it among the hits, and choose it."""
    await user.should_see(marker=marker, retries=100)  # the dialog builds when first opened
    field = next(iter(user.find(marker=marker).elements))
    assert isinstance(field, ui.select)
    user.find(marker=marker).trigger("inputValue", name)  # the event the field sends as the user types
    await wait_until(lambda: name in field.options, f"{name} among the hits of {marker}")
    field.set_value([*field.value, name] if field.multiple else name)
    return field
