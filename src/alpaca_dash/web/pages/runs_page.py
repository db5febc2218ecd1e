"""The newest runs, refreshed as they arrive."""

from __future__ import annotations

from nicegui import run, ui

from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess

COLUMNS = [
    {"name": "run", "label": "Run", "field": "run", "sortable": True, "align": "left"},
    {"name": "start", "label": "Start", "field": "start", "align": "left"},
    {"name": "end", "label": "End", "field": "end", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "observables", "label": "Observables", "field": "observables"},
    {"name": "errors", "label": "Errors", "field": "errors"},
    {"name": "source", "label": "Source", "field": "source", "align": "left"},
]


def _rows(access: DataAccess) -> list[dict[str, object]]:
    return [
        {
            "run": r.run,
            "start": r.start.isoformat(timespec="seconds") if r.start else "",
            "end": r.end.isoformat(timespec="seconds") if r.end else "",
            "status": r.status,
            "observables": r.observable_count,
            "errors": r.error_count,
            "source": r.source,
        }
        for r in run_queries.list_runs(access, limit=50)
    ]


def register(access: DataAccess) -> None:
    @ui.page("/")
    async def runs_index() -> None:
        ui.label("Alpaca Dashboard: newest runs").classes("text-h5")
        table = ui.table(columns=COLUMNS, rows=await run.io_bound(_rows, access), row_key="run").classes("w-full")

        async def refresh() -> None:
            table.rows = await run.io_bound(_rows, access)

        ui.timer(2.0, refresh)
