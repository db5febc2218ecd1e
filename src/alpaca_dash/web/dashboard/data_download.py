"""The dashboard's data download: the user picks observables (the panels' by default) and runs, sees the estimated
size before it starts, watches it run in the background with a cancel button, and gets the Parquet file when done.

One observable image panel over 200 runs used to export every observable of every panel, 808 MB in 25 s, without a
word; now nothing starts without the user seeing what it will cost, and above ``max_download_bytes`` nothing does.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from nicegui import background_tasks, ui

from alpaca_dash.domain import Observable
from alpaca_dash.export import ExportCancelled, ExportSummary, estimate_export_bytes, export_parquet
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.run_range import RunRange, RunRangeError, parse_run_range
from alpaca_dash.web.dashboard.observable_select import ObservableSelect
from alpaca_dash.web.image_cache import ImageCache, PanelFile
from alpaca_dash.web.routes import download_url
from alpaca_dash.web.threads import in_thread

log = logging.getLogger(__name__)
#: seconds a finished file waits for its download before it is removed
KEEP_SECONDS = 600
PARQUET = "application/vnd.apache.parquet"


def human_bytes(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} GB"


class DataDownload:
    """One dialog per page, built when first opened."""

    def __init__(self, access: DataAccess, anchor: ui.element, files: ImageCache, user_id: int) -> None:
        self.access = access
        self.anchor = anchor
        self.files = files
        self.user_id = user_id
        self.built = False
        self.cancel = threading.Event()
        self.running = False
        self.done_runs = 0
        self.total_runs = 0

    def _build(self) -> None:
        if self.built:
            return
        self.built = True
        with self.anchor, ui.dialog() as self.dialog, ui.card().classes("w-[36rem] max-w-full"):
            ui.label("Download data (Parquet)").classes("text-h6")
            self.observables = ObservableSelect(self.access, "Observables", multiple=True, on_change=self._estimate)
            self.observables.mark("download-observables").select.props("use-chips")
            self.runs = ui.input("Runs (a-b)", on_change=self._estimate).props("debounce=300").classes("w-full")
            self.runs.mark("download-runs")
            self.estimate = ui.label().classes("text-caption").mark("download-estimate")
            self.progress = ui.linear_progress(value=0, show_value=False).mark("download-progress")
            self.progress.set_visibility(False)
            self.status = ui.label().classes("text-caption").mark("download-status")
            with ui.row().classes("w-full justify-end"):
                ui.button("Close", on_click=self.dialog.close).props("flat")
                self.stop = ui.button("Cancel", on_click=self.cancel.set).props("flat color=negative")
                self.stop.mark("download-cancel").set_visibility(False)
                self.start = ui.button("Start", on_click=self._start).mark("download-start")
            self.timer = ui.timer(0.5, self._show_progress, active=False)

    async def open(self, observables: list[str], runs: RunRange) -> None:
        """Open with the panels' ``observables`` and the trend range ``runs`` chosen."""
        self._build()
        await self.observables.choose(observables)
        self.runs.set_value(str(runs))
        self.status.set_text("")
        self.dialog.open()
        await self._estimate()

    def _range(self) -> RunRange:
        """:raises RunRangeError: for text that is not a range within the limit."""
        return parse_run_range(self.runs.value or "", max_runs=self.access.settings.max_range)

    async def _estimate(self, *_: Any) -> int | None:
        items = self.observables.observables
        try:
            runs = self._range()
        except RunRangeError as exc:
            self.estimate.set_text(str(exc))
            self.start.disable()
            return None
        if not items:
            self.estimate.set_text("Choose at least one observable.")
            self.start.disable()
            return None
        size = await in_thread(estimate_export_bytes, self.access, items, runs.first, runs.last)
        limit = self.access.settings.max_download_bytes
        text = f"About {human_bytes(size)} of values for {len(items)} observables over runs {runs}."
        if size > limit:
            text += f" That is more than the {human_bytes(limit)} a download may be: fewer runs or observables."
        self.estimate.set_text(text)
        self.start.set_enabled(size <= limit and not self.running)
        return size

    async def _start(self) -> None:
        size = await self._estimate()
        if size is None or size > self.access.settings.max_download_bytes or self.running:
            return
        runs, items = self._range(), self.observables.observables
        self.running, self.done_runs, self.total_runs = True, 0, len(runs)
        self.cancel.clear()
        self.start.disable()
        self.stop.set_visibility(True)
        self.progress.set_value(0)
        self.progress.set_visibility(True)
        self.status.set_text("Writing…")
        self.timer.activate()
        background_tasks.create(self._run(items, runs), name="dashboard data download")

    def _counted(self, count: int) -> None:
        if self.cancel.is_set():
            raise ExportCancelled
        self.done_runs += count

    def _show_progress(self) -> None:
        if self.total_runs:
            self.progress.set_value(min(1.0, self.done_runs / self.total_runs))

    def _write(self, items: list[Observable], runs: RunRange) -> tuple[Path, ExportSummary]:
        """The file, in a worker thread; removed again when the export fails or is cancelled."""
        handle, name = tempfile.mkstemp(prefix="alpaca-download-", suffix=".parquet")  # TMPDIR, not the data folder
        os.close(handle)
        path = Path(name)
        try:
            return path, export_parquet(self.access, items, runs.first, runs.last, path, on_runs=self._counted)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    async def _run(self, items: list[Observable], runs: RunRange) -> None:
        try:
            path, summary = await in_thread(self._write, items, runs)
        except ExportCancelled:
            self.status.set_text("Cancelled: nothing was kept.")
        except Exception as exc:
            log.warning("data download of runs %s failed: %s", runs, exc)
            self.status.set_text(f"The download failed: {exc}")
        else:
            self.progress.set_value(1.0)
            self.status.set_text(f"{summary.runs} runs, {human_bytes(summary.bytes_written)}: saving the file.")
            name = f"alpaca-runs-{runs.first}-{runs.last}.parquet"
            token = self.files.put_file(PanelFile(self.user_id, b"", PARQUET, name, path))
            ui.download.from_url(download_url(token), name, PARQUET)
            threading.Timer(KEEP_SECONDS, lambda: path.unlink(missing_ok=True)).start()
        finally:
            self.running = False
            self.timer.deactivate()
            self.stop.set_visibility(False)
            self.start.enable()
