"""What a dashboard is made of, as validated data: panels, their options and grid positions.

The same models check what the editor saves and what a user imports, with bounded sizes everywhere. A panel's
``options`` are the options model of its chart type (``content.registry``); dashboards saved before chart types had
their own models carried every option of every type, and those that do not concern a panel's type are dropped on load.
"""

from __future__ import annotations

import builtins
import json
import secrets
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, SerializeAsAny, ValidationError, model_validator

from alpaca_dash.content.options import ChartOptions, Strict
from alpaca_dash.content.registry import chart_type
from alpaca_dash.domain import INT32_LIMIT

GRID_COLUMNS = 12
MAX_PANELS = 48
MAX_OBSERVABLES = 24
MAX_IMPORT_BYTES = 256 * 1024
Options = TypeVar("Options", bound=ChartOptions)
ObservableName = Annotated[str, Field(min_length=1, max_length=500)]
#: every option of the one options model all chart types shared before each had its own (dashboards saved then
#: carry all of them, defaults included); dropped on load where the panel's type has no such option
SHARED_OPTIONS_OF_OLD = frozenset(
    "unit decimals thresholds bins bin_width log_y colormap z_mode z_low z_high percentile_low percentile_high log_z "
    "colorbar reference_view statistic trend_x hide_bad warn_low warn_high alarm_low alarm_high".split()
)


class GridPosition(Strict):
    x: Annotated[int, Field(ge=0, lt=GRID_COLUMNS)] = 0
    y: Annotated[int, Field(ge=0, le=10_000)] = 0
    w: Annotated[int, Field(ge=1, le=GRID_COLUMNS)] = 4
    h: Annotated[int, Field(ge=1, le=40)] = 4


class PanelSpec(Strict):
    """One chart. ``observables`` are the y values (one for most types, several for a table); ``x`` is the
    optional x of the types that have one (``ChartType.x``), another observable of the same run."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    type: Annotated[str, Field(max_length=40)]
    title: Annotated[str, Field(max_length=200)] = ""
    observables: Annotated[list[ObservableName], Field(min_length=1, max_length=MAX_OBSERVABLES)]
    x: ObservableName | None = None
    options: SerializeAsAny[ChartOptions] = ChartOptions()
    layout: GridPosition = GridPosition()
    #: this panel's reference run, in place of the dashboard's (chart types that take one)
    reference_run: Annotated[int, Field(ge=0, lt=INT32_LIMIT)] | None = None

    def options_as(self, model: builtins.type[Options]) -> Options:
        """The options, as the chart type's model they are (checked when the spec was made)."""
        if not isinstance(self.options, model):
            raise TypeError(f"panel {self.id} has {type(self.options).__name__}, not {model.__name__}")
        return self.options

    def reference_for(self, dashboard_reference: int | None) -> int | None:
        """The reference run this panel draws: its own, else the dashboard's."""
        return dashboard_reference if self.reference_run is None else self.reference_run

    def follows_run_range(self) -> bool:
        """Whether what it draws depends on the dashboard's run range: panels across runs, and overlays of the
        range's runs with a tag or the good flag."""
        overlay = getattr(self.options, "overlay", None)
        return chart_type(self.type).across_runs or getattr(overlay, "mode", None) in ("tagged", "good")

    @model_validator(mode="before")
    @classmethod
    def _typed_options(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return data
        chart = chart_type(data["type"])
        model = chart.options
        raw = data.get("options")
        if isinstance(raw, model):
            return data
        if raw is None:
            return {**data, "options": model()}
        given = raw.model_dump() if isinstance(raw, ChartOptions) else raw
        if isinstance(given, dict):
            given = chart.legacy(given) if chart.legacy is not None else given
            given = {k: v for k, v in given.items() if k in model.model_fields or k not in SHARED_OPTIONS_OF_OLD}
        try:
            return {**data, "options": model.model_validate(given)}
        except ValidationError as exc:  # said as the panel's own problem, where the options are
            raise ValueError(options_problem(exc)) from None

    @model_validator(mode="after")
    def _check_arity(self) -> PanelSpec:
        chart = chart_type(self.type)
        if not chart.many and len(self.observables) != 1:
            raise ValueError(f"a {self.type} panel shows exactly one observable")
        if self.x is not None and chart.x is None:
            raise ValueError(f"a {self.type} panel has no x observable")
        if chart.x is not None and chart.x.required and self.x is None:
            raise ValueError(f"a {self.type} panel needs an x observable ({chart.x.kind.value})")
        if self.reference_run is not None and not chart.takes_reference:
            raise ValueError(f"a {self.type} panel draws no reference run")
        if self.layout.x + self.layout.w > GRID_COLUMNS:
            raise ValueError(f"panel {self.id} reaches past column {GRID_COLUMNS}")
        return self


def options_problem(exc: ValidationError) -> str:
    """The first problem of a chart type's options, as a person reads it: ``options.bins: ...``."""
    error = exc.errors()[0]
    where = ".".join(["options", *(str(p) for p in error["loc"])])
    return f"{where}: {str(error['msg']).removeprefix('Value error, ')}"


class DashboardSpec(Strict):
    """The saved content of a dashboard."""

    panels: Annotated[list[PanelSpec], Field(max_length=MAX_PANELS)] = Field(default_factory=list)
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


class DashboardExport(Strict):
    """A dashboard as a file: what export writes and import accepts."""

    format: Literal["alpaca-dash/dashboard"] = "alpaca-dash/dashboard"
    schema_version: Literal[1] = 1
    title: Annotated[str, Field(min_length=1, max_length=200)]
    spec: DashboardSpec


class DashboardFileError(ValueError):
    """An imported dashboard file is too big, not JSON, or does not match the schema."""


def new_panel_id() -> str:
    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")


#: digits of an integer in an imported file: run numbers and sizes have at most ten
MAX_INT_DIGITS = 20


def _no_constant(name: str) -> Any:
    raise DashboardFileError(f"{name} is not a number this file may hold: write a finite number")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise DashboardFileError(f"a number of {len(text)} digits is too long: at most {MAX_INT_DIGITS}")
    return int(text)


def _holds_nul(data: Any) -> bool:
    """Whether any string (key or value) in the parsed JSON holds NUL; iterative, so depth costs no stack."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def parse_import(raw: bytes) -> DashboardExport:
    """Validate an uploaded dashboard file.

    :raises DashboardFileError: when it is larger than 256 kB, not UTF-8 JSON, holds NaN, an infinity, a NUL or an
        integer of more than 20 digits, or does not match the schema.
    """
    if len(raw) > MAX_IMPORT_BYTES:
        raise DashboardFileError(f"the file has {len(raw)} bytes; at most {MAX_IMPORT_BYTES} are accepted")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_int=_bounded_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DashboardFileError(f"not a JSON file: {exc}") from None
    if _holds_nul(data):
        raise DashboardFileError("the file holds a NUL character, which no title, name or option may contain")
    try:
        return DashboardExport.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise DashboardFileError(f"not a valid dashboard: {problems}") from None


def render_export(title: str, spec: DashboardSpec) -> bytes:
    return DashboardExport(title=title, spec=spec).model_dump_json(indent=2).encode()
