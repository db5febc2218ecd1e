"""The dashboard page: top bar with the run selector, the grid of panels, the observable tree on the right."""

from __future__ import annotations

from functools import partial
from typing import Any

from nicegui import Client, background_tasks, ui
from nicegui.events import ValueChangeEventArguments

from alpaca_dash.content.across_runs import resolve_runs
from alpaca_dash.content.spec import render_export
from alpaca_dash.content.value_cache import ValueCache
from alpaca_dash.domain import Run, RunStatus
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries import runs as run_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.web.assets import add_dashboard_assets
from alpaca_dash.web.auth import require_user
from alpaca_dash.web.dashboard.data_download import DataDownload
from alpaca_dash.web.dashboard.keys import DashboardKeys
from alpaca_dash.web.dashboard.range_picker import RangePicker, check_runs_text
from alpaca_dash.web.dashboard.run_bar import RunBar, parse_run, run_caption
from alpaca_dash.web.dashboard.run_context import RunContext
from alpaca_dash.web.dashboard.shared_contents import SharedContents
from alpaca_dash.web.dashboard.shown import DashboardState, ShownRun
from alpaca_dash.web.dashboard.tree_drawer import ObservableTree
from alpaca_dash.web.dashboard.versions_dialog import open_versions
from alpaca_dash.web.dashboard.view import DashboardView
from alpaca_dash.web.image_cache import ImageCache
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.pages.dashboards_page import export_filename
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread


async def resolve_initial_run(access: DataAccess, asked: str | None) -> tuple[Run | None, str]:
    """The run to show first (the URL's, else the newest) and a message when the URL's run does not exist."""
    wanted = parse_run(asked)
    if wanted is not None:
        found = await in_thread(run_queries.get_run, access, wanted)
        if found is not None and found.status == RunStatus.INGESTED:
            return found, ""
    newest = await in_thread(run_queries.latest_run, access)
    newest_run = None if newest is None else await in_thread(run_queries.get_run, access, newest)
    if asked is None:
        return newest_run, "" if newest is not None else "No runs have been ingested yet."
    shown = f"showing the newest, {newest}" if newest is not None else "and no runs are ingested yet"
    return newest_run, f"Run {asked} does not exist; {shown}."


async def browser_zone(client: Client, context: RunContext) -> None:
    """Ask the browser for its time zone, for the local times of the run context."""
    try:
        zone = await client.run_javascript("alpaca.timeZone()", timeout=5)
    except TimeoutError:
        return
    await context.set_zone(zone if isinstance(zone, str) else None)


def is_on(flag: str | None) -> bool:
    """A URL flag such as ``&live=1`` or ``&kiosk=true``."""
    return flag is not None and flag.strip().lower() in ("1", "true", "yes", "on")


def register(
    access: DataAccess,
    images: ImageCache,
    values: ValueCache,
    live_runs: LiveRuns | None = None,
    shared: SharedContents | None = None,
) -> None:
    @ui.page("/dashboard/{dashboard_id}")
    async def dashboard_page(
        dashboard_id: int,
        run: str | None = None,
        theme: str | None = None,
        live: str | None = None,
        kiosk: str | None = None,
        runs: str | None = None,
        reference: str | None = None,
    ) -> None:
        user = await require_user(access)
        if user is None:
            return
        found = await in_thread(store.get_dashboard, access, dashboard_id, user.id)
        if found is None:
            with frame("Not found", user, theme=theme):
                ui.label("This dashboard does not exist or belongs to someone else.").classes("text-negative")
                ui.link("Back to your dashboards", "/")
            return
        live_mode, kiosk_mode = is_on(live), is_on(kiosk)
        runs_text, runs_message = check_runs_text(runs, max_runs=access.settings.max_range)
        initial, message = await resolve_initial_run(access, None if live_mode else run)
        shown = None if initial is None else ShownRun(initial.run, initial.ingested_at)
        state = DashboardState(
            dashboard_id, shown, live=live_mode, kiosk=kiosk_mode, runs_text=runs_text, reference=parse_run(reference)
        )
        add_dashboard_assets()
        view = DashboardView(access, user, found, state, images=images, values=values, shared=shared)
        trees: list[ObservableTree] = []

        async def build_tree(event: ValueChangeEventArguments[Any]) -> None:
            # built when the drawer first opens, a level at a time; read again as runs bring new observables
            if event.value and not trees:
                with tree_box:
                    trees.append(ObservableTree(access, view.open_new))
                await trees[0].load()

        async def follow_registry(_: int) -> None:
            if trees and drawer.value:
                await trees[0].refresh()

        with ui.right_drawer(value=False, fixed=False).props("width=380 bordered") as drawer:
            ui.label("Observables").classes("text-h6")
            tree_box = ui.column().classes("w-full gap-1")
        drawer.on_value_change(build_tree)
        if live_runs is not None:
            live_runs.subscribe(ui.context.client, follow_registry)

        async def export() -> None:
            ui.download.content(render_export(view.dashboard.title, view.spec), export_filename(view.dashboard.title))

        data_download = DataDownload(access, ui.element("div"), images, user.id)

        async def download_data() -> None:
            names = list(dict.fromkeys(n for p in view.spec.panels for n in [*p.observables, *([p.x] if p.x else [])]))
            runs = resolve_runs(view.state.runs_text, view.run, max_runs=access.settings.max_range)
            await data_download.open(names, runs)

        caption: ui.label | None = None  # kiosk mode: a wall screen still says which run it shows

        def show_run(shown: Run) -> None:
            context.show(shown)
            if caption is not None:
                caption.set_text(run_caption(shown, live=bool(run_bar.live.value)))

        with frame(found.title, user, theme=theme, kiosk=kiosk_mode, live_runs=live_runs):
            with ui.row().classes("items-center w-full gap-2") as top_bar:
                top_bar.set_visibility(not kiosk_mode)
                run_bar = RunBar(access, view.set_run, live=live_mode, on_live=view.set_live, on_shown=show_run)
                picker = RangePicker(runs_text, access.settings.max_range, view.set_runs)
                picker.message.set_text(runs_message)
                ui.space()
                view.add_version_label()
                view.alarms.add_summary()
                if view.dialog is not None:
                    ui.button("Add panel", icon="add", on_click=lambda: view.open_new(None)).props("outline")
                ui.button("Observables", icon="account_tree", on_click=drawer.toggle).props("outline").mark(
                    "toggle-observables"
                )
                with ui.button(icon="more_vert").props("flat round"), ui.menu():
                    ui.menu_item("Export JSON", on_click=export).mark("export")
                    ui.menu_item("Download data (Parquet)…", on_click=download_data).mark("export-data")
                    if view.can_edit:
                        ui.menu_item("Versions…", on_click=lambda: open_versions(access, view)).mark("versions")
                        ui.menu_item("Pin this run as reference", on_click=lambda: view.set_reference(view.run)).mark(
                            "pin-reference"
                        )
                        ui.menu_item("Clear the reference run", on_click=lambda: view.set_reference(None)).mark(
                            "clear-reference"
                        )
            if kiosk_mode:  # the bar is hidden
                caption = ui.label().classes("text-h6 q-px-sm").mark("run-caption")
            context = RunContext(access, user, details=not kiosk_mode, on_changed=show_run)
            DashboardKeys(
                previous=run_bar.previous,
                next_run=run_bar.next,
                toggle_live=lambda: run_bar.live.set_value(not run_bar.live.value),
                pin=(lambda: view.set_reference(view.run)) if view.can_edit else None,
            )
            view.place_grid(go_to_run=partial(run_bar.go_to, by_hand=True)).classes("w-full panel-grid-frame")
            if not found.spec.panels:
                hint = (
                    "Add a panel, or pick an observable in the tree." if view.can_edit else "This dashboard is empty."
                )
                ui.label(hint).classes("text-grey")

        run_bar.show_first(initial, message)
        view.prefetch()
        await ui.context.client.connected()
        background_tasks.create(browser_zone(ui.context.client, context), name="browser time zone")
        if live_runs is not None:
            live_runs.subscribe(ui.context.client, run_bar.follow)

            async def recover() -> None:  # the database is back: panels may show errors, runs may have been missed
                await (run_bar.latest() if view.state.live else view.refresh_all())

            live_runs.subscribe_recovery(ui.context.client, recover)
        await view.start()
