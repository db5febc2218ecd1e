"""Which chart types suit which kind of observable."""

from __future__ import annotations

from alpaca_dash.domain import ObservableKind

CHART_LABELS: dict[str, str] = {
    "stat": "Stat (value)",
    "table": "Table of scalars",
    "line": "Waveform / line",
    "scatter": "Scatter",
    "histogram": "Histogram",
    "image": "Image",
    "trend": "Trend across runs",
    "correlation": "Scalar vs scalar across runs",
}

CHARTS_BY_KIND: dict[ObservableKind, tuple[str, ...]] = {
    ObservableKind.SCALAR: ("stat", "table", "trend", "correlation"),
    ObservableKind.ARRAY1D: ("line", "scatter", "histogram", "trend"),
    ObservableKind.ARRAY2D: ("image", "trend"),
}


def chart_types_for(kind: ObservableKind | str) -> tuple[str, ...]:
    """The chart types valid for an observable of this kind, the default first."""
    return CHARTS_BY_KIND[ObservableKind(kind)]


def kind_for_chart(chart_type: str) -> ObservableKind:
    """The kind of observable a chart type shows (tables show scalars)."""
    return next(kind for kind, charts in CHARTS_BY_KIND.items() if chart_type in charts)
