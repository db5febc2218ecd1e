"""One run on the quality page: its check results worst first, the editor's good/bad verdict, and the anomaly list
(every observable ranked by its deviation from the recent good runs)."""

from __future__ import annotations

import math
from typing import Any

from nicegui import ui

from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.anomalies import Anomaly, rank_anomalies
from alpaca_dash.queries.quality import ResultRow, list_results
from alpaca_dash.queries.runs import RunEditError, update_run_meta
from alpaca_dash.queries.users import User
from alpaca_dash.web.threads import in_thread

ANOMALIES_SHOWN = 30


def column(name: str, label: str, align: str = "left") -> dict[str, Any]:
    """A table column whose field is its name."""
    return {"name": name, "label": label, "field": name, "align": align}


RESULT_COLUMNS: list[dict[str, Any]] = [
    column("state", "State"),
    column("check", "Check"),
    column("observable", "Observable"),
    column("value", "Value", "right"),
    column("p", "p", "right"),
    column("reference", "Reference", "right"),
    column("message", "Message"),
]
ANOMALY_COLUMNS: list[dict[str, Any]] = [
    column("rank", "#", "right"),
    column("observable", "Observable"),
    column("statistic", "Statistic"),
    column("value", "Value", "right"),
    column("median", "Median of good runs", "right"),
    column("score", "Deviation (sigma)", "right"),
]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def result_row(result: ResultRow) -> dict[str, Any]:
    return {
        "key": result.check,
        "state": result.state.value,
        "check": result.check,
        "observable": result.observable,
        "value": _number(result.value),
        "p": "" if result.p_value is None else f"{result.p_value:.3g}",
        "reference": "" if result.reference_run is None else str(result.reference_run),
        "message": result.message,
    }


def anomaly_row(rank: int, anomaly: Anomaly) -> dict[str, Any]:
    return {
        "rank": rank,
        "observable": anomaly.observable,
        "statistic": anomaly.statistic,
        "value": _number(anomaly.value),
        "median": _number(anomaly.median),
        "score": "inf" if math.isinf(anomaly.score) else f"{anomaly.score:.2f}",
    }


class RunQualityView:
    def __init__(self, access: DataAccess, user: User) -> None:
        self.access = access
        self.user = user
        self.run: int | None = None
        with ui.column().classes("w-full gap-2") as self.box:
            with ui.row().classes("items-center gap-3"):
                self.title = ui.label().classes("text-h6").mark("quality-run-title")
                if user.can_edit:
                    ui.button("Mark good", icon="check", on_click=lambda: self.review(True)).props("outline")
                    ui.button("Mark bad", icon="block", on_click=lambda: self.review(False)).props("outline")
            self.results = ui.table(columns=RESULT_COLUMNS, rows=[], row_key="key").classes("w-full")
            self.results.mark("quality-results")
            ui.label("Anomalies: what changed most against the recent good runs").classes("text-subtitle1")
            self.anomalies = ui.table(columns=ANOMALY_COLUMNS, rows=[], row_key="rank").classes("w-full")
            self.anomalies.mark("quality-anomalies")
        self.box.set_visibility(False)

    async def show(self, run: int) -> None:
        self.run = run
        results = await in_thread(list_results, self.access, run, run)
        anomalies = await in_thread(rank_anomalies, self.access, run, limit=ANOMALIES_SHOWN)
        self.title.set_text(f"Run {run}: {len(results)} checks")
        self.results.rows = [result_row(result) for result in results]
        self.anomalies.rows = [anomaly_row(i + 1, a) for i, a in enumerate(anomalies)]
        self.box.set_visibility(True)

    async def review(self, good: bool) -> None:
        if self.run is None:
            return
        fresh = await in_thread(user_queries.get_user, self.access, self.user.id)
        if fresh is None or fresh.disabled or not fresh.can_edit:  # the role is checked here, not only by the button
            ui.notify("Viewers cannot set a run's flag.", type="warning")
            return
        try:
            await in_thread(update_run_meta, self.access, self.run, good=good)
        except RunEditError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(f"Run {self.run} marked {'good' if good else 'bad'}.", type="positive")
