"""The long-running commands: demo, serve and follow. The ingest scheduler they run is started and stopped with
the web application (or, for ``follow``, with the command)."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from alpaca_dash.cli_common import SetupError, echo, fails_cleanly, load_settings, on_command_exit, open_access

if TYPE_CHECKING:
    from alpaca_dash.config import Settings
    from alpaca_dash.pipeline.scheduler import IngestScheduler
    from alpaca_dash.queries.access import DataAccess

DEMO_USER = "demo"
DEMO_PASSWORD = "alpaca-demo"


def continue_simulation(settings: Settings, access: DataAccess) -> Settings:
    """Settings whose simulated source has already finished every run the database holds, so that a restarted demo
    gets a new run every few seconds at once, instead of after catching up with the runs of its last session."""
    from alpaca_dash.queries.runs import latest_run

    if settings.source != "simulated":
        return settings
    newest = latest_run(access)
    finished = 0 if newest is None else newest - settings.simulated_first_run + 1
    if finished <= settings.simulated_history:
        return settings
    return settings.model_copy(update={"simulated_history": finished})


def build_scheduler(settings: Settings, access: DataAccess) -> IngestScheduler:
    """The ingest scheduler (not started): following the configured source, and running queued jobs."""
    from alpaca_dash.alarms.contact_points import contact_points, notify_of
    from alpaca_dash.pipeline.scheduler import IngestScheduler
    from alpaca_dash.sources import open_source

    settings = continue_simulation(settings, access)
    return IngestScheduler(
        access.db,
        access.store,
        open_source(settings, follow=True),
        lambda kind: open_source(settings, kind, follow=False),  # type: ignore[arg-type]
        follow_interval=settings.follow_interval,
        follow_retries=settings.follow_retries,
        contact_points=contact_points(settings),
        notify=notify_of(settings),
    )


def serve_with_scheduler(settings: Settings, access: DataAccess, scheduler: IngestScheduler | None) -> None:
    """Serve the dashboard until interrupted; the scheduler starts with the app and is shut down with it."""
    from alpaca_dash.web.app import serve

    if scheduler is None:
        serve(settings, access)
        return
    on_command_exit(scheduler.shutdown)  # also when the server never got as far as its shutdown hooks
    serve(settings, access, on_startup=scheduler.start, on_shutdown=scheduler.shutdown)


@fails_cleanly
def demo(
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port of the dashboard.")] = None,
) -> None:
    """Everything at once: embedded PostgreSQL (unless a URL is set), simulated runs arriving, and the dashboard."""
    from alpaca_dash.queries import dashboards, users
    from alpaca_dash.queries.demo_dashboard import demo_dashboard_spec
    from alpaca_dash.timescale.embedded import embedded_running, stop_embedded

    settings = load_settings(port=port, source="simulated")
    # the demo stops the embedded server it started; one that was already running is someone else's to stop
    started_embedded = not settings.database_url and not embedded_running(settings.data_dir)
    if started_embedded:
        on_command_exit(lambda: stop_embedded(settings.data_dir))
    access = open_access(settings, migrate=True)
    user = users.find_user(access, DEMO_USER)
    if user is None:
        user = users.create_user(access, DEMO_USER, DEMO_PASSWORD, users.Role.EDITOR)
    else:
        users.set_password(access, DEMO_USER, DEMO_PASSWORD)
    if not dashboards.list_dashboards(access, user.id):
        dashboards.create_dashboard(access, user.id, "Demo", demo_dashboard_spec())
    if settings.database_url:
        stops = "the dashboard and the simulation"
    elif started_embedded:
        stops = "the dashboard, the simulation and the embedded database"
    else:
        stops = "the dashboard and the simulation; the embedded database was already running and keeps running "
        stops += "('alpaca-dash db stop' stops it)"
    echo(
        f"\n[bold]Alpaca Dashboard[/bold] on [link]http://{settings.host}:{settings.port}/[/link]\n"
        f"  login: [bold]{DEMO_USER}[/bold] / [bold]{DEMO_PASSWORD}[/bold]\n"
        f"  database: {access.db.capabilities.describe()}\n"
        f"  a simulated run finishes every {settings.simulated_run_seconds:g} s\n"
        f"  Ctrl-C stops {stops}\n"
    )
    serve_with_scheduler(settings, access, build_scheduler(settings, access))


@fails_cleanly
def serve_command(
    ingest: Annotated[
        bool,
        typer.Option(
            help="Also run the ingest scheduler (follow the source, run queued jobs) in this process. "
            "Scaled-out web instances use --no-ingest beside one 'alpaca-dash follow' worker."
        ),
    ] = True,
) -> None:
    """Serve the dashboard (and, by default, the ingest scheduler in the same process)."""
    settings = load_settings()
    access = open_access(settings, migrate=True)
    use_shared_storage(settings)
    echo(f"Alpaca Dashboard on http://{settings.host}:{settings.port}/")
    serve_with_scheduler(settings, access, build_scheduler(settings, access) if ingest else None)


def use_shared_storage(settings: Settings) -> None:
    """Keep NiceGUI's user and tab storage in Redis, so that any web instance can serve any session."""
    if settings.redis_url:
        import importlib.util

        if importlib.util.find_spec("redis") is None:
            raise SetupError(
                "ALPACA_DASH_REDIS_URL is set but the Redis client is not installed: pip install 'alpaca-dash[redis]'"
            )
        from nicegui.storage import Storage

        Storage.redis_url = settings.redis_url_with_password


@fails_cleanly
def follow() -> None:
    """Only ingest: follow the newest runs and run queued jobs (the worker of a scaled-out deployment)."""
    settings = load_settings()
    access = open_access(settings, migrate=True)
    scheduler = build_scheduler(settings, access)
    on_command_exit(scheduler.shutdown)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scheduler.start()
    echo(f"following the {settings.source} source every {settings.follow_interval:g} s; Ctrl-C stops")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
