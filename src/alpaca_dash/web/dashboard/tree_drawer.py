"""The observable tree in the right drawer: the name hierarchy, a search box, kind icons, details on hover."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import events, ui

from alpaca_dash.domain import Observable
from alpaca_dash.queries.observables import build_tree
from alpaca_dash.web.assets import static_text

ObservableHandler = Callable[[Observable], Any]
#: expand every group when a search leaves at most this many observables
EXPAND_LIMIT = 200


def filter_observables(items: list[Observable], query: str) -> list[Observable]:
    """The observables whose exact name contains every word of ``query``, ignoring case."""
    words = query.lower().split()
    return [item for item in items if all(word in item.name.lower() for word in words)]


def group_ids(nodes: list[dict[str, Any]]) -> list[str]:
    ids = []
    for node in nodes:
        if "children" in node:
            ids.append(node["id"])
            ids.extend(group_ids(node["children"]))
    return ids


class ObservableTree:
    """Shows ``items``; ``on_pick`` gets the observable whose leaf the user clicked."""

    def __init__(self, items: list[Observable], on_pick: ObservableHandler) -> None:
        self.items = items
        self.by_name = {item.name: item for item in items}
        self.on_pick = on_pick
        self.search = ui.input("Search observables", on_change=self._refilter).props("dense clearable debounce=250")
        self.search.classes("w-full")
        self.count = ui.label().classes("text-xs text-grey")
        self.tree = ui.tree([], node_key="id", on_select=self._picked).props("dense no-selection-unset")
        self.tree.add_slot("default-header", static_text("observable_node.html"))
        self.tree.classes("w-full observable-tree")
        self.show(items)

    def show(self, items: list[Observable]) -> None:
        nodes = build_tree(items)
        self.tree._props["nodes"] = nodes
        self.tree._props["expanded"] = group_ids(nodes) if len(items) <= EXPAND_LIMIT else []
        self.tree.update()
        self.count.set_text(f"{len(items)} of {len(self.items)} observables")

    def _refilter(self, event: events.ValueChangeEventArguments[Any]) -> None:
        query = event.value or ""
        self.show(filter_observables(self.items, query) if query.strip() else self.items)

    def _picked(self, event: events.ValueChangeEventArguments[Any]) -> None:
        item = self.by_name.get(event.value) if isinstance(event.value, str) else None
        if item is not None:
            self.on_pick(item)
        self.tree._props["selected"] = None
