"""The table panel: several scalars of one run, one row each."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from alpaca_dash.content.charts.stat import Decimals, difference_text, format_value
from alpaca_dash.content.data import NoData, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import values_csv
from alpaca_dash.content.options import ChartOptions
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import Observable, ObservableKind
from alpaca_dash.types import Array

TABLE_COLUMNS: list[dict[str, str]] = [
    {"name": "name", "label": "Observable", "field": "name", "align": "left"},
    {"name": "value", "label": "Value", "field": "value", "align": "right"},
    {"name": "unit", "label": "Unit", "field": "unit", "align": "left"},
]
#: the columns a table compared with a reference run adds
REFERENCE_COLUMNS: list[dict[str, str]] = [
    {"name": "reference", "label": "Reference", "field": "reference", "align": "right"},
    {"name": "delta", "label": "Δ", "field": "delta", "align": "right"},
]


def table_columns(rows: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The columns of these rows: with the reference's value and the difference when the rows carry them."""
    if rows and "reference" in rows[0]:
        return [*TABLE_COLUMNS[:2], *REFERENCE_COLUMNS, TABLE_COLUMNS[2]]
    return TABLE_COLUMNS


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
    reference: Mapping[str, float | int | bool | None] | None = None,
) -> list[dict[str, str]]:
    """One row per name in order: a short name, the value formatted like a stat (an em dash when this run has
    none) and the unit; ``full_name`` keeps the exact name. With ``reference`` (the reference run's values), also
    its value and the difference."""
    labels = short_names(names)
    rows = []
    for name in names:
        value = values.get(name)
        shown = "—" if value is None else format_value(value, decimals)
        row = {"name": labels[name], "full_name": name, "value": shown, "unit": units.get(name, "")}
        if reference is not None:
            other = reference.get(name)
            row["reference"] = "—" if other is None else format_value(other, decimals)
            row["delta"] = (difference_text(value, other, decimals) if value is not None else "").removeprefix("Δ ")
        rows.append(row)
    return rows


class TableOptions(ChartOptions):
    decimals: Decimals | None = None


def load_table(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    found = data.observables(spec.observables)
    items = [found[name] for name in spec.observables]
    values = scalar_values(data.scalars(items, target.run), items)
    if all(v is None for v in values.values()):
        raise NoData("No data for this run")
    reference = None
    if target.compared is not None:
        reference = scalar_values(data.scalars(items, target.compared), items)
    units = {item.name: item.unit or "" for item in items}
    decimals = spec.options_as(TableOptions).decimals
    rows = build_table_rows(spec.observables, values, units, decimals=decimals, reference=reference)
    return PanelContent("ready", rows=rows)


def scalar_values(stored: Mapping[int, Array], items: Sequence[Observable]) -> dict[str, float | int | bool | None]:
    """Stored scalars by observable name, None for a missing or NaN value."""
    values: dict[str, float | int | bool | None] = {}
    for item in items:
        raw = stored.get(item.id)
        scalar = None if raw is None else raw.item()
        values[item.name] = None if isinstance(scalar, float) and math.isnan(scalar) else scalar
    return values


CHART = ChartType(
    "table", "Table of scalars", (ObservableKind.SCALAR,), (4, 4), TableOptions, load_table, many=True,
    takes_reference=True, download=values_csv,
)  # fmt: skip
