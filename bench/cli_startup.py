"""cli: how long an ``alpaca-dash`` process takes, for ``--help`` and for a one-run ``ingest``, old code against new.

Each measurement is a whole process, started as the console script starts it (``from alpaca_dash.cli import main``),
hyperfine-style: one warm-up run of each variant, then the variants alternate so that other work on the machine
weighs on both alike; medians and ranges. The old code is the source tree of git commit ``OLD_REF`` (before the
imports became lazy), unpacked with ``git archive``; both run on the same interpreter and packages. The ingest stores
one simulated run (the default 1024² images) into a migrated throwaway schema, each time a different run.
"""

from __future__ import annotations

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
#: the last commit before the CLI's imports were made lazy (override: ALPACA_DASH_BENCH_OLD_REF)
OLD_REF = os.environ.get("ALPACA_DASH_BENCH_OLD_REF", "75a3309")
ENTRY = "from alpaca_dash.cli import main; main()"
TARGETS = {"--help": 0.2, "ingest one run": 0.4}
#: the floor of a one-run ingest: the libraries that storing a run cannot do without (the command line, its progress
#: bar, the database driver, the arrays and the 2D arrays' Parquet files), then those the product's storage layer and
#: settings add (SQLAlchemy Core, pydantic-settings); the same for both trees
FLOOR = "import click, rich.progress, psycopg, numpy, pyarrow.parquet"
PRODUCT_LIBRARIES = f"{FLOOR}, sqlalchemy.dialects.postgresql.psycopg, pydantic_settings"


def unpack_source(ref: str, into: Path) -> Path:
    """The ``src`` folder of ``ref``, unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def time_process(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(options: Options) -> Section:
    reps = options.reps
    target = options.targets[0]
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp, temporary_schema(target.url, "cli") as url:
        sources = {"before": unpack_source(OLD_REF, Path(tmp)), "now": ROOT / "src"}
        base = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_DASH_")}
        base |= {
            "ALPACA_DASH_DATABASE_URL": url,
            "ALPACA_DASH_DATA_DIR": str(Path(tmp) / "data"),
            "ALPACA_DASH_CONFIG": str(Path(tmp) / "none.toml"),
            "ALPACA_DASH_SIMULATED_HISTORY": "100000",
            "ALPACA_DASH_LOG_LEVEL": "WARNING",
        }
        envs = {label: {**base, "PYTHONPATH": str(src)} for label, src in sources.items()}
        subprocess.run([sys.executable, "-c", ENTRY, "db", "init"], env=envs["now"], check=True, capture_output=True)
        next_run = iter(range(390000, 500000))

        def ingest(env: dict[str, str]) -> float:
            return time_process([sys.executable, "-c", ENTRY, "ingest", "--runs", str(next(next_run))], env)

        cases: dict[str, Callable[[dict[str, str]], float]] = {
            "interpreter alone (python -c pass)": lambda env: time_process([sys.executable, "-c", "pass"], env),
            "--help": lambda env: time_process([sys.executable, "-c", ENTRY, "--help"], env),
            "imports: click, rich, psycopg, numpy, pyarrow": lambda env: time_process(
                [sys.executable, "-c", FLOOR], env
            ),
            "imports: the same + SQLAlchemy, pydantic-settings": lambda env: time_process(
                [sys.executable, "-c", PRODUCT_LIBRARIES], env
            ),
            "ingest one run": ingest,
        }
        rows: list[list[str]] = []
        for case, measure in cases.items():
            seconds: dict[str, list[float]] = {label: [] for label in envs}
            for env in envs.values():
                measure(env)  # warm-up: the page cache and .pyc files
            for _ in range(reps):
                for label, env in envs.items():
                    seconds[label].append(measure(env))
            before, now = (statistics.median(seconds[label]) for label in envs)
            goal = TARGETS.get(case)
            verdict = "" if goal is None else f"{'meets' if now < goal else 'misses'} < {goal:g} s"
            ratio = f"{before / now:.2f}x"
            rows.append([case, summarise(seconds["before"]), summarise(seconds["now"]), ratio, verdict])
    table = format_table(["process", f"before ({OLD_REF})", "now", "before ÷ now", "target"], rows)
    body = (
        "Whole `alpaca-dash` processes, old code against new, alternating on one machine "
        f"({reps} runs of each after a warm-up; see `bench/cli_startup.py`).\n\n{table}\n"
    )
    return Section("cli", "start-up of the command line", body)
