"""cli: how long an ``alpaca-dash`` process takes, for ``--help`` and for a one-run ``ingest``, old code against new.

Each measurement is a whole process, started as the console script starts it (``from alpaca_dash.cli import main``),
hyperfine-style: one warm-up run of each variant, then the variants alternate so that other work on the machine
weighs on all alike; medians and ranges. The old code is the source tree of each of ``OLD_REFS`` (before the imports
became lazy; the last landing before the ingest path left SQLAlchemy, typer and pydantic), unpacked with
``git archive``; all run on the same interpreter and packages (the ``dev`` extra keeps typer and pydantic-settings
installed for them). The ingest stores one simulated run (the default 1024² images) into a migrated throwaway
schema, each time a different run: one schema without quality checks, one with the demo's four.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Options, Section, format_table, summarise, temporary_schema

ROOT = Path(__file__).resolve().parent.parent
#: the old trees: before the CLI's imports were made lazy, and the last landing before this round (override:
#: ALPACA_DASH_BENCH_OLD_REFS, comma separated)
OLD_REFS = os.environ.get("ALPACA_DASH_BENCH_OLD_REFS", "75a3309,8a9ba52").split(",")
ENTRY = "from alpaca_dash.cli import main; main()"
TARGETS = {"--help": 0.2, "ingest one run": 0.4}
#: the run that registers the checks' observables, past those the measurements ingest
PREPARED_RUN = 489999
#: the floor of a one-run ingest: the libraries that storing a run cannot do without (the command line, its progress
#: bar, the database driver, the arrays and the 2D arrays' Parquet files); then the same with what the old trees
#: loaded besides (typer, SQLAlchemy, pydantic-settings); the same for every tree
FLOOR = "import click, rich.progress, psycopg, numpy, pyarrow.parquet"
OLD_LIBRARIES = f"{FLOOR}, typer, sqlalchemy.dialects.postgresql.psycopg, pydantic_settings"


#: what the figures are made of, below the table
EXPLAINED = """\
A one-run ingest without checks loads the libraries of the third row and our own modules, and nothing of SQLAlchemy,
pydantic or typer (`tests/test_cli_errors.py` holds it there): the write path speaks SQL to psycopg, the settings are
read by our own loader, the command line is click. The process ends without the interpreter's teardown once its exit
handlers have run (`cli_common.end_process`). With checks enabled, judging the run loads SQLAlchemy Core and the
checks' pydantic models, on a thread of the command."""


def unpack_source(ref: str, into: Path) -> Path:
    """The ``src`` folder of ``ref``, unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True)
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def time_process(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(options: Options) -> Section:
    reps = options.reps
    target = options.targets[0]
    with (
        tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp,
        temporary_schema(target.url, "cli") as url,
        temporary_schema(target.url, "cli_checks") as checked_url,
    ):
        sources = {ref: unpack_source(ref, Path(tmp) / ref) for ref in OLD_REFS} | {"now": ROOT / "src"}
        base = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_DASH_")}
        base |= {
            "ALPACA_DASH_DATA_DIR": str(Path(tmp) / "data"),
            "ALPACA_DASH_CONFIG": str(Path(tmp) / "none.toml"),
            "ALPACA_DASH_SIMULATED_HISTORY": "100000",
            "ALPACA_DASH_LOG_LEVEL": "WARNING",
        }
        envs = {
            label: {**base, "PYTHONPATH": str(src), "ALPACA_DASH_DATABASE_URL": url} for label, src in sources.items()
        }
        checked = {label: {**env, "ALPACA_DASH_DATABASE_URL": checked_url} for label, env in envs.items()}
        prepare(envs["now"], checked["now"], Path(tmp))
        next_run = iter(range(390000, 500000))

        def ingest(env: dict[str, str]) -> float:
            return time_process([sys.executable, "-c", ENTRY, "ingest", "--runs", str(next(next_run))], env)

        cases: dict[str, tuple[Callable[[dict[str, str]], float], dict[str, dict[str, str]]]] = {
            "interpreter alone (python -c pass)": (lambda env: time_process([sys.executable, "-c", "pass"], env), envs),
            "--help": (lambda env: time_process([sys.executable, "-c", ENTRY, "--help"], env), envs),
            "imports: click, rich, psycopg, numpy, pyarrow": (
                lambda env: time_process([sys.executable, "-c", FLOOR], env),
                envs,
            ),
            "imports: the same + typer, SQLAlchemy, pydantic-settings": (
                lambda env: time_process([sys.executable, "-c", OLD_LIBRARIES], env),
                envs,
            ),
            "ingest one run": (ingest, envs),
            "ingest one run, 4 checks enabled": (ingest, checked),
        }
        labels = list(sources)
        rows: list[list[str]] = []
        for case, (measure, case_envs) in cases.items():
            seconds: dict[str, list[float]] = {label: [] for label in labels}
            for env in case_envs.values():
                measure(env)  # warm-up: the page cache and .pyc files
            for _ in range(reps):
                for label, env in case_envs.items():
                    seconds[label].append(measure(env))
            last, now = (statistics.median(seconds[label]) for label in (labels[-2], "now"))
            goal = TARGETS.get(case)
            verdict = "" if goal is None else f"{'meets' if now < goal else 'misses'} < {goal:g} s"
            rows.append([case, *(summarise(seconds[label]) for label in labels), f"{last / now:.2f}x", verdict])
    headers = ["process", *(f"at {ref}" for ref in OLD_REFS), "now", f"{OLD_REFS[-1]} ÷ now", "target"]
    body = (
        "Whole `alpaca-dash` processes, old code against new, alternating on one machine "
        f"({reps} runs of each after a warm-up; see `bench/cli_startup.py`).\n\n{format_table(headers, rows)}\n\n"
        f"{EXPLAINED}\n"
    )
    return Section("cli", "start-up of the command line", body)


def prepare(plain: dict[str, str], with_checks: dict[str, str], tmp: Path) -> None:
    """Both schemas migrated by the new code; the second one holds the demo's checks (over observables that a run
    ingested first has registered)."""
    from alpaca_dash.quality.checks import export_document
    from alpaca_dash.queries.demo_checks import demo_checks

    for env in (plain, with_checks):
        subprocess.run([sys.executable, "-c", ENTRY, "db", "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "-c", ENTRY, "ingest", "--runs", str(PREPARED_RUN)],
        env=with_checks,
        check=True,
        capture_output=True,
    )
    document = tmp / "checks.json"
    document.write_text(json.dumps(export_document(demo_checks())))
    subprocess.run(
        [sys.executable, "-c", ENTRY, "checks", "import", str(document)],
        env=with_checks,
        check=True,
        capture_output=True,
    )
