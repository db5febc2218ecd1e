"""Finding the inputs a page test sets, by their marker (a plain module: web_fixtures is a pytest plugin, which a
test module must not import)."""

from __future__ import annotations

from typing import Any, TypeVar, overload

from nicegui import ui
from nicegui.elements.mixins.value_element import ValueElement
from nicegui.testing.user import User

E = TypeVar("E", bound=ui.element)


@overload
def control(user: User, marker: str) -> ValueElement[Any]: ...
@overload
def control(user: User, marker: str, kind: type[E]) -> E: ...
def control(user: User, marker: str, kind: type[ui.element] = ValueElement) -> ui.element:
    """The one input (a field, a select, a switch: ``ValueElement`` unless ``kind`` says) with this marker."""
    [element] = user.find(kind=kind, marker=marker).elements
    return element
