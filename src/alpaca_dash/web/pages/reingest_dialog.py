"""The re-ingest dialog: a bounded run range and a source, queued as a job for the scheduler (never run here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import get_args

from nicegui import ui

from alpaca_dash.config import SourceKind
from alpaca_dash.queries import jobs
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import Role, User
from alpaca_dash.run_range import RunRange, RunRangeError, parse_run_range
from alpaca_dash.web.auth import acting_user
from alpaca_dash.web.threads import in_thread

READ_ONLY = "Viewers cannot start ingest jobs."
SOURCES: tuple[str, ...] = get_args(SourceKind)


def check_request(text: str, source: str, *, max_runs: int) -> RunRange:
    """The range to queue.

    :raises RunRangeError: for a malformed, reversed or too large range, or an unknown source.
    """
    if source not in SOURCES:
        raise RunRangeError(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")
    return parse_run_range(text, max_runs=max_runs)


class ReingestDialog:
    """Opens on ``open()``; calls ``on_queued(job_id)`` once the job is recorded."""

    def __init__(self, access: DataAccess, user: User, on_queued: Callable[[int], Awaitable[None]]) -> None:
        self.access = access
        self.user = user
        self.on_queued = on_queued
        with ui.dialog() as self.dialog, ui.card().classes("w-96"):
            ui.label("Re-ingest runs").classes("text-h6")
            self.range = ui.input("Runs", placeholder="390100-390180").classes("w-full").mark("reingest-range")
            self.source = ui.select(list(SOURCES), value=access.settings.source, label="Source").classes("w-full")
            self.source.mark("reingest-source")
            ui.label(f"At most {access.settings.max_range} runs per job.").classes("text-grey text-sm")
            self.error = ui.label().classes("text-negative")
            with ui.row():
                ui.button("Queue", icon="playlist_add", on_click=self.submit).mark("reingest-queue")
                ui.button("Cancel", on_click=self.dialog.close).props("flat")

    def open(self) -> None:
        self.error.set_text("")
        self.dialog.open()

    async def submit(self) -> None:
        fresh = await acting_user(self.access, Role.EDITOR, page_user=self.user, refusal=READ_ONLY)
        if fresh is None:
            return
        try:
            wanted = check_request(
                self.range.value or "", str(self.source.value), max_runs=self.access.settings.max_range
            )
        except RunRangeError as exc:
            self.error.set_text(str(exc))
            return
        job_id = await in_thread(
            jobs.create_job,
            self.access,
            source=str(self.source.value),
            first_run=wanted.first,
            last_run=wanted.last,
            created_by=fresh.name,
        )
        self.dialog.close()
        ui.notify(f"Job {job_id} queued: runs {wanted}.", type="positive")
        await self.on_queued(job_id)
