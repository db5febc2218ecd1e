"""What the dashboard says about the shown run: its times and duration, good / bad flag, comment, tags, ingest
status and errors, and the e-log link; editors change the flag, comment and tags here. A bad run is marked on the
whole page (in kiosk mode too): a banner above the grid and a red frame around it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nicegui import ui

from alpaca_dash.domain import Run, RunStatus
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import RunEditError
from alpaca_dash.queries.users import User
from alpaca_dash.web.pages.runs_table import split_tags
from alpaca_dash.web.threads import in_thread
from alpaca_dash.web.time_text import utc_text

READ_ONLY = "Viewers cannot change runs."
BAD_PAGE_CLASS = "alpaca-bad-run"


def duration_text(start: datetime | None, end: datetime | None) -> str:
    """``1 h 02 min``, ``4 min 05 s`` or ``12 s``; empty when either end is unknown or they are reversed."""
    if start is None or end is None or end < start:
        return ""
    seconds = int((end - start) / timedelta(seconds=1))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def local_text(when: datetime | None, zone: str | None) -> str:
    """The time in the browser's time zone (``Europe/Zurich``), for the tooltip; UTC when the zone is unknown."""
    if when is None:
        return ""
    try:
        tz = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
    return f"{when.astimezone(tz or UTC):%Y-%m-%d %H:%M:%S} {zone if tz else 'UTC'}"


def times_text(run: Run) -> str:
    """``2026-05-01 12:30:05 → 12:34:10 UTC · 4 min 05 s``: start, end (its date only when another day), length."""
    if run.start is None:
        return "no start time"
    start = utc_text(run.start)
    if run.end is None:
        return f"started {start} UTC"
    end = utc_text(run.end)
    if end[:10] == start[:10]:
        end = end[11:]
    length = duration_text(run.start, run.end)
    return f"{start} → {end} UTC" + (f" · {length}" if length else "")


def ingest_text(run: Run) -> str:
    """``ingested · 3 errors``: the ingest status and the number of observables that failed."""
    errors = f" · {run.error_count} error{'s' if run.error_count != 1 else ''}" if run.error_count else ""
    return f"{run.status}{errors}"


class RunContext:
    """A line under the run bar describing the shown run, the editor dialog, and the bad-run marks."""

    def __init__(
        self,
        access: DataAccess,
        user: User,
        *,
        details: bool = True,
        on_changed: Callable[[Run], None] | None = None,
    ) -> None:
        """:param details: show the line of the run's context (kiosk mode shows only the bad-run marks)."""
        self.access = access
        self.details = details
        self.user = user
        self.on_changed = on_changed
        self.run: Run | None = None
        self.zone: str | None = None
        with ui.row().classes("items-center gap-2 w-full text-body2 run-context") as self.row:
            self.flag = ui.badge("").mark("run-flag")
            self.times = ui.label().classes("text-grey-8").mark("run-times")
            with self.times:
                self.times_tip = ui.tooltip("")
            self.ingest = ui.label().classes("text-grey-8").mark("run-ingest")
            self.tags = ui.row().classes("gap-1").mark("run-tags")
            self.comment = ui.label().classes("run-comment ellipsis").mark("run-comment")
            with self.comment:
                self.comment_tip = ui.tooltip("")
            self.elog = ui.link("e-log", "#", new_tab=True).mark("run-elog")
            if user.can_edit:
                ui.button(icon="edit", on_click=self.open_editor).props("flat dense round size=sm").mark(
                    "run-edit"
                ).tooltip("Change this run's flag, comment and tags")
        self.row.set_visibility(False)
        self.body = ui.query("body")
        self._build_banner()
        self.dialog: ui.dialog | None = None

    def _build_banner(self) -> None:
        with ui.row().classes("w-full items-center gap-2 q-px-md q-py-xs bad-run-banner") as self.banner:
            ui.icon("report", size="sm")
            self.banner_text = ui.label().mark("bad-run-banner")
        self.banner.set_visibility(False)

    def show(self, run: Run) -> None:
        """Describe ``run`` (the one the dashboard now shows)."""
        self.run = run
        self.row.set_visibility(self.details)
        self.flag.set_text("suspect" if run.suspect else "good" if run.good else "bad")
        self.flag.props(f"color={'orange' if run.suspect else 'positive' if run.good else 'negative'}")
        self.times.set_text(times_text(run))
        local = [local_text(when, self.zone) for when in (run.start, run.end) if when is not None]
        self.times_tip.set_text(" → ".join(local) if local else "no times recorded")
        self.ingest.set_text(ingest_text(run))
        self.ingest.classes(replace="text-negative" if run.error_count or run.status != RunStatus.INGESTED else "")
        self.tags.clear()
        with self.tags:
            for tag in run.tags:
                ui.chip(tag, icon="sell").props("dense outline square")
        self.comment.set_text(run.comment)
        self.comment_tip.set_text(run.comment)
        template = self.access.settings.elog_url_template
        self.elog.set_visibility(bool(template))
        if template:
            self.elog.props(f'href="{template.replace("{run}", str(run.run))}"')
        self.banner.set_visibility(not run.good or run.suspect)
        comment = f": {run.comment}" if run.comment else ""
        if run.good and run.suspect:
            self.banner_text.set_text(f"Run {run.run} is suspect: a quality check is in alarm (see /quality)")
        else:
            self.banner_text.set_text(f"Run {run.run} is marked bad{comment}")
        self.body.classes(**{"add" if not run.good else "remove": BAD_PAGE_CLASS})

    async def set_zone(self, zone: str | None) -> None:
        """The browser's time zone, for the local times in the tooltip."""
        self.zone = zone if isinstance(zone, str) and zone else None
        if self.run is not None:
            self.show(self.run)

    def open_editor(self) -> None:
        if self.run is None:
            return
        if self.dialog is None:
            with ui.dialog() as self.dialog, ui.card().classes("w-96"):
                self.dialog_title = ui.label().classes("text-h6")
                self.good = ui.switch("Good run").mark("run-edit-good")
                self.comment_field = ui.textarea("Comment").classes("w-full").mark("run-edit-comment")
                self.tags_field = ui.input("Tags (comma separated)").classes("w-full").mark("run-edit-tags")
                with ui.row().classes("w-full justify-end"):
                    ui.button("Cancel", on_click=self.dialog.close).props("flat")
                    ui.button("Save", on_click=self.save).mark("run-edit-save")
        self.dialog_title.set_text(f"Run {self.run.run}")
        self.good.set_value(self.run.good)
        self.comment_field.set_value(self.run.comment)
        self.tags_field.set_value(", ".join(self.run.tags))
        self.dialog.open()

    async def save(self) -> None:
        """Store the editor's flag, comment and tags, if the user (read fresh: a role taken away applies at once)
        may still change runs."""
        if self.run is None or self.dialog is None:
            return
        fresh = await in_thread(user_queries.get_user, self.access, self.user.id)
        if fresh is None or fresh.disabled or not fresh.can_edit:
            ui.notify(READ_ONLY, type="warning")
            return
        tags = split_tags(self.tags_field.value or "")
        try:
            changed = await in_thread(
                run_queries.update_run_meta,
                self.access,
                self.run.run,
                comment=self.comment_field.value or "",
                tags=tags,
                good=bool(self.good.value),
            )
        except RunEditError as exc:
            ui.notify(str(exc), type="negative")
            return
        self.dialog.close()
        ui.notify(f"Run {changed.run} saved.", type="positive")
        self.show(changed)
        if self.on_changed is not None:
            self.on_changed(changed)
