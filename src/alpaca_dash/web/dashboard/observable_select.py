"""A select of observables that searches the registry on the server as the user types: its options are the first
hits, never the whole registry (three selects of 1e4 names each made the panel dialog take seconds to open)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from nicegui import background_tasks, events, ui

from alpaca_dash.domain import Observable, ObservableKind, UnknownObservable
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observable_tree import search_observables
from alpaca_dash.queries.observables import find_observables
from alpaca_dash.web.threads import in_thread

#: hits offered while typing
HITS = 50


class ObservableSelect:
    """A ``ui.select`` of observable names (of one kind, or any) filled from the server's search as the user types.

    :param on_change: called after the value changed and its observables are known (``observables``).
    """

    def __init__(
        self,
        access: DataAccess,
        label: str,
        *,
        kind: ObservableKind | None = None,
        multiple: bool = False,
        clearable: bool = False,
        on_change: Callable[[], Any] | None = None,
    ) -> None:
        self.access = access
        self.kind = kind
        self.known: dict[str, Observable] = {}
        self.on_change = on_change
        self.select = ui.select([], label=label, with_input=True, multiple=multiple, clearable=clearable)
        self.select.props("input-debounce=200").classes("w-full")
        self.select.on("input-value", self._typed)
        self.select.on_value_change(self._changed)

    def mark(self, name: str) -> ObservableSelect:
        self.select.mark(name)
        return self

    @property
    def names(self) -> list[str]:
        value = self.select.value
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    @property
    def observables(self) -> list[Observable]:
        """The chosen observables that the registry holds."""
        return [self.known[name] for name in self.names if name in self.known]

    def set_kind(self, kind: ObservableKind | None) -> None:
        """Offer observables of ``kind`` from now on; a chosen one of another kind is dropped."""
        if kind is self.kind:
            return
        self.kind = kind
        self.show([item for item in self.observables if kind is None or item.kind is kind])

    def show(self, items: Sequence[Observable]) -> None:
        """Choose ``items`` (an observable, or a table's several), offered as the options until the user types."""
        for item in items:
            self.known[item.name] = item
        names = [item.name for item in items]
        self.select.set_options(names, value=names if self.select.multiple else (names[0] if names else None))

    async def choose(self, names: Sequence[str]) -> None:
        """Choose the observables of ``names`` (those the registry no longer holds are left out)."""
        try:
            found = await in_thread(find_observables, self.access, list(names))
        except UnknownObservable:
            found = [item for name in names for item in await in_thread(self._find_one, name)]
        self.show(found)

    def _find_one(self, name: str) -> list[Observable]:
        try:
            return find_observables(self.access, [name])
        except UnknownObservable:
            return []

    async def _typed(self, event: events.GenericEventArguments) -> None:
        text = str(event.args or "").strip()
        if not text:
            return
        result = await in_thread(search_observables, self.access, text, limit=HITS, kind=self.kind)
        for item in result.items:
            self.known[item.name] = item
        chosen = self.names
        options = list(dict.fromkeys([*chosen, *(item.name for item in result.items)]))
        self.select.set_options(options, value=self.select.value)

    def _changed(self, _: events.ValueChangeEventArguments[Any]) -> None:
        if self.on_change is not None:
            result = self.on_change()
            if inspect.iscoroutine(result):
                background_tasks.create(result, name="observable field changed")
