"""``alpaca-dash checks`` (list, import, export, run) and ``alpaca-dash quality``: quality checks from the shell.

``quality`` exits with status 1 when any run of the range has a check in alarm, for scripts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from click.exceptions import Exit

from alpaca_dash.cli_common import (
    OneLineErrors,
    echo,
    fails_cleanly,
    load_settings,
    open_access,
    print_error,
    progress_bar,
    runs_option,
    stdout_console,
)

STATE_STYLES = {"alarm": "bold red", "error": "magenta", "warn": "yellow", "nodata": "dim", "ok": "green"}


@click.group("checks", cls=OneLineErrors, no_args_is_help=True)
def checks_app() -> None:
    """Quality checks per observable: list them, import and export them as JSON, judge stored runs again."""


def register(app: click.Group) -> None:
    """Add the ``checks`` group and the ``quality`` command to the main command."""
    app.add_command(checks_app)
    app.command("quality")(quality)


@checks_app.command("list")
@fails_cleanly
def checks_list() -> None:
    """Every stored check: name, kind, observable, whether it is enabled, and its settings."""
    from rich.markup import escape
    from rich.table import Table

    from alpaca_dash.quality.checks import describe_settings
    from alpaca_dash.queries.checks import list_checks

    access = open_access(load_settings())
    table = Table("name", "kind", "observable", "enabled", "settings")
    for stored in list_checks(access):
        check = stored.check
        enabled = "yes" if check.enabled else "no"
        table.add_row(
            escape(check.name), check.kind, escape(check.observable), enabled, escape(describe_settings(check))
        )
    stdout_console().print(table)


@checks_app.command("import")
@click.argument(
    "file", type=click.Path(path_type=Path), help="A JSON file written by 'checks export' (or '-' for stdin)."
)
@click.option("--replace", is_flag=True, help="Also remove the stored checks the file does not name.")
@fails_cleanly
def checks_import(file: Path, replace: bool) -> None:
    """Store the checks of a JSON file by name, all or none: a bad check, an unknown observable or a missing
    reference run stores nothing."""
    from alpaca_dash.quality.checks import CheckError, parse_checks
    from alpaca_dash.queries.checks import import_checks

    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    try:
        checks = parse_checks(json.loads(text))
        access = open_access(load_settings(), migrate=True)
        summary = import_checks(access, checks, replace=replace)
    except json.JSONDecodeError as exc:
        print_error(f"{file} is not JSON: {exc}")
        raise Exit(1) from None
    except CheckError as exc:
        print_error(f"{file}: {exc}; nothing was stored")
        raise Exit(1) from None
    removed = f", {len(summary.removed)} removed" if replace else ""
    echo(f"{len(summary.added)} checks added, {len(summary.updated)} updated{removed}")


@checks_app.command("export")
@click.argument("file", type=click.Path(path_type=Path), help="Where to write the JSON ('-' for stdout).")
@fails_cleanly
def checks_export(file: Path) -> None:
    """Write every stored check to a JSON file that 'checks import' reads back (to keep them under version control)."""
    from alpaca_dash.queries.checks import export_checks

    document = export_checks(open_access(load_settings()))
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if str(file) == "-":
        click.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    echo(f"{len(document['checks'])} checks written to {file}")  # type: ignore[arg-type]


@checks_app.command("run")
@runs_option
@fails_cleanly
def checks_run(runs: str) -> None:
    """Judge the stored runs of a range again by every enabled check, with a progress bar (recorded as a job)."""
    from alpaca_dash.domain import QUALITY_SOURCE
    from alpaca_dash.pipeline.jobs import close_job, count_run, fail_job, quality_summary
    from alpaca_dash.pipeline.quality import RunVerdict, evaluate_range
    from alpaca_dash.queries.jobs import create_job
    from alpaca_dash.run_range import parse_run_range

    settings = load_settings()
    run_range = parse_run_range(runs, max_runs=settings.max_range)
    access = open_access(settings)
    job_id = create_job(
        access, source=QUALITY_SOURCE, first_run=run_range.first, last_run=run_range.last, run_here=True
    )
    try:
        with progress_bar() as progress:
            task = progress.add_task("quality", total=None)

            def advance(run: int, verdict: RunVerdict | None) -> None:
                count_run(access.db, job_id, ok=verdict is not None)
                progress.update(task, advance=1, description=f"run {run}")

            result = evaluate_range(access.db, access.store, run_range.first, run_range.last, on_progress=advance)
    except BaseException as exc:
        fail_job(access.db, job_id, str(exc) or type(exc).__name__)
        raise
    close_job(access.db, job_id, cancelled=False, message=quality_summary(result), total=result.requested)
    echo(f"{quality_summary(result)} (job {job_id})")


@runs_option
@click.option("--checks", is_flag=True, help="One row per check instead of one per run.")
@fails_cleanly
def quality(runs: str, checks: bool) -> None:
    """The states of the checks per run, newest first; exit status 1 if any run has a check in alarm."""
    from rich.markup import escape
    from rich.table import Table

    from alpaca_dash.quality.checks import CheckState
    from alpaca_dash.queries.quality import list_results, run_summaries
    from alpaca_dash.run_range import parse_run_range

    settings = load_settings()
    run_range = parse_run_range(runs, max_runs=settings.max_range)
    access = open_access(settings)
    summaries = run_summaries(access, run_range.first, run_range.last)
    alarms = sum(summary.count(CheckState.ALARM) for summary in summaries)
    if checks:
        table = Table("run", "check", "observable", "state", "value", "p", "reference", "message")
        for row in list_results(access, run_range.first, run_range.last):
            table.add_row(
                str(row.run),
                escape(row.check),
                escape(row.observable),
                f"[{STATE_STYLES[row.state]}]{row.state}[/]",
                "" if row.value is None else f"{row.value:.6g}",
                "" if row.p_value is None else f"{row.p_value:.3g}",
                "" if row.reference_run is None else str(row.reference_run),
                escape(row.message),
            )
    else:
        states = list(CheckState)
        table = Table("run", "worst", *states, "flag")
        for summary in summaries:
            worst = summary.worst
            flag = "suspect" if summary.suspect else "good" if summary.good else "bad"
            table.add_row(
                str(summary.run),
                "" if worst is None else f"[{STATE_STYLES[worst]}]{worst}[/]",
                *(str(summary.count(state)) for state in states),
                flag,
            )
    stdout_console().print(table)
    if alarms:
        echo(f"{alarms} checks in alarm over runs {run_range.first}-{run_range.last}")
        raise Exit(1)
