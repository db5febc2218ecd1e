"""P3: the trend of one scalar over 100,000 runs: the SQL alone, ``load_trend``, and the trend panel painted.

A throwaway schema, as the migrations make it, gets 100,000 runs (about 1 % marked bad) and 50 float64 scalar
observables per run (5,000,000 rows in ``scalars``, 1 % NaN), written run after run as run-by-run ingest leaves them.
The trend reads one observable over the whole range: its SQL on the server, ``load_trend`` from Python, then a trend
panel in headless Chromium against the real server (``bench.p3_painted``).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from alpaca_dash.config import Settings
from alpaca_dash.content import data
from alpaca_dash.content.charts.packed import PACKED_KEY
from alpaca_dash.content.downsample import downsample_line
from alpaca_dash.domain import DTYPE_CODES, Observable, ObservableKind, RunStatus
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.panel_data import load_panel
from alpaca_dash.queries.trends import SCALAR_TREND_SQL, load_trend
from alpaca_dash.run_range import RunRange
from alpaca_dash.timescale import writer
from alpaca_dash.timescale.binary_copy import HEADER, TRAILER, encode_rows
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.reader import HEADER_SIZE, aggregate_query, copy_columns

from bench.common import Options, Section, Target, format_table, migrated_database
from bench.p3_painted import Painted, build_painted_table, describe_painted, measure_painted, trend_dashboard
from bench.p4_dashboard import describe_load

FIRST_RUN = 400_000
RUNS = 100_000
LAST_RUN = FIRST_RUN + RUNS - 1
OBSERVABLES = 50
TRENDED = 25  # the observable (0-based) whose trend is read
POINTS = 2000
SEED_CHUNK_RUNS = 2000  # runs per copy.write while seeding (100,000 rows)
WARMUPS = 2
VACUUM_ATTEMPTS = 40
VACUUM_PAUSE_SECONDS = 15.0
SQL_TARGET_MS = 30.0
BAD_RUNS_SQL = "SELECT run FROM runs WHERE run BETWEEN %s AND %s AND NOT good"
#: the statement inside the COPY that ``load_trend`` runs: the trend SELECT folded into two arrays
SENT_SQL = aggregate_query(SCALAR_TREND_SQL, 2)
COPY_SCALARS_SQL = "COPY scalars (run, observable_id, value, dtype, exact) FROM STDIN (FORMAT BINARY)"
COPY_RUNS_SQL = "COPY runs (run, start_time, end_time, status, ingested_at, source, good) FROM STDIN (FORMAT BINARY)"

Connection = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class Explained:
    """One EXPLAIN ANALYZE of a query: the server's times in ms, the plan's main node and the buffers it touched."""

    planning_ms: float
    execution_ms: float
    node: str
    buffers: int


@dataclass
class SqlResult:
    """The figures of one target short of the browser; seconds by measurement."""

    sent_sql: list[Explained]
    select_sql: list[Explained]
    bad_runs_sql: list[Explained]
    seconds: dict[str, list[float]]
    option_bytes: int
    packed_bytes: int
    packed_widths: str
    visible: float = 1.0


def seed_database(db: Database) -> None:
    """Observables, runs and scalars as 100,000 run-by-run ingests would leave them (not yet vacuumed)."""
    with psycopg.connect(db.url) as conn:
        with conn.cursor() as cur:
            ids = register_scalars(cur)
            copy_runs(cur)
            copy_scalars_by_run(cur, np.asarray(ids, dtype=np.int32))
        conn.commit()


def register_scalars(cur: psycopg.Cursor[Any]) -> list[int]:
    """The float64 scalar observables, seen from the first to the last run; their ids in index order."""
    entries = [
        writer.ObservableEntry(observable_name(i), ObservableKind.SCALAR, "float64", (), "kV")
        for i in range(OBSERVABLES)
    ]
    writer.register_observables(cur, LAST_RUN, entries)
    ids = writer.register_observables(cur, FIRST_RUN, entries)
    return [ids[observable_name(i)] for i in range(OBSERVABLES)]


def observable_name(index: int) -> str:
    return f"Batman*acq_0*HV*Electrode_{index:02d}_kV"


def copy_runs(cur: psycopg.Cursor[Any], *, seed: int = 3) -> None:
    """One ``runs`` row per run, five seconds apart, about one in a hundred marked bad."""
    bad = np.random.default_rng(seed).random(RUNS) < 0.01
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with cur.copy(COPY_RUNS_SQL) as copy:
        copy.set_types(["int4", "timestamptz", "timestamptz", "text", "timestamptz", "text", "bool"])
        for i in range(RUNS):
            began = start + timedelta(seconds=5 * i)
            ended = began + timedelta(seconds=4)
            copy.write_row((FIRST_RUN + i, began, ended, RunStatus.INGESTED.value, ended, "simulated", not bad[i]))


def copy_scalars_by_run(cur: psycopg.Cursor[Any], ids: np.ndarray[Any, Any], *, seed: int = 4) -> None:
    """Every run's scalars, run after run, encoded as ``writer.copy_scalars`` encodes them (1 % NaN).

    ``copy_scalars`` sorts its rows by key, which for one big call would cluster the heap by observable; ingest calls
    it once per run, and this sends the rows in that order without 100,000 transactions.
    """
    rng = np.random.default_rng(seed)
    code = DTYPE_CODES["float64"]
    with cur.copy(COPY_SCALARS_SQL) as copy:
        copy.write(HEADER)
        for first in range(FIRST_RUN, LAST_RUN + 1, SEED_CHUNK_RUNS):
            count = min(SEED_CHUNK_RUNS, LAST_RUN + 1 - first)
            values = 10.0 + rng.standard_normal(count * len(ids))
            values[rng.random(values.size) < 0.01] = np.nan
            columns = [
                ("int4", np.repeat(np.arange(first, first + count, dtype=np.int32), len(ids))),
                ("int4", np.tile(ids, count)),
                ("float8", values),
                ("int2", np.full(values.size, code, dtype=np.int16)),
                ("null", None),
            ]
            copy.write(encode_rows(values.size, columns))
        copy.write(TRAILER)


def vacuum_until_visible(db: Database, tables: list[str]) -> float:
    """VACUUM ANALYZE until the tables' pages are all-visible, as autovacuum leaves them; the fraction reached.

    A transaction open elsewhere on the server (another benchmark's) keeps VACUUM from marking new rows visible to
    all, and without the visibility map an index-only scan fetches every heap page: retry for a while.
    """
    fraction = 0.0
    with psycopg.connect(db.url, autocommit=True) as conn:
        for attempt in range(VACUUM_ATTEMPTS):
            for table in tables:
                conn.execute(f"VACUUM ANALYZE {table}")
            fraction = min(visible_fraction(conn, table) for table in tables)
            if fraction >= 0.99:
                break
            print(f"  only {fraction:.0%} of the pages are all-visible: VACUUM again ({attempt + 1})", flush=True)
            time.sleep(VACUUM_PAUSE_SECONDS)
    return fraction


def visible_fraction(conn: Connection, table: str) -> float:
    """The share of a table's pages (a hypertable's: of its chunks') that the visibility map has all-visible."""
    row = conn.execute(
        "SELECT sum(relallvisible)::float8 / greatest(sum(relpages), 1) FROM pg_class WHERE oid = %s::regclass "
        "OR oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
        (table, table),
    ).fetchone()
    return float(row[0])  # type: ignore[index]


def explain(conn: Connection, query: str, params: tuple[Any, ...]) -> Explained:
    """EXPLAIN (ANALYZE, TIMING OFF): the server's own planning and execution time, without per-node clocks."""
    row = conn.execute(f"EXPLAIN (ANALYZE, TIMING OFF, BUFFERS, FORMAT JSON) {query}", params).fetchone()
    found = row[0][0]  # type: ignore[index]
    plan = found["Plan"]
    buffers = int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))
    return Explained(found["Planning Time"], found["Execution Time"], describe_plan(plan), buffers)


def describe_plan(plan: dict[str, Any]) -> str:
    """The scan under any Aggregate, Sort, Append or ChunkAppend: ``Index Only Scan`` or ``Sort of …``."""
    wrappers = []
    while plan.get("Plans") and plan["Node Type"] in ("Aggregate", "Sort", "Append", "Custom Scan", "Result"):
        if plan["Node Type"] == "Sort":
            wrappers.append("Sort of")
        plan = plan["Plans"][0]
    return " ".join([*wrappers, plan["Node Type"]])


def make_access(db: Database, root: Path) -> DataAccess:
    return DataAccess(db, ParquetStore(root), Settings(database_url=db.url, parquet_dir=root))


def time_repeated(action: Callable[[], object], reps: int) -> list[float]:
    """Seconds of ``reps`` calls after ``WARMUPS`` untimed ones (warm caches, a pooled connection)."""
    for _ in range(WARMUPS):
        action()
    found = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        found.append(time.perf_counter() - started)
    return found


def measure_sql(access: DataAccess, observable: Observable, reps: int) -> SqlResult:
    """SQL by EXPLAIN ANALYZE, then from Python: the COPY alone, load_trend, load_trend plus downsampling."""
    params = (observable.id, FIRST_RUN, LAST_RUN)
    with psycopg.connect(access.db.url, autocommit=True) as conn:
        for _ in range(WARMUPS):
            explain(conn, SENT_SQL, params)
        sent_sql = [explain(conn, SENT_SQL, params) for _ in range(reps)]
        select_sql = [explain(conn, SCALAR_TREND_SQL, params) for _ in range(reps)]
        bad_runs_sql = [explain(conn, BAD_RUNS_SQL, (FIRST_RUN, LAST_RUN)) for _ in range(reps)]
        copy_only = time_repeated(lambda: copy_columns(conn, SCALAR_TREND_SQL, params, ["int4", "float8"]), reps)
        copy_rows = time_repeated(lambda: copy_row_by_row(conn, SCALAR_TREND_SQL, params), reps)
    trend = load_trend(access, observable, FIRST_RUN, LAST_RUN)
    if len(trend) != RUNS:
        raise RuntimeError(f"expected {RUNS} runs in the trend, got {len(trend)}")

    def load_and_downsample() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        found = load_trend(access, observable, FIRST_RUN, LAST_RUN)
        return downsample_line(found.values, POINTS, found.runs)

    seconds = {
        "copy": copy_only,
        "copy rows": copy_rows,
        "load": time_repeated(lambda: load_trend(access, observable, FIRST_RUN, LAST_RUN), reps),
        "downsampled": time_repeated(load_and_downsample, reps),
        "downsample": time_repeated(lambda: downsample_line(trend.values, POINTS, trend.runs), reps),
    }
    option = panel_option(access, observable)
    return SqlResult(sent_sql, select_sql, bad_runs_sql, seconds, *option_sizes(option))


def copy_row_by_row(conn: Connection, query: str, params: tuple[Any, ...]) -> list[np.ndarray[Any, Any]]:
    """The trend as ``reader.copy_columns`` read it before: a binary COPY of the rows, a message each, then numpy."""
    payload = bytearray()
    with conn.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for chunk in copy:
            payload += chunk
    row = np.dtype(
        [("fields", ">i2"), ("run_length", ">i4"), ("run", ">i4"), ("value_length", ">i4"), ("value", ">f8")]
    )
    rows = np.frombuffer(memoryview(payload)[HEADER_SIZE : len(payload) - 2], dtype=row)
    return [rows["run"].astype(np.int32), rows["value"].astype(np.float64)]


def panel_option(access: DataAccess, observable: Observable) -> dict[str, Any]:
    """The trend panel's ECharts option as the server builds it for a panel ``POINTS / 2`` pixels wide."""
    spec = trend_dashboard(observable.name).panels[0]
    target = data.Target(LAST_RUN, RunRange(FIRST_RUN, LAST_RUN))
    content = load_panel(access, spec, target, (POINTS // 2, 400), publish=str)
    if content.option is None:
        raise RuntimeError(f"the trend panel did not load: {content.state} {content.message}")
    return content.option


def option_sizes(option: dict[str, Any]) -> tuple[int, int, str]:
    """Bytes of the option as JSON and of its packed series (``alpaca.rows('<base64>','<widths>')`` under the ``:data``
    key), and the byte widths of the good runs' columns."""
    packed = [series[PACKED_KEY] for series in option["series"]]
    return len(json.dumps(option).encode()), sum(len(text) for text in packed), packed[0].widths


def measure_target(target: Target, reps: int) -> tuple[SqlResult, Painted]:
    """Seed one migrated schema, vacuum it, measure the SQL and Python side, then the panel in the browser."""
    with migrated_database(target.url, "p3") as db, tempfile.TemporaryDirectory(prefix="p3_") as root:
        print(f"  seeding {RUNS:,} runs x {OBSERVABLES} scalars", flush=True)
        seed_database(db)
        visible = vacuum_until_visible(db, ["runs", "scalars"])
        access = make_access(db, Path(root))
        observable = get_observables(access, [observable_name(TRENDED)])[0]
        sql = measure_sql(access, observable, reps)
        sql.visible = visible
        print(
            f"  {target.name}: SQL {_median(e.execution_ms for e in sql.sent_sql):.1f} ms, "
            f"load_trend {_median(s * 1e3 for s in sql.seconds['load']):.1f} ms; painting in Chromium",
            flush=True,
        )
        painted = measure_painted(access, observable.name, RunRange(FIRST_RUN, LAST_RUN), reps)
        print(f"  {target.name}: painted {_median(painted.total):.0f} ms", flush=True)
    return sql, painted


def run(options: Options) -> Section:
    """Measure every target and lay the figures out as three tables."""
    sql: dict[str, SqlResult] = {}
    painted: dict[str, Painted] = {}
    load_before = os.getloadavg()[0]
    for target in options.targets:
        print(f"P3 on {target.description} ({target.name}), {options.reps} repetitions", flush=True)
        sql[target.description], painted[target.description] = measure_target(target, options.reps)
    load = describe_load(load_before, os.getloadavg()[0])
    tables = build_table(sql) + "\n\n" + build_painted_table(painted)
    print(tables)
    body = _explain(next(iter(sql.values()))) + "\n" + describe_painted(next(iter(painted.values())), load)
    return Section("P3", "trend of one scalar over 100k runs", f"{body}\n{tables}\n")


def build_table(results: dict[str, SqlResult]) -> str:
    """Two tables, one row per server: the server's side (a), then what Python sees (b, c), in ms."""
    server_headers = [
        "server (all-visible pages)",
        f"**(a) SQL as sent** (target < {SQL_TARGET_MS:.0f} ms)",
        "bare SELECT",
        "planning",
        "plan (shared buffers)",
        "bad-runs SELECT",
    ]
    server_rows = [
        [
            f"{label} ({r.visible:.0%})",
            _sql_cell([e.execution_ms for e in r.sent_sql]),
            _ms_cell([e.execution_ms for e in r.select_sql]),
            _ms_cell([e.planning_ms for e in r.sent_sql]),
            f"{r.sent_sql[0].node} ({r.sent_sql[0].buffers:,})",
            _ms_cell([e.execution_ms for e in r.bad_runs_sql]),
        ]
        for label, r in results.items()
    ]
    client_headers = [
        "server",
        "COPY row by row (before)",
        "COPY of arrays + decode",
        "**(b) load_trend**",
        f"**(c) load_trend + downsample to {POINTS}**",
    ]
    client_rows = [
        [
            label,
            _ms_cell([s * 1e3 for s in r.seconds["copy rows"]]),
            _ms_cell([s * 1e3 for s in r.seconds["copy"]]),
            _ms_cell([s * 1e3 for s in r.seconds["load"]], bold=True),
            _ms_cell([s * 1e3 for s in r.seconds["downsampled"]], bold=True),
        ]
        for label, r in results.items()
    ]
    return format_table(server_headers, server_rows) + "\n\n" + format_table(client_headers, client_rows)


def _median(values: Any) -> float:
    return float(statistics.median(list(values)))


def _ms_cell(values: list[float], *, bold: bool = False) -> str:
    median = f"{statistics.median(values):.1f}"
    return f"{f'**{median}**' if bold else median} ({min(values):.1f}-{max(values):.1f})"


def _sql_cell(values: list[float]) -> str:
    verdict = "met" if statistics.median(values) < SQL_TARGET_MS else "missed"
    return f"{_ms_cell(values, bold=True)} {verdict}"


def _explain(sample: SqlResult) -> str:
    downsample_ms = _median(s * 1e3 for s in sample.seconds["downsample"])
    return f"""\
{RUNS:,} runs (about 1 % marked bad) and {OBSERVABLES} float64 scalar observables per run:
{RUNS * OBSERVABLES:,} rows in `scalars` (1 % NaN), written run after run as run-by-run ingest leaves them, so one
observable's values lie one every {OBSERVABLES} rows all over the heap. The trend reads one observable over all
{RUNS:,} runs, in the schema as the migrations make it. Since migration 4 the primary key
`scalars (observable_id, run) INCLUDE (value)` covers the trend and the partial index `runs_bad` holds the bad runs,
so the trend is an index-only scan of a few hundred pages, already in run order, and the bad runs a scan of a tiny
index. The heap's order no longer matters: `CLUSTER scalars USING scalars_pkey` gives the same plan over the same
pages, so it is not measured any more. Plain PostgreSQL also has BRIN on `run`; TimescaleDB chunks the table by
1,000 runs (its Apache edition here has no compression).

All after `VACUUM ANALYZE` (index-only scans need the visibility map, which autovacuum keeps for insert-only tables;
runs ingested since its last pass cost one heap fetch each), with warm caches ({WARMUPS} untimed calls first).
Times in ms, median (range).

- (a), first table, is the server alone: `EXPLAIN (ANALYZE, TIMING OFF, BUFFERS)` of the statement `load_trend`
  runs inside its COPY: the trend SELECT (`queries.trends.SCALAR_TREND_SQL`, no ORDER BY) folded by `array_agg` into
  one array per column (`timescale.reader.aggregate_query`). The target is about its execution time. The bare
  SELECT is given beside it: the difference is what the aggregate costs the server, and it spares the client a COPY
  message per row (second table). Planning is apart (TimescaleDB plans one scan per chunk, 100 here). The plan
  column names the scan and the shared buffers it touched. `load_trend` also asks `runs` for the range's bad runs.
- (b), second table, is `queries.trends.load_trend` from Python: pool checkout, the binary COPY of the two arrays
  decoded by numpy (`reader.copy_columns`, also timed alone), the bad-runs query and the good mask. "COPY row by
  row" is how `copy_columns` read the same rows before: 100,000 COPY messages, one per row.
- (c) adds `content.downsample.downsample_line` (MinMaxLTTB, NaN-aware) to {POINTS:,} points, what a panel about
  1,000 px wide is sent. Downsampling alone takes {downsample_ms:.1f} ms.
- Payload: the trend panel's ECharts option for those {POINTS:,} points, as `build_trend_option` makes it
  (through `load_panel`), is {sample.option_bytes / 1024:.1f} kB of JSON, of which {sample.packed_bytes / 1024:.1f} kB
  are the packed series: base64 of the x, y and run columns as little-endian floats (float32 unless that is off by
  more than a millionth of the column's span, then float64; here {_widths(sample.packed_widths)}) under the series'
  `:data` key, unpacked in the page.
"""


def _widths(widths: str) -> str:
    """``all three float32`` or ``float32, float64 and float32``: the columns' types from their byte widths."""
    names = [f"float{8 * int(width)}" for width in widths]
    if len(set(names)) == 1:
        return f"all {len(names)} {names[0]}" if len(names) != 3 else f"all three {names[0]}"
    return ", ".join(names[:-1]) + f" and {names[-1]}"
