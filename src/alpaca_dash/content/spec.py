"""What a dashboard is made of, as validated data: panels, their options and grid positions.

The same models check what the editor saves and what a user imports, with bounded sizes everywhere.
"""

from __future__ import annotations

import json
import math
import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alpaca_dash.domain import INT32_LIMIT

GRID_COLUMNS = 12
MAX_PANELS = 48
MAX_OBSERVABLES = 24
MAX_IMPORT_BYTES = 256 * 1024

ChartType = Literal["stat", "line", "scatter", "histogram", "image", "table", "trend", "correlation"]
#: chart types whose points are runs, drawn over the dashboard's run range rather than for one run
ACROSS_RUNS = ("trend", "correlation")
TrendStatistic = Literal["sum", "mean", "max", "min", "std", "count", "nan_count"]
TrendAxis = Literal["run", "time"]
Colormap = Literal["viridis", "inferno", "magma", "gray", "coolwarm"]
ZMode = Literal["auto", "percentile", "manual"]
#: how an image panel shows the reference run: beside the shown run's image, or subtracted from it
ReferenceView = Literal["side", "difference"]
Color = Annotated[str, Field(pattern=r"^(#[0-9a-fA-F]{3,8}|[a-z]{3,20})$")]
ObservableName = Annotated[str, Field(min_length=1, max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Strict):
    """From ``value`` upwards a stat is drawn in ``color``."""

    value: float
    color: Color


class PanelOptions(_Strict):
    """Every option of every chart type; each type reads the ones that concern it."""

    unit: Annotated[str, Field(max_length=40)] = ""
    decimals: Annotated[int, Field(ge=0, le=12)] | None = None
    thresholds: Annotated[list[Threshold], Field(max_length=10)] = []
    bins: Annotated[int, Field(ge=1, le=1000)] = 50
    bin_width: Annotated[float, Field(gt=0)] | None = None
    log_y: bool = False
    colormap: Colormap = "viridis"
    z_mode: ZMode = "auto"
    z_low: float | None = None
    z_high: float | None = None
    percentile_low: Annotated[float, Field(ge=0, le=100)] = 1.0
    percentile_high: Annotated[float, Field(ge=0, le=100)] = 99.0
    log_z: bool = False
    colorbar: bool = True
    reference_view: ReferenceView = "side"
    statistic: TrendStatistic | None = None
    trend_x: TrendAxis = "run"
    hide_bad: bool = False
    warn_low: float | None = None
    warn_high: float | None = None
    alarm_low: float | None = None
    alarm_high: float | None = None

    @model_validator(mode="after")
    def _check_ranges(self) -> PanelOptions:
        if self.percentile_low >= self.percentile_high:
            raise ValueError("percentile_low must be below percentile_high")
        if self.z_low is not None and self.z_high is not None and self.z_low >= self.z_high:
            raise ValueError("z_low must be below z_high")
        problem = bounds_problem(self)
        if problem:
            raise ValueError(problem)
        return self


#: (lower, upper, whether they may be equal): the warn band lies inside the alarm band, each low below each high
BOUND_ORDER = (
    ("alarm_low", "warn_low", True),
    ("warn_high", "alarm_high", True),
    ("warn_low", "warn_high", False),
    ("alarm_low", "alarm_high", False),
    ("warn_low", "alarm_high", False),
    ("alarm_low", "warn_high", False),
)


def bounds_problem(options: PanelOptions) -> str:
    """What is wrong with the warn / alarm bounds of ``options``, or "" when they make sense."""
    given = {name: getattr(options, name) for name in ("warn_low", "warn_high", "alarm_low", "alarm_high")}
    for name, value in given.items():
        if value is not None and not math.isfinite(value):
            return f"{name.replace('_', ' ')} must be a finite number"
    for low, high, may_equal in BOUND_ORDER:
        a, b = given[low], given[high]
        if a is None or b is None or a < b or (may_equal and a == b):
            continue
        if may_equal:
            return f"the warn bounds must lie within the alarm bounds: {_bound(low, a)} is above {_bound(high, b)}"
        return f"{_bound(low, a)} must be below {_bound(high, b)}"
    return ""


def _bound(name: str, value: float) -> str:
    return f"{name.replace('_', ' ')} ({value:g})"


class GridPosition(_Strict):
    x: Annotated[int, Field(ge=0, lt=GRID_COLUMNS)] = 0
    y: Annotated[int, Field(ge=0, le=10_000)] = 0
    w: Annotated[int, Field(ge=1, le=GRID_COLUMNS)] = 4
    h: Annotated[int, Field(ge=1, le=40)] = 4


class PanelSpec(_Strict):
    """One chart. ``observables`` are the y values (one for most types, several for a table); ``x`` is the
    optional x of a line or scatter panel, another 1D observable of the same run."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    type: ChartType
    title: Annotated[str, Field(max_length=200)] = ""
    observables: Annotated[list[ObservableName], Field(min_length=1, max_length=MAX_OBSERVABLES)]
    x: ObservableName | None = None
    options: PanelOptions = PanelOptions()
    layout: GridPosition = GridPosition()

    @model_validator(mode="after")
    def _check_arity(self) -> PanelSpec:
        if self.type != "table" and len(self.observables) != 1:
            raise ValueError(f"a {self.type} panel shows exactly one observable")
        if self.x is not None and self.type not in ("line", "scatter", "correlation"):
            raise ValueError("only line, scatter and correlation panels have an x observable")
        if self.type == "correlation" and self.x is None:
            raise ValueError("a correlation panel needs an x observable (a scalar)")
        if self.layout.x + self.layout.w > GRID_COLUMNS:
            raise ValueError(f"panel {self.id} reaches past column {GRID_COLUMNS}")
        return self


class DashboardSpec(_Strict):
    """The saved content of a dashboard."""

    panels: Annotated[list[PanelSpec], Field(max_length=MAX_PANELS)] = []
    #: a run pinned for comparison, drawn over line and histogram panels and beside or subtracted from images
    reference_run: Annotated[int, Field(ge=0, lt=INT32_LIMIT)] | None = None

    @model_validator(mode="after")
    def _check_ids(self) -> DashboardSpec:
        ids = [panel.id for panel in self.panels]
        if len(ids) != len(set(ids)):
            raise ValueError("panel ids must be unique")
        return self

    def panel(self, panel_id: str) -> PanelSpec | None:
        return next((p for p in self.panels if p.id == panel_id), None)


class DashboardExport(_Strict):
    """A dashboard as a file: what export writes and import accepts."""

    format: Literal["alpaca-dash/dashboard"] = "alpaca-dash/dashboard"
    schema_version: Literal[1] = 1
    title: Annotated[str, Field(min_length=1, max_length=200)]
    spec: DashboardSpec


class DashboardFileError(ValueError):
    """An imported dashboard file is too big, not JSON, or does not match the schema."""


def new_panel_id() -> str:
    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")


def parse_import(raw: bytes) -> DashboardExport:
    """Validate an uploaded dashboard file.

    :raises DashboardFileError: when it is larger than 256 kB, not UTF-8 JSON, or does not match the schema.
    """
    if len(raw) > MAX_IMPORT_BYTES:
        raise DashboardFileError(f"the file has {len(raw)} bytes; at most {MAX_IMPORT_BYTES} are accepted")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DashboardFileError(f"not a JSON file: {exc}") from None
    try:
        return DashboardExport.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise DashboardFileError(f"not a valid dashboard: {problems}") from None


def render_export(title: str, spec: DashboardSpec) -> bytes:
    return DashboardExport(title=title, spec=spec).model_dump_json(indent=2).encode()
