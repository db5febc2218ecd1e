"""The quality page's runs x checks grid: checks named over their columns, and each cell's tooltip in words."""

from __future__ import annotations

import json
import subprocess

from alpaca_dash.content.quality_grid import build_quality_grid
from alpaca_dash.quality.checks import CheckState
from alpaca_dash.web.assets import static_text


def tooltip(option: dict[str, object], params: dict[str, object]) -> str:
    """The grid's tooltip for ``params`` (as ECharts passes a cell), run by node after the page's ``quality.js``."""
    formatter = option["tooltip"][":formatter"]  # type: ignore[index]
    page = (
        f"globalThis.window = globalThis;\n{static_text('quality.js')}\n"
        f"console.log(({formatter})({json.dumps(params)}))"
    )
    return subprocess.run(["node", "-e", page], capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def test_a_cell_names_its_check_its_run_and_its_state() -> None:
    cells = [(390002, "beam <offset>", CheckState.ALARM), (390001, "beam <offset>", CheckState.OK)]
    option = build_quality_grid([390002, 390001], cells)
    assert option["xAxis"]["data"] == ["beam <offset>"] and option["xAxis"]["axisLabel"].get("show", True)
    text = tooltip(option, {"marker": "", "name": "beam <offset>", "value": [0, 0, 4]})
    assert text == "beam &lt;offset&gt;<br>run 390002: alarm"
    assert tooltip(option, {"marker": "", "name": "beam <offset>", "value": [0, 1, 0]}).endswith("run 390001: ok")
