"""Sizes and positions of panels: when a resize calls for a redraw, square pixels, the saved layout."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from nicegui import app

from alpaca_dash.content.data import PanelContent
from alpaca_dash.content.image_option import fit_image_option
from alpaca_dash.content.spec import DashboardSpec, GridPosition
from alpaca_dash.web.dashboard.panel_card import COLUMN_KEY, PanelCard

#: a panel is drawn again when its width or height changes by more than this fraction
RESIZE_TOLERANCE = 0.15
#: an image is placed again when its panel's size changes by more than this (pixels); a few pixels of an estimated
#: size are not worth a repaint
REGRID_PIXELS = 4


def merge_layout(spec: DashboardSpec, layout: list[dict[str, Any]]) -> DashboardSpec | None:
    """The spec with the grid's positions applied, or None when nothing moved or the layout is invalid."""
    positions: dict[str, GridPosition] = {}
    for item in layout:
        try:
            positions[str(item["id"])] = GridPosition(x=item["x"], y=item["y"], w=item["w"], h=item["h"])
        except (KeyError, TypeError, ValueError):
            return None
    changed = [p.model_copy(update={"layout": positions[p.id]}) if p.id in positions else p for p in spec.panels]
    if all(a.layout == b.layout for a, b in zip(changed, spec.panels, strict=True)):
        return None
    return DashboardSpec(panels=changed, reference_run=spec.reference_run)


def similar(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two panel sizes are close enough to draw the same data."""
    return all(abs(x - y) <= RESIZE_TOLERANCE * max(y, 1) for x, y in zip(a, b, strict=True))


def remember_column_width(cards: Iterable[PanelCard]) -> None:
    """Keep this browser's grid column width, so the next visit can estimate panel sizes before it connects."""
    widths = [(card.size[0] + 8) / card.spec.layout.w for card in cards if card.sized]
    if widths:
        app.storage.user[COLUMN_KEY] = round(statistics.median(widths))


def moved_by(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def fitted(card: PanelCard, content: PanelContent) -> PanelContent:
    """The content placed for the card's current size: an image keeps square pixels."""
    if card.spec.type != "image" or content.option is None or content.state != "ready":
        return content
    return replace(content, option=fit_image_option(content.option, card.size))
