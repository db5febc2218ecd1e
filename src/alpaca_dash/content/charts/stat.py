"""The stat panel: one big number with its unit, coloured by its warn / alarm bounds as its badge is."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Annotated, Any

from pydantic import Field

from alpaca_dash.content.alarms import Level, classify_level
from alpaca_dash.content.charts.common import Option
from alpaca_dash.content.data import NoData, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import values_csv
from alpaca_dash.content.options import BOUND_NAMES, BoundedOptions, Unit
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind

DEFAULT_COLOR = "#5470c6"
#: a unit that is a power of ten, as ALPACA names counts in millions or 1e7 particles
POWER_OF_TEN = re.compile(r"^1[eE]([+-]?\d+)$")
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def unit_text(unit: str) -> str:
    """The unit as shown after a number: ``1e7`` as a factor, times ten to the 7 in superscript (``2.98 1e7`` reads
    as two numbers)."""
    power = POWER_OF_TEN.match(unit.strip())
    if power is None:
        return unit
    return "\N{MULTIPLICATION SIGN} 10" + str(int(power.group(1))).translate(SUPERSCRIPTS)


def format_value(value: float | int | bool, decimals: int | None) -> str:
    """The value as shown: booleans as yes/no, integers whole, floats to ``decimals`` or 4 significant digits, and
    no minus sign on a value that rounds to zero."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:d}"
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    text = f"{value:.{decimals}f}" if decimals is not None else f"{value:.4g}"
    # -0.0001 to 3 decimals is "-0.000": a sign on a shown zero is noise
    return text[1:] if text.startswith("-") and float(text) == 0 else text


#: the colour of a stat's number at each level of its warn / alarm bounds: the same judgement as its badge
LEVEL_FILL: dict[str, str] = {"ok": "#2e7d32", "warn": "#ef6c00", "alarm": "#d32f2f"}
#: colours that said "alarm" when stats had thresholds of their own
RED = frozenset({"red", "#f00", "#ff0000", "#d32f2f", "#c62828", "#b71c1c", "darkred", "crimson"})


def build_stat_option(
    value: float | int | bool,
    *,
    unit: str = "",
    level: Level | None = None,
    decimals: int | None = None,
    caption: str = "",
) -> Option:
    """An ECharts option drawing the value as large centred text (a graphic, no axes), coloured by the ``level``
    its warn / alarm bounds give it (the default colour without bounds)."""
    text = format_value(value, decimals)
    color = DEFAULT_COLOR if level is None else LEVEL_FILL[level]
    elements: list[Option] = [
        {
            "type": "text",
            "left": "center",
            "top": "middle",
            "style": {
                "text": f"{text} {unit_text(unit)}".strip(),
                "fontSize": 36,
                "fontWeight": "bold",
                "fill": color,
            },
        }
    ]
    if caption:
        elements.append(
            {"type": "text", "left": "center", "bottom": 6, "style": {"text": caption, "fontSize": 11, "fill": "#888"}}
        )
    return {"animation": False, "graphic": {"elements": elements}, "series": []}


def in_level(content: PanelContent, level: Level | None) -> PanelContent:
    """A stat's content with its number in the colour of ``level``, the level its badge shows (a stored check's
    state where a check judged the observable, else the panel's bounds): number and badge never disagree."""
    if content.option is None or "graphic" not in content.option:
        return content
    number, *rest = content.option["graphic"]["elements"]
    fill = DEFAULT_COLOR if level is None else LEVEL_FILL[level]
    number = {**number, "style": {**number["style"], "fill": fill}}
    return replace(content, option={**content.option, "graphic": {"elements": [number, *rest]}})


Decimals = Annotated[int, Field(ge=0, le=12)]


class StatOptions(BoundedOptions):
    """A stat's number is coloured by its warn / alarm bounds, the one setting its badge also reads."""

    unit: Unit = ""
    decimals: Decimals | None = None


def migrate_thresholds(options: dict[str, Any]) -> dict[str, Any]:
    """Options saved when a stat had colour thresholds besides its bounds, with the thresholds made bounds: the
    lowest threshold becomes the warn bound above which the value is too high and the next the alarm bound (a lone
    red threshold the alarm bound); thresholds are dropped where bounds were set (the badge followed those)."""
    legacy = options.get("thresholds")
    rest = {k: v for k, v in options.items() if k != "thresholds"}
    if not isinstance(legacy, list) or not legacy or any(rest.get(name) is not None for name in BOUND_NAMES):
        return rest
    found = sorted((float(t["value"]), str(t.get("color", ""))) for t in legacy if isinstance(t, dict) and "value" in t)
    if len(found) == 1:
        return {**rest, "alarm_high" if found[0][1].lower() in RED else "warn_high": found[0][0]}
    if len(found) >= 2:
        return {**rest, "warn_high": found[0][0], "alarm_high": found[1][0]}
    return rest


def load_stat(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    options = spec.options_as(StatOptions)
    observable = data.observables(spec.observables)[spec.observables[0]]
    scalar = data.value(observable, target.run).item()
    if isinstance(scalar, float) and math.isnan(scalar):
        raise NoData("No data for this run (NaN)")
    unit = options.unit or observable.unit or ""
    caption = ""
    if target.compared is not None:
        other = data.other_run_value(observable, target.compared)
        caption = reference_caption(scalar, None if other is None else other.item(), target.compared, options.decimals)
    level = classify_level(float(scalar), options) if options.has_bounds() else None
    option = build_stat_option(scalar, unit=unit, level=level, decimals=options.decimals, caption=caption)
    return PanelContent("ready", option, value=float(scalar))


def difference_text(value: float | int | bool, reference: float | int | bool | None, decimals: int | None) -> str:
    """``Δ +0.05 (+4.2%)``: the value minus the reference, and that as a percentage of the reference ("" when
    either is missing or not a number; no percentage of a zero reference)."""
    if reference is None or isinstance(value, bool) or isinstance(reference, bool):
        return ""
    whole = isinstance(value, int) and isinstance(reference, int)
    delta: float | int = int(value) - int(reference) if whole else float(value) - float(reference)
    if not math.isfinite(delta):
        return ""
    text = f"Δ {'+' if delta > 0 else ''}{format_value(delta, decimals)}"
    if float(reference) != 0:
        text += f" ({100 * delta / abs(float(reference)):+.1f}%)"
    return text


def reference_caption(
    value: float | int | bool, reference: float | int | bool | None, run: int, decimals: int | None
) -> str:
    """The line under a stat compared with a reference run: its value there and the difference."""
    if reference is None or (isinstance(reference, float) and math.isnan(reference)):
        return f"reference {run}: no value"
    parts = [f"reference {run}: {format_value(reference, decimals)}", difference_text(value, reference, decimals)]
    return " · ".join(part for part in parts if part)


CHART = ChartType(
    "stat",
    "Stat (value)",
    (ObservableKind.SCALAR,),
    (3, 3),
    StatOptions,
    load_stat,
    takes_reference=True,
    download=values_csv,
    legacy=migrate_thresholds,
)
