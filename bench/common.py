"""What the benchmarks share: database targets, throwaway schemas, repeated timing, tables and docs/performance.md."""

from __future__ import annotations

import cProfile
import os
import platform
import pstats
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

from alpaca_dash.timescale.database import Database, with_schema

#: label to the (file suffix, function name) of the profiled functions that make up a phase
Phases = Mapping[str, Sequence[tuple[str, str]]]

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE_URL_ENV = "ALPACA_DASH_BENCH_DATABASE_URL"
TIMESCALE_URL_ENV = "ALPACA_DASH_TEST_TIMESCALE_URL"
DEFAULT_REPS = 5
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
DOC_INTRO = """# Performance

Measured figures for the targets of DESIGN §8. Each section below is written by its benchmark in `bench/`
(`python -m bench <id> --write`) and says the command that reproduces it, the machine and the date. Figures are
medians of repeated runs on a 2-core machine shared with other work (each table gives the range too), so expect noise;
where there is a baseline the ratio matters more than the absolute number.
"""


@dataclass(frozen=True)
class Target:
    """One database server to measure on: ``postgres`` (required) or ``timescale`` (when configured)."""

    name: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class Options:
    targets: list[Target]
    reps: int
    write: bool
    command_args: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """A benchmark's result: its ``## key`` section of docs/performance.md, without the heading's facts."""

    key: str
    title: str
    body: str


def resolve_targets(database_url: str | None, *, timescale: bool = True) -> list[Target]:
    """The plain PostgreSQL target (flag, then environment, then the machine's server) and TimescaleDB if set."""
    urls = [("postgres", database_url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL)]
    timescale_url = os.environ.get(TIMESCALE_URL_ENV)
    if timescale and timescale_url:
        urls.append(("timescale", timescale_url))
    return [Target(name, url, describe_server(url)) for name, url in urls]


def describe_server(url: str) -> str:
    """``PostgreSQL 15.20`` or ``TimescaleDB 2.19.3 on PostgreSQL 17.12``, with fsync off called out."""
    with psycopg.connect(url, autocommit=True) as conn:
        version = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
        fsync = conn.execute("SHOW fsync").fetchone()[0]  # type: ignore[index]
        row = conn.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
        preload = conn.execute("SELECT current_setting('shared_preload_libraries', true)").fetchone()[0]  # type: ignore[index]
    text = f"PostgreSQL {version}"
    if row is not None and "timescaledb" in (preload or ""):
        text = f"TimescaleDB {row[0]} on {text}"
    return text if fsync == "on" else f"{text} (fsync off!)"


@contextmanager
def temporary_schema(url: str, prefix: str) -> Iterator[str]:
    """A URL whose search path is a new, empty schema; the schema is dropped afterwards."""
    schema = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def migrated_database(url: str, prefix: str) -> Iterator[Database]:
    """The application's schema, migrated as in production, in a throwaway schema."""
    with temporary_schema(url, prefix) as schema_url:
        database = Database(schema_url, pool_size=1)
        try:
            database.migrate()
            yield database
        finally:
            database.dispose()


def checkpoint(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Flush dirty buffers so one measurement does not pay for the WAL and pages of the one before."""
    try:
        conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
    if not conn.autocommit:
        conn.commit()


def time_call(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def profile_call(action: Callable[[], object]) -> tuple[float, cProfile.Profile]:
    """Run ``action`` under cProfile (this thread only); wall seconds and the profile."""
    profiler = cProfile.Profile()
    return time_call(lambda: profiler.runcall(action)), profiler


def sum_phases(profile: cProfile.Profile, phases: Phases, total: float, other: str) -> dict[str, float]:
    """Wall seconds per phase of a profile, and under ``other`` what no phase covers of ``total``.

    :param phases: label to the (file suffix, function name) of the functions whose cumulative time it adds up; the
        functions of different phases must not call each other.
    """
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found = dict.fromkeys(phases, 0.0)
    for label, keys in phases.items():
        for suffix, name in keys:
            # a name may match a function and the one it wraps (pyarrow's write_table): count the outer one
            times = [row[3] for (file, _, function), row in stats.items() if function == name and file.endswith(suffix)]
            found[label] += max(times, default=0.0)
    found[other] = total - sum(found.values())
    return found


def summarise(seconds: Sequence[float]) -> str:
    """``1.23 s (1.20-1.31)``: median and range."""
    return f"{statistics.median(seconds):.3g} s ({min(seconds):.3g}-{max(seconds):.3g})"


def format_count(value: float) -> str:
    """``512k`` / ``1.2M`` / ``950``: counts and rates to three figures."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, padded so it also reads well in a terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, ["-" * width for width in widths], *rows]
    return "\n".join(
        "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"
        for line in lines
    )


def describe_machine(targets: Sequence[Target]) -> str:
    """Where and when the figures were taken, as one Markdown paragraph."""
    cpu = _cpu_model()
    servers = "; ".join(f"{t.name}: {t.description}" for t in targets)
    versions = f"Python {platform.python_version()}, numpy {np.__version__}, psycopg {psycopg.__version__}"
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} CPUs ({cpu}), {_memory_gb()} GB RAM; {servers}; {versions}. "
        f"Measured {date}; load average at the end {load} (1, 5, 15 min: other work on the machine shows here)."
    )


def render_section(section: Section, options: Options) -> str:
    """The full Markdown section: heading, reproducing command, machine facts, body."""
    command = " ".join(["python -m bench", *options.command_args])
    if any(t.name == "timescale" for t in options.targets):
        command = f"{TIMESCALE_URL_ENV}=$(scripts/timescaledb.sh up | tail -1) {command}"
    return (
        f"## {section.key}: {section.title}\n\n"
        f"Reproduce with `{command}` (medians of {options.reps} repetitions).\n\n"
        f"{describe_machine(options.targets)}\n\n"
        f"{section.body.strip()}\n"
    )


def write_section(text: str, key: str, path: Path = DOC_PATH) -> None:
    """Replace the ``## <key>`` section of the performance doc, or append it; other sections are kept as they are."""
    content = path.read_text() if path.exists() else DOC_INTRO
    lines = content.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _is_heading(line, key)), None)
    if start is None:
        new = content.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + text + ("\n" + tail if tail else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)


def _is_heading(line: str, key: str) -> bool:
    return line.startswith(f"## {key}:") or line.rstrip() == f"## {key}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gb() -> int:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError):
        return 0


def page_script(name: str) -> str:
    """The page script ``bench/js/<name>.js``: a JavaScript function for Playwright's ``evaluate``."""
    return (Path(__file__).parent / "js" / f"{name}.js").read_text()
