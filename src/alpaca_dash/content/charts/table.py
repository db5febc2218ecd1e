"""The table panel: several scalars of one run, one row each."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from alpaca_dash.content.charts.stat import Decimals, format_value
from alpaca_dash.content.data import NoData, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import values_csv
from alpaca_dash.content.options import ChartOptions
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind

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


class TableOptions(ChartOptions):
    decimals: Decimals | None = None


def load_table(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    found = data.observables(spec.observables)
    items = [found[name] for name in spec.observables]
    stored = data.scalars(items, target.run)
    values: dict[str, float | int | bool | None] = {}
    for item in items:
        raw = stored.get(item.id)
        scalar = None if raw is None else raw.item()
        values[item.name] = None if isinstance(scalar, float) and math.isnan(scalar) else scalar
    if all(v is None for v in values.values()):
        raise NoData("No data for this run")
    units = {item.name: item.unit or "" for item in items}
    decimals = spec.options_as(TableOptions).decimals
    return PanelContent("ready", rows=build_table_rows(spec.observables, values, units, decimals=decimals))


CHART = ChartType(
    "table",
    "Table of scalars",
    (ObservableKind.SCALAR,),
    (4, 4),
    TableOptions,
    load_table,
    many=True,
    download=values_csv,
)
