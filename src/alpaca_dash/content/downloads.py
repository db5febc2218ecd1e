"""A panel's data as a file: the stored values behind what it draws, never the points downsampled for the screen.

Waveforms give every sample of the shown run (and of the reference run, a column each), images the whole array as
``.npy`` or a CSV matrix, histograms their bins, stats and tables their values, trends every run of their range.
Numbers are written as the shortest text that reads back to the same value of their own dtype.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from alpaca_dash.content.data import Download, NoData, PanelData, Target
from alpaca_dash.content.kind_guard import KindGuard
from alpaca_dash.content.overlay import other_values
from alpaca_dash.content.reference_plot import ReferencePlotOptions, column_name, compared_to, reference_at
from alpaca_dash.content.registry import chart_type
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.types import Array


def load_download(data: PanelData, spec: PanelSpec, target: Target, fmt: str) -> Download:
    """The panel's data for ``target`` as ``fmt`` (one of its chart type's ``download_formats``).

    :raises NoData: when the run has no value; :raises ValueError: for a format the panel does not offer.
    """
    chart = chart_type(spec.type)
    if chart.download is None or fmt not in chart.download_formats:
        offered = ", ".join(chart.download_formats) if chart.download else "no file"
        raise ValueError(f"a {spec.type} panel offers {offered}, not {fmt}")
    return chart.download(KindGuard(data, spec, chart), spec, target, fmt)  # a run of another kind: said in words


def file_stem(name: str) -> str:
    """An observable's name as part of a file name: ``captorius3_acq_0_Channel_2_SSPALS_Y_V_V``."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name).strip("_")[:120] or "panel"


def run_stem(spec: PanelSpec, target: Target) -> str:
    return f"{file_stem(spec.observables[0])}_run{target.run}"


def values_csv(data: PanelData, spec: PanelSpec, target: Target, fmt: str) -> Download:
    """Scalars of the shown run, exactly, with their units (stat and table panels)."""
    found = data.observables(spec.observables)
    items = [found[name] for name in spec.observables]
    stored = data.scalars(items, target.run)
    if not stored:
        raise NoData("No data for this run")
    rows = [[o.name, target.run, text_of(stored[o.id]) if o.id in stored else "", o.unit or ""] for o in items]
    return csv_file(f"{run_stem(spec, target)}.csv", ["observable", "run", "value", "unit"], rows)


def samples_csv(data: PanelData, spec: PanelSpec, target: Target, fmt: str) -> Download:
    """Every sample of the shown run (against its x, or the index), and of the reference run (line, scatter); with
    the panel's difference or ratio to the reference when it draws one, at every sample of the shown run."""
    name = spec.observables[0]
    found = data.observables([name, *([spec.x] if spec.x else [])])
    value = data.value(found[name], target.run)
    x = data.value(found[spec.x], target.run) if spec.x else None
    header = [spec.x or "index", f"{name} run {target.run}"]
    columns: list[Array] = [np.arange(value.size) if x is None else x, value]
    reference = target.compared
    other = None if reference is None else other_values(data, spec, reference)
    if reference is not None and other is not None:
        header.append(f"{name} reference {reference}")
        columns.append(other[0])
        how = spec.options.reference_plot if isinstance(spec.options, ReferencePlotOptions) else "none"
        if how != "none":
            n = value.size if x is None else min(value.size, x.size)
            at, interpolated = reference_at(n, None if x is None else x[:n], other[0], other[1])
            header.append(column_name(how, target.run, reference, interpolated=interpolated))
            columns.append(compared_to(value[:n], at, how))
    return csv_file(f"{run_stem(spec, target)}.csv", header, aligned(columns))


def aligned(columns: Sequence[Array]) -> Iterable[list[str]]:
    """Rows of the columns side by side, empty cells where a column is shorter."""
    longest = max(column.size for column in columns)
    texts = [texts_of(column) + [""] * (longest - column.size) for column in columns]
    return (list(row) for row in zip(*texts, strict=True))


def texts_of(values: Array) -> list[str]:
    """Each value as the shortest text of its own dtype that reads back to it (``str`` of a numpy scalar)."""
    flat = np.asarray(values).ravel()
    if flat.dtype == np.bool_:
        return ["true" if v else "false" for v in flat.tolist()]
    if flat.dtype.kind in "iu":
        return [str(v) for v in flat.tolist()]
    return [str(v) for v in flat]


def text_of(value: Array) -> str:
    return texts_of(value)[0]


def matrix_csv(value: Array) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in value:
        writer.writerow(texts_of(row))
    return out.getvalue().encode()


def csv_file(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Download:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Download(filename, out.getvalue().encode(), "text/csv")
