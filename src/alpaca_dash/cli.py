"""The ``alpaca-dash`` command: the app, its command groups, and the commands that ingest, export and look at what is
stored. The long-running commands live in ``serve_commands``, the database and account groups in ``db_commands``
and ``user_commands``; each command imports what it needs when it runs, so ``--help`` stays fast."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, get_args

import click
from click.exceptions import Exit

from alpaca_dash import (
    __version__,
    db_commands,
    quality_commands,
    serve_commands,
    sql_commands,  # noqa: F401  (registers db grant-readonly on db_commands.db_app)
    token_commands,
    user_commands,
)
from alpaca_dash.cli_common import (
    OneLineErrors,
    SourceChoice,
    echo,
    end_process,
    fails_cleanly,
    load_settings,
    on_command_exit,
    open_access,
    print_error,
    progress_bar,
    runs_option,
    stderr_console,
)

if TYPE_CHECKING:
    from rich.tree import Tree

    from alpaca_dash.domain import Observable


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"alpaca-dash {__version__}")
        ctx.exit()


@click.group(cls=OneLineErrors, no_args_is_help=True, context_settings={"show_default": True})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def app() -> None:
    """Alpaca Dashboard: run-monitoring dashboards for AEgIS."""


app.add_command(db_commands.db_app)
app.add_command(user_commands.users_app)
app.add_command(token_commands.tokens_app)
for _command in (serve_commands.demo, serve_commands.serve_command, serve_commands.follow):
    app.command(_command.__name__.removesuffix("_command"))(_command)


@app.command()
@runs_option
@click.option("--source", type=click.Choice(get_args(SourceChoice)), help="Source of the runs (default: configured).")
@click.option("--path", type=click.Path(path_type=Path), help="Folder of run files for --source files.")
@fails_cleanly
def ingest(runs: str, source: SourceChoice | None, path: Path | None) -> None:
    """Ingest (or re-ingest) a range of runs now, with a progress bar; each run replaces its stored version."""
    from alpaca_dash.pipeline.command_quality import judge_for_command
    from alpaca_dash.pipeline.ingest import IngestResult, ingest_range
    from alpaca_dash.pipeline.jobs import fail_job, finish_job, record_progress, start_cli_job
    from alpaca_dash.run_range import parse_run_range
    from alpaca_dash.sources import open_source
    from alpaca_dash.timescale.database import DatabaseUnavailable

    settings = load_settings(source_path=path)
    run_range = parse_run_range(runs, max_runs=settings.max_range)
    run_source = open_source(settings, source, follow=False)
    access = open_access(settings, migrate=True)
    quality = judge_for_command(access.db, access.store, settings, run_range.first, run_range.last)
    if quality is not None:
        on_command_exit(quality.close)  # the runs' checks are judged before the command ends
    job_id = start_cli_job(access.db, source=run_source.kind, first_run=run_range.first, last_run=run_range.last)
    failed: list[IngestResult] = []
    try:
        with progress_bar() as progress:
            task = progress.add_task("ingest", total=len(run_range))

            def advance(outcome: IngestResult) -> None:
                record_progress(access.db, job_id, outcome)
                if not outcome.ok:
                    failed.append(outcome)
                progress.update(task, advance=1, description=f"run {outcome.run}")

            result = ingest_range(
                access.db,
                access.store,
                run_source,
                run_range.first,
                run_range.last,
                job_id=job_id,
                on_progress=advance,
                quality=quality,
            )
            progress.update(task, completed=len(run_range))
    except BaseException as exc:  # also Ctrl-C: no scheduler will ever finish a CLI job, so it must not stay running
        try:
            fail_job(access.db, job_id, str(exc) or type(exc).__name__)
        except DatabaseUnavailable:
            pass
        raise
    finish_job(access.db, job_id, result)
    echo(
        f"{len(result.ingested)} runs ingested, {len(result.failed)} failed, "
        f"{len(result.missing)} not in the {run_source.kind} source (job {job_id})"
    )
    from rich.markup import escape

    for outcome in failed:
        stderr_console().print(escape(f"run {outcome.run}: {outcome.errors[0][1]}"), highlight=False, soft_wrap=True)
    if result.failed:
        raise Exit(1)


@app.command()
@click.option("--observable", "-O", multiple=True, required=True, help="Exact observable name (repeatable).")
@runs_option
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Parquet file to write.")
@fails_cleanly
def export(observable: tuple[str, ...], runs: str, output: Path) -> None:
    """Export observables over a run range to Parquet (one row per run), streamed in row groups."""
    from rich.markup import escape

    from alpaca_dash.export import export_parquet
    from alpaca_dash.queries.observables import get_observables
    from alpaca_dash.run_range import parse_run_range

    settings = load_settings()
    run_range = parse_run_range(runs, max_runs=settings.max_range)
    access = open_access(settings)
    items = get_observables(access, observable)
    temp = output.with_name(output.name + ".part")
    try:
        with progress_bar() as progress:
            task = progress.add_task("export", total=None)
            summary = export_parquet(
                access,
                items,
                run_range.first,
                run_range.last,
                temp,
                on_runs=lambda n: progress.update(task, advance=n),
                on_total=lambda n: progress.update(task, total=n),
            )
        if summary.runs == 0:
            print_error(f"no stored runs in {run_range.first}-{run_range.last}: nothing written to {output}")
            raise Exit(1)
        temp.replace(output)  # a half-written export never takes the final name
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    echo(
        f"wrote {escape(str(output))}: {summary.runs} runs, {summary.columns} columns, {summary.bytes_written:,} bytes"
    )


@app.command()
@click.option("--tree", is_flag=True, help="Show the hierarchy as a tree.")
@click.option(
    "--search",
    "-s",
    default="",
    show_default=False,
    help="Only names containing every word of this text (any case).",
)
@click.option("--limit", type=click.IntRange(min=1), default=1_000, help="At most this many, by name.")
@fails_cleanly
def observables(tree: bool, search: str, limit: int) -> None:
    """List the observables with their kind, dtype, shape and unit (searched in the database, the first by name)."""
    from rich.markup import escape
    from rich.table import Table

    from alpaca_dash.cli_common import stdout_console
    from alpaca_dash.queries.observable_tree import search_observables

    access = open_access(load_settings())
    found = search_observables(access, search, limit=limit)
    if tree:
        stdout_console().print(_observable_tree(found.items))
    else:
        table = Table("name", "kind", "dtype", "shape", "unit", "runs")
        for o in found.items:
            shape = "x".join(map(str, o.shape)) or "-"
            table.add_row(
                escape(o.name), o.kinds_text(), o.dtype, shape, escape(o.unit or ""), f"{o.first_run}-{o.last_run}"
            )
        stdout_console().print(table)
    if found.more:
        echo(f"{found.more:,} more match: narrow the --search or raise --limit")


def _observable_tree(items: list[Observable]) -> Tree:
    from rich.markup import escape
    from rich.tree import Tree

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
        parent.add(f"{escape(item.path[-1])}  [dim]{item.kinds_text()} {item.dtype} {shape} {unit}[/dim]")
    return root


@app.command("runs")
@click.option("--limit", type=click.IntRange(min=1), default=20, help="How many of the newest.")
@fails_cleanly
def list_runs_command(limit: int) -> None:
    """The newest runs."""
    from rich.table import Table

    from alpaca_dash.cli_common import stdout_console
    from alpaca_dash.queries.runs import list_runs

    access = open_access(load_settings())
    table = Table("run", "start", "end", "status", "observables", "errors", "source", "good")
    for r in list_runs(access, limit=limit):
        start = r.start.isoformat(timespec="seconds") if r.start else ""
        end = r.end.isoformat(timespec="seconds") if r.end else ""
        good = "yes" if r.good else "no"
        table.add_row(str(r.run), start, end, r.status, str(r.observable_count), str(r.error_count), r.source, good)
    stdout_console().print(table)


@app.command()
@click.option("--run", type=click.IntRange(min=0), help="Only this run.")
@click.option("--limit", type=click.IntRange(min=1), default=50, help="How many of the newest.")
@fails_cleanly
def errors(run: int | None, limit: int) -> None:
    """Ingest errors: observables that could not be stored, and runs that could not be read."""
    from rich.markup import escape
    from rich.table import Table

    from alpaca_dash.cli_common import stdout_console
    from alpaca_dash.queries.errors import list_errors

    access = open_access(load_settings())
    table = Table("run", "observable", "message", "job", "when")
    for e in list_errors(access, run=run, limit=limit):
        when = e.created_at.isoformat(timespec="seconds")
        table.add_row(str(e.run), escape(e.observable) or "(whole run)", escape(e.message), str(e.job_id or ""), when)
    stdout_console().print(table)


@app.command()
@click.option(
    "--min-age", type=click.FloatRange(min=0), default=3600.0, help="Only remove orphans older than this many seconds."
)
@fails_cleanly
def reconcile(min_age: float) -> None:
    """Remove sidecar files that no stored run references (left by interrupted ingests)."""
    from alpaca_dash.queries.values import referenced_files

    access = open_access(load_settings())
    removed = access.store.reconcile(referenced_files(access), min_age_seconds=min_age)
    for name in removed:
        echo(f"removed {name}")
    echo(f"{len(removed)} orphaned files removed")


@app.command("config")
def show_config() -> None:
    """Show every setting: its environment variable, its value here, and what it is for."""
    from rich.table import Table

    from alpaca_dash.cli_common import stdout_console
    from alpaca_dash.config import effective_settings

    settings = load_settings()
    table = Table("variable", "value", "help")
    for env, shown, help_text in effective_settings(settings):
        table.add_row(env, shown, help_text)
    stdout_console().print(table)


quality_commands.register(app)  # after the commands above, so that --help lists the run commands first


def main(args: list[str] | None = None) -> NoReturn:
    """The console script (``alpaca-dash``) and ``python -m alpaca_dash``: the command, then the end of the process
    without the interpreter's teardown (:func:`~alpaca_dash.cli_common.end_process`)."""
    code = app.main(args, prog_name="alpaca-dash", standalone_mode=False)
    end_process(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
