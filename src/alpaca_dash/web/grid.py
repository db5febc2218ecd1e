"""The panel grid: a NiceGUI custom element (``static/grid.js``) around gridstack, an npm package served from
node_modules (``vendor.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui
from nicegui.events import GenericEventArguments

from alpaca_dash.content.spec import GridPosition
from alpaca_dash.web.vendor import add_stylesheet

LayoutHandler = Callable[[list[dict[str, Any]]], Any]
SizesHandler = Callable[[dict[str, list[int]]], Any]


class PanelGrid(ui.element, component="static/grid.js"):
    """A 12-column grid whose items the user drags by their ``.panel-drag`` header and resizes by the corner.

    :param editable: whether items may be moved and resized.
    :param on_layout: called with ``[{id, x, y, w, h}, ...]`` after the user moved or resized something.
    :param on_sizes: called with ``{id: [width, height]}``, the pixel size of each panel body, when it changes.
    """

    def __init__(
        self, *, editable: bool, on_layout: LayoutHandler, on_sizes: SizesHandler, cell_height: int = 70
    ) -> None:
        super().__init__()
        add_stylesheet("gridstack")
        self.cell_height = cell_height
        self._props["editable"] = editable
        self._props["cell-height"] = cell_height
        self.on("layout", lambda e: self._relay_layout(e, on_layout))
        self.on("sizes", lambda e: on_sizes(e.args if isinstance(e.args, dict) else {}))

    def _relay_layout(self, event: GenericEventArguments, handler: LayoutHandler) -> Any:
        layout = [item for item in event.args if isinstance(item, dict)] if isinstance(event.args, list) else []
        for item in layout:
            # keep the server's copy of the attributes equal to what gridstack put in the DOM
            element = self._items.get(str(item.get("id")))
            if element is not None:
                element._props.update({f"gs-{k}": item[k] for k in ("x", "y", "w", "h") if k in item})
        return handler(layout)

    @property
    def _items(self) -> dict[str, ui.element]:
        return {str(child.props.get("gs-id")): child for child in self.default_slot.children}

    def add_item(self, item_id: str, position: GridPosition) -> ui.element:
        """A new grid item; build the panel inside the returned element."""
        with self:
            item = ui.element("div").classes("grid-stack-item")
            item._props.update(
                {"gs-id": item_id, "gs-x": position.x, "gs-y": position.y, "gs-w": position.w, "gs-h": position.h}
            )
            with item:
                content = ui.element("div").classes("grid-stack-item-content")
        return content

    def remove_item(self, item_id: str) -> None:
        element = self._items.get(item_id)
        if element is not None:
            self.remove(element)
