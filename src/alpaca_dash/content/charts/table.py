"""The table panel: several scalars of one run, one row each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alpaca_dash.content.charts.stat import format_value

TABLE_COLUMNS: list[dict[str, str]] = [
    {"name": "name", "label": "Observable", "field": "name", "align": "left"},
    {"name": "value", "label": "Value", "field": "value", "align": "right"},
    {"name": "unit", "label": "Unit", "field": "unit", "align": "left"},
]


def short_names(names: Sequence[str]) -> dict[str, str]:
    """For each name the fewest trailing ``*`` parts that still tell it apart from the others."""
    parts = {name: name.split("*") for name in names}
    result = {}
    for name, pieces in parts.items():
        for depth in range(1, len(pieces) + 1):
            tail = pieces[-depth:]
            if all(other == name or parts[other][-depth:] != tail for other in parts):
                break
        result[name] = "*".join(tail)
    return result


def build_table_rows(
    names: Sequence[str],
    values: Mapping[str, float | int | bool | None],
    units: Mapping[str, str],
    *,
    decimals: int | None = None,
) -> list[dict[str, str]]:
    """One row per name in order: a short name, the value formatted like a stat (an em dash when this run has
    none) and the unit; ``full_name`` keeps the exact name."""
    labels = short_names(names)
    rows = []
    for name in names:
        value = values.get(name)
        shown = "—" if value is None else format_value(value, decimals)
        rows.append({"name": labels[name], "full_name": name, "value": shown, "unit": units.get(name, "")})
    return rows
