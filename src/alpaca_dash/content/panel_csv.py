"""A panel's shown data as CSV: the points of its series, the bars of a histogram, or the rows of a table."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from alpaca_dash.content.charts.packed import series_data


class NoCsv(ValueError):
    """The panel shows nothing that is a table of numbers (an image, a stat, or no data)."""


def _cell(value: Any) -> Any:
    """Whole numbers without a trailing ``.0`` (run numbers, counts, indices)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _series_rows(option: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    x_axis = option.get("xAxis") or {}
    categories = x_axis.get("data") if isinstance(x_axis, Mapping) else None
    rows: list[list[Any]] = []
    with_run = False
    for series in option.get("series", []):
        name = series.get("name", "")
        for index, point in enumerate(series_data(series)):
            if isinstance(point, Sequence) and not isinstance(point, str):
                cells = [_cell(value) for value in list(point)[:3]]
                with_run = with_run or len(cells) >= 3
                rows.append([name, *cells])
            elif categories is not None and index < len(categories):
                rows.append([name, categories[index], _cell(point)])
    if not rows:
        raise NoCsv("this panel has no points to export")
    header = ["series", "x", "y", *(["run"] if with_run else [])]
    return header, [row + [""] * (len(header) - len(row)) for row in rows]


def build_panel_csv(option: Mapping[str, Any] | None, rows: Sequence[Mapping[str, str]] = ()) -> str:
    """CSV text of what the panel shows (downsampled series as drawn).

    :raises NoCsv: for an image, a stat or an empty panel.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if rows:
        writer.writerow(["observable", "value", "unit"])
        writer.writerows([row.get("full_name", row.get("name", "")), row["value"], row.get("unit", "")] for row in rows)
        return out.getvalue()
    custom = any(series.get("type") == "custom" for series in (option or {}).get("series", []))
    if option is None or option.get("graphic") or "visualMap" in option or custom:
        raise NoCsv("only charts of points and tables can be exported as CSV; use PNG")
    header, data = _series_rows(option)
    writer.writerow(header)
    writer.writerows(data)
    return out.getvalue()


def panel_filename(title: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("_") or "panel"
    return f"{stem[:80]}.{extension}"
