"""Ingest jobs: history with live progress (a timer reads the jobs table), cancel, per-observable errors."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from alpaca_dash.domain import Job, JobStatus
from alpaca_dash.queries import jobs
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.errors import IngestError, list_errors
from alpaca_dash.queries.users import Role, User
from alpaca_dash.web.auth import acting_user, require_user
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.pages.reingest_dialog import ReingestDialog
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread
from alpaca_dash.web.time_text import utc_text

REFRESH_SECONDS = 1.0
JOB_LIMIT = 100
ERROR_LIMIT = 500
READ_ONLY = "Viewers cannot cancel jobs."

JOB_COLUMNS: list[dict[str, Any]] = [
    {"name": "id", "label": "Job", "field": "id", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "runs", "label": "Runs", "field": "runs", "align": "left"},
    {"name": "source", "label": "Source", "field": "source", "align": "left"},
    {"name": "progress", "label": "Progress", "field": "progress", "align": "left"},
    {"name": "by", "label": "By", "field": "by", "align": "left"},
    {"name": "created", "label": "Queued (UTC)", "field": "created", "align": "left"},
    {"name": "message", "label": "Message", "field": "message", "align": "left"},
]
ERROR_COLUMNS: list[dict[str, Any]] = [
    {"name": "run", "label": "Run", "field": "run", "align": "left"},
    {"name": "observable", "label": "Observable", "field": "observable", "align": "left"},
    {"name": "message", "label": "Error", "field": "message", "align": "left"},
]


def describe_progress(job: Job) -> str:
    """``done + failed of total``, with a percentage while the job is under way."""
    handled = job.done + job.failed
    share = f" ({100 * handled // job.total}%)" if job.total and job.status == JobStatus.RUNNING else ""
    failed = f", {job.failed} failed" if job.failed else ""
    return f"{handled} of {job.total}{share}{failed}"


def job_row(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status + (" (cancelling)" if job.cancel_requested and job.status == JobStatus.RUNNING else ""),
        "runs": f"{job.first_run}-{job.last_run}",
        "source": job.source,
        "progress": describe_progress(job),
        "by": job.created_by,
        "created": utc_text(job.created_at),
        "message": job.message,
    }


def error_row(error: IngestError) -> dict[str, Any]:
    return {"run": error.run, "observable": error.observable or "(whole run)", "message": error.message}


class JobsView:
    """The jobs table, the cancel control for editors and the errors of a chosen job."""

    def __init__(self, access: DataAccess, user: User) -> None:
        self.access = access
        self.user = user
        with ui.row().classes("items-end gap-2"):
            if user.can_edit:
                dialog = ReingestDialog(access, user, self.show_queued)
                ui.button("Re-ingest…", icon="replay", on_click=dialog.open).mark("reingest-open")
            self.chosen = ui.select({}, label="Job").props("dense outlined").classes("w-40").mark("job-choice")
            if user.can_edit:
                ui.button("Cancel job", icon="cancel", on_click=self.cancel).props("outline").mark("job-cancel")
            ui.button("Show errors", icon="report", on_click=self.show_errors).props("outline").mark("job-errors")
        self.table = ui.table(columns=JOB_COLUMNS, rows=[], row_key="id").classes("w-full").mark("jobs-table")
        self.table.classes("cursor-pointer").tooltip("Click a job to choose it")
        # Quasar's row-click passes (event, row, index): a click on a row chooses its job
        self.table.on("rowClick", lambda e: self.chosen.set_value(e.args[1]["id"]), args=[[], ["id"], []])
        self.table.props('no-data-label="No ingest jobs yet. Re-ingest a range of runs to start one."')
        self.errors_title = ui.label().classes("text-h6")
        self.errors = ui.table(columns=ERROR_COLUMNS, rows=[], row_key="message").classes("w-full")
        self.errors.set_visibility(False)

    async def refresh(self) -> None:
        await in_thread(jobs.fail_dead_cli_jobs, self.access)
        found = await in_thread(jobs.list_jobs, self.access, limit=JOB_LIMIT)
        rows = [job_row(job) for job in found]
        if rows != self.table.rows:
            self.table.rows = rows
        options = {job.id: f"{job.id} ({job.status})" for job in found}
        if options != self.chosen.options:
            self.chosen.set_options(options, value=self.chosen.value if self.chosen.value in options else None)

    async def show_queued(self, job_id: int) -> None:
        """A job was just queued from this page: it is the one Cancel and Show errors act on."""
        await self.refresh()
        self.chosen.set_value(job_id)

    async def cancel(self) -> None:
        job_id = self.chosen.value
        if job_id is None:
            ui.notify("Choose a job first.", type="warning")
            return
        fresh = await acting_user(self.access, Role.EDITOR, page_user=self.user, refusal=READ_ONLY)
        if fresh is None:
            return
        try:
            cancelled = await in_thread(jobs.request_cancel, self.access, int(job_id), by=fresh)
        except jobs.NotYourJob as exc:
            ui.notify(str(exc), type="warning")
            return
        if cancelled:
            ui.notify(f"Job {job_id}: cancellation requested.", type="positive")
        else:
            ui.notify(f"Job {job_id} has already finished.", type="warning")
        await self.refresh()

    async def show_errors(self) -> None:
        job_id = self.chosen.value
        if job_id is None:
            ui.notify("Choose a job first.", type="warning")
            return
        found = await in_thread(list_errors, self.access, job_id=int(job_id), limit=ERROR_LIMIT)
        self.errors_title.set_text(f"Errors of job {job_id}: {len(found)}" + (" (newest)" if len(found) else ""))
        self.errors.rows = [error_row(error) for error in found]
        self.errors.set_visibility(bool(found))


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page("/jobs")
    async def jobs_index(theme: str | None = None) -> None:
        user = await require_user(access)
        if user is None:
            return
        with frame("Ingest jobs", user, theme=theme, live_runs=live_runs):
            view = JobsView(access, user)

            async def tick() -> None:  # not while the banner says the database is unreachable
                if live_runs is None or not live_runs.database_down:
                    await view.refresh()

            # progress comes from the jobs table, which the scheduler updates per run; runs are never polled
            ui.timer(REFRESH_SECONDS, tick)
        await view.refresh()
