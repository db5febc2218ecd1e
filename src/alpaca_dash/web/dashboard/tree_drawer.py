"""The observable tree in the right drawer, a level at a time: the root's groups first, a group's children when it
opens, a search on the server with its first hits; kind icons and details on hover.

Nothing sends the whole registry to the page: at 1e4 observables that was a 1.3 MB message and 10,000 tree nodes.
The levels shown are read again when a run brings new observables, so the tree follows the registry while open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from nicegui import events, ui

from alpaca_dash.domain import Observable
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observable_tree import TreeLevel, TreeNode, list_tree_children, search_observables
from alpaca_dash.queries.observables import build_tree
from alpaca_dash.web.assets import static_text
from alpaca_dash.web.threads import in_thread

ObservableHandler = Callable[[Observable], Awaitable[None]]
#: the child a closed group carries so that it can be opened (replaced by its children when it is)
PLACEHOLDER = "\x02loading"
#: a search's hits shown, in their groups, all open: the page's cost is their nodes (bench P13b)
SEARCH_HITS = 100


def leaf_node(item: Observable, label: str | None = None) -> dict[str, Any]:
    return {
        "id": item.name,
        "label": label or item.path[-1],
        "kind": item.kind.value,
        "kinds": item.kinds_text(),
        "dtype": item.dtype,
        "shape": list(item.shape),
        "unit": item.unit or "",
    }


def level_nodes(path: tuple[str, ...], level: TreeLevel) -> list[dict[str, Any]]:
    """The tree's nodes of one level: groups closed (with their count), leaves with their details, and a note of
    how many the limit left out."""
    nodes = [_node(node) for node in level.nodes]
    if level.more:
        more = "\x03more:" + "\x00".join(path)
        nodes.append({"id": more, "label": f"{level.more} more: search to find them", "more": True})
    return nodes


def _node(node: TreeNode) -> dict[str, Any]:
    if node.observable is not None:
        return leaf_node(node.observable, node.label)
    label = f"{node.label} ({node.below})"
    return {"id": node.id, "label": label, "children": [{"id": node.id + PLACEHOLDER, "label": "…"}]}


def group_path(node_id: str) -> tuple[str, ...] | None:
    """The path of a group node's id (``group:`` and its parts joined by NUL), None for any other node."""
    if not node_id.startswith("group:"):
        return None
    return tuple(node_id.removeprefix("group:").split("\x00"))


class ObservableTree:
    """``on_pick`` gets the observable whose leaf the user clicked."""

    def __init__(self, access: DataAccess, on_pick: ObservableHandler) -> None:
        self.access = access
        self.on_pick = on_pick
        self.picked: dict[str, Observable] = {}
        self.query = ""
        self.search = ui.input("Search observables", on_change=self._search).props("dense clearable debounce=250")
        self.search.classes("w-full").mark("tree-search")
        self.count = ui.label().classes("text-xs text-grey").mark("tree-count")
        self.tree = ui.tree([], node_key="id", on_select=self._selected, on_expand=self._expanded)
        self.tree.props("dense no-selection-unset").classes("w-full observable-tree")
        self.tree.add_slot("default-header", static_text("observable_node.html"))
        self.loaded: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    async def load(self) -> None:
        """Show the root level (the drawer opened)."""
        await self._show_level(())
        self._render()

    async def refresh(self) -> None:
        """Read the levels shown (or the search) again, for observables that arrived since."""
        if self.query:
            await self._show_search(self.query)
            return
        for path in list(self.loaded):
            await self._show_level(path)
        self._render()

    async def _show_level(self, path: tuple[str, ...]) -> None:
        level = await in_thread(list_tree_children, self.access, path)
        for node in level.nodes:
            if node.observable is not None:
                self.picked[node.observable.name] = node.observable
        self.loaded[path] = level_nodes(path, level)

    def _render(self) -> None:
        """The tree from the levels loaded: each open group's children in place of its placeholder."""
        expanded = set(self.tree._props.get("expanded") or [])

        def with_children(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = []
            for node in nodes:
                path = group_path(node["id"])
                if path is not None and path in self.loaded:
                    node = {**node, "children": with_children(self.loaded[path])}
                out.append(node)
            return out

        self.tree._props["nodes"] = with_children(self.loaded.get((), []))
        self.tree._props["expanded"] = [key for key in expanded if group_path(key) in self.loaded]
        self.tree.update()
        total = sum(1 for nodes in self.loaded.values() for node in nodes if "kind" in node)
        self.count.set_text(f"{total} observables shown" if total else "Open a group to see its observables")

    async def _expanded(self, event: events.ValueChangeEventArguments[Any]) -> None:
        keys = [key for key in (event.value or []) if isinstance(key, str)]
        self.tree._props["expanded"] = keys
        if self.query:
            return
        new = [path for path in (group_path(key) for key in keys) if path is not None and path not in self.loaded]
        for path in new:
            await self._show_level(path)
        if new:
            self._render()

    async def _search(self, event: events.ValueChangeEventArguments[Any]) -> None:
        self.query = (event.value or "").strip()
        if self.query:
            await self._show_search(self.query)
        else:
            self.tree._props["expanded"] = []
            await self.load()

    async def _show_search(self, query: str) -> None:
        result = await in_thread(search_observables, self.access, query, limit=SEARCH_HITS)
        for item in result.items:
            self.picked[item.name] = item
        nodes = build_tree(result.items)
        self.tree._props["nodes"] = nodes
        self.tree._props["expanded"] = _group_ids(nodes)
        self.tree.update()
        more = f" and {result.more} more: narrow the search" if result.more else ""
        self.count.set_text(f"{len(result.items)} found{more}")

    async def _selected(self, event: events.ValueChangeEventArguments[Any]) -> None:
        item = self.picked.get(event.value) if isinstance(event.value, str) else None
        self.tree._props["selected"] = None
        if item is not None:
            await self.on_pick(item)


def _group_ids(nodes: Sequence[dict[str, Any]]) -> list[str]:
    ids = []
    for node in nodes:
        if "children" in node:
            ids.append(node["id"])
            ids.extend(_group_ids(node["children"]))
    return ids
