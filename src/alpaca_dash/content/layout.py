"""Where a new panel goes on the dashboard's grid: the first place, row by row, where it fits without overlap."""

from __future__ import annotations

from collections.abc import Sequence

from alpaca_dash.content.spec import GRID_COLUMNS, GridPosition, PanelSpec


def first_free_place(panels: Sequence[PanelSpec], w: int, h: int) -> GridPosition:
    """The topmost, then leftmost position of a ``w`` x ``h`` panel that overlaps none of ``panels``."""
    w = max(1, min(w, GRID_COLUMNS))
    taken = {(x, y) for p in panels for x in range(p.layout.x, p.layout.x + p.layout.w)
             for y in range(p.layout.y, p.layout.y + p.layout.h)}  # fmt: skip
    bottom = max((p.layout.y + p.layout.h for p in panels), default=0)
    for y in range(bottom + 1):
        for x in range(GRID_COLUMNS - w + 1):
            if all((x + i, y + j) not in taken for i in range(w) for j in range(h)):
                return GridPosition(x=x, y=y, w=w, h=h)
    return GridPosition(x=0, y=bottom, w=w, h=h)
