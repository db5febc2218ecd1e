"""P9b: P9's dashboard with a reference run pinned, without and with the difference / ratio plots under its lines
and histogram, alternating (two sites of each), so that what the sub-plots add to a run switch shows beside the same
dashboard without them.

``python -m bench p9b [--write]``.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.line import LineOptions
from alpaca_dash.content.spec import DashboardSpec

from bench.common import Options, Section, format_table, temporary_schema
from bench.p4_dashboard import FIRST_RUN, bench_site, describe_load, kb
from bench.p9_compare import RUNS, SAMPLES, measure, p9_spec, spread

ROUNDS = 2


def reference_spec(*, sub_plots: bool) -> DashboardSpec:
    """P9's dashboard with its first run as the reference; with ``sub_plots``, the lines' difference and the
    histogram's ratio drawn under them."""
    spec = p9_spec()
    panels = []
    for panel in spec.panels:
        options = panel.options
        if sub_plots and isinstance(options, LineOptions):
            options = options.model_copy(update={"reference_plot": "difference"})
        if sub_plots and isinstance(options, HistogramOptions):
            options = options.model_copy(update={"reference_plot": "ratio"})
        panels.append(panel.model_copy(update={"options": options}))
    return spec.model_copy(update={"panels": panels, "reference_run": FIRST_RUN})


def run(options: Options) -> Section:
    target = options.targets[0]
    load_before = os.getloadavg()[0]
    found: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for _ in range(ROUNDS):
        for sub_plots in (False, True):
            with (
                temporary_schema(target.url, "p9b") as url,
                bench_site(url, reference_spec(sub_plots=sub_plots), images=64, samples=SAMPLES, title="P9b",
                           runs=RUNS) as (site, dashboard_id),
            ):  # fmt: skip
                found[sub_plots].append(measure(site, dashboard_id, options.reps))
    load = describe_load(load_before, os.getloadavg()[0])

    def pooled(sub_plots: bool, key: str) -> list[float]:
        return [value for result in found[sub_plots] for value in result[key]]

    def largest(sub_plots: bool) -> str:
        return kb(max(result["largest_ws"] for result in found[sub_plots]))

    switches = {flag: pooled(flag, "switches") for flag in (False, True)}
    clicks = {flag: pooled(flag, "clicks") for flag in (False, True)}
    rows = [
        ["run switch painted (warm)", spread(switches[False]), spread(switches[True]),
         f"{statistics.median(switches[True]) / statistics.median(switches[False]):.2f}x"],
        ["trend point clicked to the dashboard painted at that run (warm)", spread(clicks[False]),
         spread(clicks[True]), f"{statistics.median(clicks[True]) / statistics.median(clicks[False]):.2f}x"],
        ["largest websocket message in them", largest(False), largest(True), ""],
    ]  # fmt: skip
    n = len(switches[False])
    table = format_table(["measure", f"no sub-plot, median of {n}", f"sub-plots, median of {n}", "ratio"], rows)
    body = f"""P9's dashboard (see P9) with run {FIRST_RUN} pinned as the reference, drawn on its 4 overlay panels,
without and with the plots under them: the two lines' difference to the reference and the histogram's ratio (the
scatter has none). {ROUNDS} sites of each, alternating; times as in P9, pooled over the sites. {load}

{table}
"""
    return Section("P9b", "The difference / ratio plots under P9's panels, without and with", body)
