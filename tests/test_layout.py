"""A new panel goes to the first free place on the grid, not below everything at x = 0."""

from __future__ import annotations

from alpaca_dash.content.layout import first_free_place
from alpaca_dash.content.spec import GridPosition, PanelSpec


def panel(name: str, x: int, y: int, w: int, h: int) -> PanelSpec:
    return PanelSpec(id=name, type="stat", observables=["a*b"], layout=GridPosition(x=x, y=y, w=w, h=h))


def test_the_first_free_place_row_by_row() -> None:
    assert first_free_place([], 6, 4) == GridPosition(x=0, y=0, w=6, h=4)
    one = [panel("a", 0, 0, 4, 4)]
    assert first_free_place(one, 6, 4) == GridPosition(x=4, y=0, w=6, h=4)
    two = [*one, panel("b", 4, 0, 6, 4)]
    assert first_free_place(two, 2, 3) == GridPosition(x=10, y=0, w=2, h=3)
    assert first_free_place(two, 3, 3) == GridPosition(x=0, y=4, w=3, h=3)
    # a gap left by a removed panel is filled
    gap = [panel("a", 0, 0, 12, 2), panel("c", 6, 2, 6, 4), panel("d", 0, 6, 12, 2)]
    assert first_free_place(gap, 6, 4) == GridPosition(x=0, y=2, w=6, h=4)
    assert first_free_place(gap, 12, 1) == GridPosition(x=0, y=8, w=12, h=1)
