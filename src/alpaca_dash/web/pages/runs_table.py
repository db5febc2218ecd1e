"""The runs table: filters, rows with the users' comments and tags, and the edit dialog for editors."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from alpaca_dash.domain import Run
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import RunEditError, RunFilter
from alpaca_dash.queries.users import Role, User
from alpaca_dash.run_range import bound_from_field, run_from_field
from alpaca_dash.web.assets import static_text
from alpaca_dash.web.auth import acting_user
from alpaca_dash.web.keyset_pager import KeysetPager
from alpaca_dash.web.threads import in_thread
from alpaca_dash.web.time_text import utc_text

READ_ONLY = "Viewers cannot change runs."
#: rows per page; ``/runs?rows=N`` asks for another size within ``MAX_ROWS``
ROW_LIMIT = 200
MAX_ROWS = 1000
GOOD_CHOICES = {"all": "Good and bad", "good": "Good only", "bad": "Bad only"}

COLUMNS: list[dict[str, Any]] = [
    {"name": "run", "label": "Run", "field": "run", "sortable": True, "align": "left"},
    {"name": "start", "label": "Start (UTC)", "field": "start", "align": "left"},
    {"name": "end", "label": "End (UTC)", "field": "end", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "observables", "label": "Observables", "field": "observables"},
    {"name": "errors", "label": "Errors", "field": "errors"},
    {"name": "good", "label": "Quality", "field": "good", "align": "left"},
    {"name": "comment", "label": "Comment", "field": "comment", "align": "left"},
    {"name": "tags", "label": "Tags", "field": "tags", "align": "left"},
    {"name": "elog", "label": "e-log", "field": "elog", "align": "left"},
    {"name": "source", "label": "Source", "field": "source", "align": "left"},
]


def elog_link(template: str, run: int) -> str:
    """The e-log address of ``run`` from a template such as ``https://elog.example/AEgIS/?run={run}``."""
    return template.replace("{run}", str(run)) if template else ""


def run_row(run: Run, elog_template: str = "") -> dict[str, Any]:
    return {
        "run": run.run,
        "start": utc_text(run.start),
        "end": utc_text(run.end),
        "status": run.status,
        "observables": run.observable_count,
        "errors": run.error_count,
        "good": "suspect" if run.suspect else "good" if run.good else "bad",
        "comment": run.comment,
        "tags": ", ".join(run.tags),
        "elog": elog_link(elog_template, run.run),
        "source": run.source,
    }


def split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.replace(";", ",").split(",") if tag.strip()]


def build_filter(
    first: float | None, last: float | None, good: str, tag: str, text: str, with_errors: bool
) -> RunFilter:
    """The filter the form describes; empty fields filter nothing."""
    return RunFilter(
        first=bound_from_field(first),
        last=bound_from_field(last),
        good={"good": True, "bad": False}.get(good),
        tag=tag.strip() or None,
        text=text.strip(),
        with_errors=with_errors,
    )


class RunsTable:
    """The filter form, the table and, for editors, the editor of one run's comment, tags and quality."""

    def __init__(self, access: DataAccess, user: User, *, rows: int = ROW_LIMIT) -> None:
        self.access = access
        self.user = user
        self.elog_template = access.settings.elog_url_template
        self.page_size = max(1, min(rows, MAX_ROWS))
        with ui.row().classes("items-end gap-2"):
            self.first = ui.number("From run", format="%d", min=0).props("dense outlined").classes("w-32")
            self.last = ui.number("To run", format="%d", min=0).props("dense outlined").classes("w-32")
            self.good = ui.select(GOOD_CHOICES, value="all", label="Quality").props("dense outlined").classes("w-36")
            self.good.mark("runs-quality")
            self.tag = ui.input("Tag").props("dense outlined").classes("w-32")
            self.text = ui.input("Comment contains").props("dense outlined").classes("w-48")
            self.with_errors = ui.checkbox("With errors")
            ui.button("Filter", icon="filter_alt", on_click=self.apply_filter).mark("runs-filter")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="run", selection="multiple")
        self.table.classes("w-full").mark("runs-table")
        self.table.props('no-data-label="No runs to show: none match the filters, or none are ingested yet."')
        self.table.add_slot("body-cell-elog", static_text("elog_cell.html"))
        self.table.add_slot("body-cell-good", static_text("quality_cell.html"))
        self.pager = KeysetPager(self.refresh, "runs")
        if user.can_edit:
            self.table.on("rowClick", lambda e: self.open_editor(int(e.args[1]["run"])))
            with ui.row().classes("items-end gap-2"):
                self.edit_run = ui.number("Run to edit", format="%d", min=0).props("dense outlined").classes("w-32")
                self.edit_run.mark("edit-run")
                ui.button("Edit", icon="edit", on_click=self._edit_typed).mark("edit-run-open")
        self.dialog = self._build_dialog()

    def _build_dialog(self) -> ui.dialog:
        with ui.dialog() as dialog, ui.card().classes("w-96"):
            self.dialog_title = ui.label().classes("text-h6")
            self.comment = ui.textarea("Comment").classes("w-full").mark("run-comment")
            self.tags = ui.input("Tags (comma separated)").classes("w-full").mark("run-tags")
            self.is_good = ui.switch("Good run").mark("run-good")
            with ui.row():
                ui.button("Save", on_click=self.save).mark("run-save")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        self.editing: int | None = None
        return dialog

    def current_filter(self) -> RunFilter:
        return build_filter(
            self.first.value, self.last.value, self.good.value, self.tag.value, self.text.value, self.with_errors.value
        )

    async def refresh(self, _run: object = None) -> None:
        """Show the current page again (a new run shows on the first page; other pages stay where they are)."""
        found = await in_thread(
            run_queries.list_runs,
            self.access,
            limit=self.page_size + 1,
            before=self.pager.before,
            where=self.current_filter(),
        )
        shown = found[: self.page_size]
        self.table.rows = [run_row(run, self.elog_template) for run in shown]
        self.pager.shown([run.run for run in shown], shown[-1].run if len(found) > self.page_size else None)

    async def apply_filter(self) -> None:
        await self.pager.newest()

    async def _edit_typed(self) -> None:
        if self.edit_run.value is not None:
            run = run_from_field(self.edit_run.value)
            if run is None:
                ui.notify(f"Run {self.edit_run.value} does not exist.", type="warning")
                return
            await self.open_editor(run)

    async def open_editor(self, run: int) -> None:
        found = await in_thread(run_queries.get_run, self.access, run)
        if found is None:
            ui.notify(f"Run {run} does not exist.", type="warning")
            return
        self.editing = run
        self.dialog_title.set_text(f"Run {run}")
        self.comment.set_value(found.comment)
        self.tags.set_value(", ".join(found.tags))
        self.is_good.set_value(found.good)
        self.dialog.open()

    async def may_edit(self) -> bool:
        """Whether the signed-in user may change runs, read fresh: a role taken away applies at once."""
        return await acting_user(self.access, Role.EDITOR, page_user=self.user, refusal=READ_ONLY) is not None

    async def save(self) -> None:
        if self.editing is None or not await self.may_edit():
            return
        try:
            await in_thread(
                run_queries.update_run_meta,
                self.access,
                self.editing,
                comment=self.comment.value or "",
                tags=split_tags(self.tags.value or ""),
                good=bool(self.is_good.value),
                by_user=self.user.id,
            )
        except RunEditError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(f"Run {self.editing} saved.", type="positive")
        self.dialog.close()
        await self.refresh()
