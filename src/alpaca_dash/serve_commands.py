"""The long-running commands: demo, serve and follow. The ingest scheduler they run is started and stopped with
the web application (or, for ``follow``, with the command)."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import click

from alpaca_dash.cli_common import SetupError, echo, fails_cleanly, load_settings, on_command_exit, open_access

if TYPE_CHECKING:
    from alpaca_dash.alarms.receiver import Received
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
    return settings.replace(simulated_history=finished)


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


#: every this many simulated runs of the demo breaks its checks (unless ALPACA_DASH_SIMULATED_GLITCH_EVERY says)
DEMO_GLITCH_EVERY = 7


def add_demo_checks(settings: Settings, access: DataAccess) -> int:
    """The demo's quality checks, when none are stored; the first simulated run is stored first, so that their
    observables are known. :returns: how many checks were added."""
    from alpaca_dash.pipeline.ingest import ingest_range
    from alpaca_dash.queries.checks import import_checks, list_checks
    from alpaca_dash.queries.demo_checks import demo_checks
    from alpaca_dash.queries.runs import latest_run
    from alpaca_dash.sources import open_source

    if list_checks(access):
        return 0
    if latest_run(access) is None:
        first = settings.simulated_first_run
        ingest_range(access.db, access.store, open_source(settings, follow=False), first, first)
    return len(import_checks(access, demo_checks()).added)


def print_alarm(message: Received) -> None:
    echo(f"[bold red]webhook received[/bold red] {message.payload.get('text', '')}")


@click.option("--port", type=click.IntRange(1, 65535), help="Port of the dashboard.")
@click.option(
    "--receiver/--no-receiver",
    default=True,
    help="Send the alarms to a webhook receiver on loopback that prints them here "
    "(unless ALPACA_DASH_NOTIFY_WEBHOOK_TOKEN_URL names another webhook).",
)
@fails_cleanly
def demo(port: int | None, receiver: bool) -> None:
    """Everything at once: embedded PostgreSQL (unless a URL is set), simulated runs arriving, quality checks that
    some of them break, a webhook receiver printing the alarms, and the dashboard."""
    from alpaca_dash.alarms.receiver import LoopbackReceiver
    from alpaca_dash.quality.checks import CheckError
    from alpaca_dash.queries import dashboards, users
    from alpaca_dash.queries.demo_dashboard import demo_dashboard_spec
    from alpaca_dash.timescale.embedded import embedded_running, stop_embedded

    settings = load_settings(port=port, source="simulated")
    if "simulated_glitch_every" not in settings.given:
        settings = settings.replace(simulated_glitch_every=DEMO_GLITCH_EVERY)
    hook = ""
    if receiver and not settings.notify_webhook_token_url:
        local = LoopbackReceiver(on_message=print_alarm).start()
        on_command_exit(local.stop)
        settings = settings.replace(notify_webhook_token_url=local.url)
        hook = f"  alarms: printed here, sent to {local.url}\n"
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
    try:
        added = add_demo_checks(settings, access)
    except CheckError as exc:  # the simulated source of this configuration lacks an observable they name
        echo(f"[yellow]the demo's quality checks were not added: {exc}[/yellow]")
        added = 0
    every = settings.simulated_glitch_every
    checks = f"  {added} quality checks added (/checks); " if added else "  "
    checks += f"every {every}th run breaks them\n" if every else "no run breaks them on purpose\n"
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
        f"{checks}{hook}"
        f"  Ctrl-C stops {stops}\n"
    )
    serve_with_scheduler(settings, access, build_scheduler(settings, access))


@click.option(
    "--ingest/--no-ingest",
    default=True,
    help="Also run the ingest scheduler (follow the source, run queued jobs) in this process. "
    "Scaled-out web instances use --no-ingest beside one 'alpaca-dash follow' worker.",
)
@fails_cleanly
def serve_command(ingest: bool) -> None:
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
