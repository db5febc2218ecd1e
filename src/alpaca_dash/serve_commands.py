"""Long-running commands (demo, serve, follow) and account management, registered on the CLI app."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from alpaca_dash.cli import app, console, fails_cleanly, load_settings, open_access, print_error
from alpaca_dash.config import Settings
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources import open_source

users_app = typer.Typer(help="Local accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")

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


def start_scheduler(settings: Settings, access: DataAccess, *, follow: bool) -> object:
    """Start the ingest scheduler in this process: following the configured source, and running queued jobs."""
    from alpaca_dash.pipeline.scheduler import IngestScheduler

    settings = continue_simulation(settings, access)
    follow_source = open_source(settings, follow=True) if follow else None
    scheduler = IngestScheduler(
        access.db,
        access.store,
        follow_source,
        lambda kind: open_source(settings, kind, follow=False),  # type: ignore[arg-type]
        follow_interval=settings.follow_interval,
    )
    scheduler.start()
    return scheduler


@app.command()
@fails_cleanly
def demo(
    port: Annotated[int | None, typer.Option(help="Port of the dashboard.")] = None,
) -> None:
    """Everything at once: embedded PostgreSQL (unless a URL is set), simulated runs arriving, and the dashboard."""
    from alpaca_dash.queries import dashboards, users
    from alpaca_dash.queries.demo_dashboard import demo_dashboard_spec
    from alpaca_dash.web.app import serve

    settings = load_settings(port=port, source="simulated")
    access = DataAccess.open(settings)
    user = users.find_user(access, DEMO_USER)
    if user is None:
        user = users.create_user(access, DEMO_USER, DEMO_PASSWORD, users.Role.EDITOR)
    else:
        users.set_password(access, DEMO_USER, DEMO_PASSWORD)
    if not dashboards.list_dashboards(access, user.id):
        dashboards.create_dashboard(access, user.id, "Demo", demo_dashboard_spec())
    start_scheduler(settings, access, follow=True)
    console.print(
        f"\n[bold]Alpaca Dashboard[/bold] on [link]http://{settings.host}:{settings.port}/[/link]\n"
        f"  login: [bold]{DEMO_USER}[/bold] / [bold]{DEMO_PASSWORD}[/bold]\n"
        f"  database: {access.db.capabilities.describe()}\n"
        f"  a simulated run finishes every {settings.simulated_run_seconds:g} s; Ctrl-C stops\n"
    )
    serve(settings, access)


@app.command("serve")
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
    from alpaca_dash.web.app import serve

    settings = load_settings()
    access = DataAccess.open(settings)
    if ingest:
        start_scheduler(settings, access, follow=True)
    use_shared_storage(settings)
    console.print(f"Alpaca Dashboard on http://{settings.host}:{settings.port}/")
    serve(settings, access)


def use_shared_storage(settings: Settings) -> None:
    """Keep NiceGUI's user and tab storage in Redis, so that any web instance can serve any session."""
    if settings.redis_url:
        from nicegui.storage import Storage

        Storage.redis_url = settings.redis_url


@app.command()
@fails_cleanly
def follow() -> None:
    """Only ingest: follow the newest runs and run queued jobs (the worker of a scaled-out deployment)."""
    settings = load_settings()
    access = DataAccess.open(settings)
    scheduler = start_scheduler(settings, access, follow=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"following the {settings.source} source every {settings.follow_interval:g} s; Ctrl-C stops")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    scheduler.shutdown()  # type: ignore[attr-defined]


@users_app.command("add")
@fails_cleanly
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
    ] = "",
) -> None:
    """Create a local account."""
    from alpaca_dash.queries import users

    access = open_access(load_settings())
    try:
        user = users.create_user(access, name, password, role)
    except users.UserError as exc:
        print_error(exc)
        raise typer.Exit(1) from None
    console.print(f"created {user.role.value} {user.name}")


@users_app.command("list")
@fails_cleanly
def users_list() -> None:
    """List local accounts."""
    from alpaca_dash.queries import users

    access = open_access(load_settings())
    for user in users.list_users(access):
        console.print(f"{user.name}\t{user.role.value}\t{'disabled' if user.disabled else ''}")
