"""Several runs on one panel: which runs a panel overlays, and how each run's series is drawn and named.

Line, scatter and histogram panels can draw, besides the shown run, the previous N runs, an explicit list of runs,
or the runs of the trend range carrying a tag or the good flag (at most ``MAX_OVERLAY``), and the reference run.
Every run has a legend entry with its number. The shown run is drawn on top, thicker, in ``SHOWN_COLOR``; the
reference is dashed in ``REFERENCE_COLOR``; the others take the colours of Paul Tol's colour-blind-safe "muted"
scheme in turn, and past its nine colours the same colours dashed, then dotted.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, model_validator

from alpaca_dash.content.charts.common import Option
from alpaca_dash.content.data import PanelData, Target
from alpaca_dash.content.options import Strict
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import INT32_LIMIT
from alpaca_dash.types import Array

log = logging.getLogger(__name__)

MAX_OVERLAY = 20
#: Okabe-Ito blue and vermillion: the shown run and the reference, apart from each other and from the overlay runs
SHOWN_COLOR = "#0072b2"
REFERENCE_COLOR = "#d55e00"
#: Paul Tol's "muted" scheme (rose, indigo, sand, green, cyan, wine, teal, olive, purple)
PALETTE = ("#cc6677", "#332288", "#ddcc77", "#117733", "#88ccee", "#882255", "#44aa99", "#999933", "#aa4499")
DASHES = ("solid", "dashed", "dotted")
OverlayMode = Literal["previous", "list", "tagged", "good"]
Role = Literal["shown", "overlay", "reference"]
RunNumber = Annotated[int, Field(ge=0, lt=INT32_LIMIT)]
_PART = re.compile(r"^\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?$")


class OverlayError(ValueError):
    """A list of runs to overlay that is malformed or names more than ``MAX_OVERLAY`` runs."""


def parse_run_list(text: str) -> list[int]:
    """``"390120, 390125-390127"`` to ``[390120, 390125, 390126, 390127]`` (sorted, each run once).

    :raises OverlayError: for a part that is not a run or a range ``a-b``, a reversed range, or more than
        ``MAX_OVERLAY`` runs.
    """
    found: set[int] = set()
    for part in text.split(","):
        if not part.strip():
            continue
        match = _PART.match(part)
        if match is None:
            raise OverlayError(f"{part.strip()!r} is not a run number or a range such as 390125-390127")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        if last < first:
            raise OverlayError(f"reversed range {first}-{last}")
        if last - first + 1 > MAX_OVERLAY:
            raise OverlayError(f"{first}-{last} has {last - first + 1} runs: at most {MAX_OVERLAY} can be overlaid")
        found.update(range(first, last + 1))
        if len(found) > MAX_OVERLAY:
            raise OverlayError(f"{len(found)} runs listed: at most {MAX_OVERLAY} can be overlaid")
    return sorted(found)


def format_run_list(runs: list[int]) -> str:
    """The shortest list ``parse_run_list`` reads back: consecutive runs as ranges."""
    parts: list[str] = []
    for run in sorted(runs):
        if parts and parts[-1].split("-")[-1] == str(run - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{run}"
        else:
            parts.append(str(run))
    return ", ".join(parts)


class Overlay(Strict):
    """Which other runs a panel draws with the shown run.

    :param mode: ``previous``: the ``count`` runs before the shown one (they move with it, in live mode too);
        ``list``: the ``runs`` given; ``tagged``: the runs of the trend range carrying ``tag``; ``good``: the runs
        of the trend range marked good.
    """

    mode: OverlayMode
    count: Annotated[int, Field(ge=1, le=MAX_OVERLAY)] = 5
    runs: Annotated[list[RunNumber], Field(max_length=MAX_OVERLAY)] = Field(default_factory=list)
    tag: Annotated[str, Field(max_length=40)] = ""

    @model_validator(mode="after")
    def _complete(self) -> Overlay:
        if self.mode == "list" and not self.runs:
            raise ValueError("list the runs to overlay, e.g. 390120, 390125-390127")
        if self.mode == "tagged" and not self.tag.strip():
            raise ValueError("name the tag of the runs to overlay")
        return self

    def describe(self) -> str:
        """What the overlay draws, as the panel dialog says it."""
        if self.mode == "previous":
            return f"the previous {self.count} runs"
        if self.mode == "list":
            return f"runs {format_run_list(self.runs)}"
        where = f"tagged {self.tag!r}" if self.mode == "tagged" else "marked good"
        return f"the runs of the trend range {where}"


def overlay_runs(data: PanelData, overlay: Overlay | None, target: Target) -> list[int]:
    """The runs ``overlay`` adds to ``target``'s shown run, newest first, without the shown run and the reference.

    :raises OverlayError: when a tag or the good flag selects more than ``MAX_OVERLAY`` runs of the trend range.
    """
    if overlay is None:
        return []
    if overlay.mode == "previous":
        runs = data.run_numbers(before=target.run, limit=overlay.count)
    elif overlay.mode == "list":
        runs = sorted(overlay.runs, reverse=True)
    else:
        tag = overlay.tag.strip() if overlay.mode == "tagged" else None
        runs = data.run_numbers(
            within=target.runs, tag=tag, good=True if overlay.mode == "good" else None, limit=MAX_OVERLAY + 2
        )
        runs = [run for run in runs if run not in (target.run, target.compared)]
        if len(runs) > MAX_OVERLAY:
            where = f"tagged {tag!r}" if tag else "marked good"
            raise OverlayError(
                f"more than {MAX_OVERLAY} runs of {target.runs or 'all runs'} are {where}: at most {MAX_OVERLAY} "
                "can be overlaid; narrow the trend range"
            )
    return [run for run in runs if run not in (target.run, target.compared)]


@dataclass(frozen=True)
class RunValues:
    """One run drawn on a panel: its y, the x of panels that have one, and its part in the comparison."""

    run: int
    role: Role
    y: Array
    x: Array | None = None

    @property
    def name(self) -> str:
        """Its legend entry."""
        return f"reference {self.run}" if self.role == "reference" else f"run {self.run}"


def other_values(data: PanelData, spec: PanelSpec, run: int) -> tuple[Array, Array | None] | None:
    """Another run's y (and x, for panels that have one), or None when it has none or cannot be read: the panel
    itself is fine then, only that run's series is missing."""
    try:
        found = data.observables([spec.observables[0], *([spec.x] if spec.x else [])])
        y = data.other_run_value(found[spec.observables[0]], run)
        x = data.other_run_value(found[spec.x], run) if spec.x else None
    except Exception as exc:
        log.warning("run %d of panel %s failed: %s", run, spec.id, exc)
        return None
    return None if y is None else (y, x)


def compared_values(data: PanelData, spec: PanelSpec, target: Target, overlay: Overlay | None) -> list[RunValues]:
    """The other runs a panel draws, each read once: the overlay runs (newest first), then the reference."""
    wanted: list[tuple[int, Role]] = [(run, "overlay") for run in overlay_runs(data, overlay, target)]
    if target.compared is not None:
        wanted.append((target.compared, "reference"))
    found = []
    for run, role in wanted:
        values = other_values(data, spec, run)
        if values is not None:
            found.append(RunValues(run, role, *values))
    return found


def style_series(series: Option, values: RunValues, index: int, *, kind: str) -> Option:
    """``series`` named for its run and drawn for its part: the shown run thick and on top, the reference dashed
    in its own colour, overlay run ``index`` in the palette's next colour (and dash, past nine)."""
    if values.role == "shown":
        color, dash, width, z = SHOWN_COLOR, "solid", 2, 4
    elif values.role == "reference":
        color, dash, width, z = REFERENCE_COLOR, "dashed", 2, 3
    else:
        color, dash, width, z = PALETTE[index % len(PALETTE)], DASHES[index // len(PALETTE) % len(DASHES)], 1, 2
    styled: Option = {**series, "name": values.name, "z": z, "itemStyle": {"color": color}}
    if series["type"] == "line":
        styled["lineStyle"] = {"width": width, "type": dash, "color": color}
        styled["emphasis"] = {"focus": "series"}
        if kind == "histogram":
            styled["step"] = "middle"
    elif series["type"] == "bar":
        styled["itemStyle"] = {"color": color, "opacity": 0.55}
    return styled


def with_legend(option: Option) -> Option:
    """``option`` with a legend naming every series (scrolling when there are many), when it draws more than one."""
    names = [series["name"] for series in option.get("series", []) if series.get("name")]
    if len(names) < 2:
        return option
    legend = {"show": True, "type": "scroll", "top": 0, "left": 110, "right": 8, "data": names}
    return {**option, "legend": legend}
