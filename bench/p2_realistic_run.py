"""P2: one realistic run through ``pipeline.ingest.store_run``, against the seed's wide-table baseline.

The run: 400 scalars, 20 waveforms of 1e5 float64, 4 images 1024² float32 and one 5120² uint16 image. It is prepared
once, outside the timing. Three cases are timed, each after a CHECKPOINT, with fsync on: the first run into an empty
database (every observable is new), the next run (known observables) and a re-ingest of that run (its old values
and sidecar file are replaced). The baseline stores the same runs as the 2023 app did: one wide table, an
``ALTER TABLE ADD COLUMN`` per new observable, arrays as float64 bytes plus a shape text column, one row INSERT.
"""

from __future__ import annotations

import cProfile
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore, StoredArray
from alpaca_dash.pipeline.ingest import PreparedRun, prepare_run, store_run
from alpaca_dash.timescale.database import Database

from bench.common import (
    Options,
    Phases,
    Section,
    Target,
    checkpoint,
    format_table,
    migrated_database,
    profile_call,
    sum_phases,
    time_call,
)

FIRST_RUN = 500000
SCALARS = 400
WAVEFORMS = 20
WAVEFORM_SAMPLES = 100_000
IMAGES = 4
IMAGE_SIZE = 1024
CAMERA_SIZE = 5120
CASES = ("first run (all observables new)", "next run (observables known)", "re-ingest of that run")
VALUE_TABLES = "runs, observables, scalars, arrays1d, array_stats, arrays2d, ingest_errors"
WIDE_TABLE = "seed_wide_runs"

#: where store_run's own thread spends its time
MAIN_PHASES: Phases = {
    "register observables": [("timescale/writer.py", "register_observables")],
    "delete the run's old values": [("timescale/writer.py", "delete_run_values")],
    "scalars COPY": [("timescale/writer.py", "scalar_columns"), ("timescale/writer.py", "copy_scalars")],
    "1D arrays COPY": [("timescale/writer.py", "copy_arrays1d")],
    "statistics of arrays (compute_stats)": [("domain.py", "compute_stats")],
    "wait for the sidecar thread": [("concurrent/futures/_base.py", "result")],
    "stats, 2D refs, errors, run row, NOTIFY": [
        *(
            ("timescale/writer.py", name)
            for name in ("lock_run", "copy_stats", "insert_arrays2d", "insert_errors", "upsert_run")
        ),
        ("timescale/notify.py", "notify_run"),
    ],
    "COMMIT (WAL fsync)": [("psycopg/connection.py", "commit")],
    "remove the old sidecar file": [("parquet_cache/store.py", "remove")],
}
#: where the sidecar thread, which runs alongside, spends its time
SIDECAR_PHASES: Phases = {
    "SHA-256 of the 2D arrays": [("~", "<built-in method _hashlib.openssl_sha256>")],
    "Parquet write": [("parquet/core.py", "write_table")],
    "fsync": [("parquet_cache/store.py", "_fsync_file")],
}


class ProfiledStore(ParquetStore):
    """A sidecar that profiles its writes, which run on a thread of their own."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, fsync=True)
        self.profiles: list[tuple[float, cProfile.Profile]] = []

    def write_run(self, run: int, arrays: Mapping[int, np.ndarray[Any, Any]]) -> dict[int, StoredArray]:
        profile = cProfile.Profile()
        started = time.perf_counter()
        try:
            return profile.runcall(super().write_run, run, arrays)
        finally:
            self.profiles.append((time.perf_counter() - started, profile))


@dataclass(frozen=True)
class Case:
    """One timed step; ``reset`` runs before it, outside the timing."""

    label: str
    action: Callable[[], object]
    reset: Callable[[], object] | None = None


def make_record(run: int, *, seed: int = 5) -> RunRecord:
    """A run shaped like an AEgIS run with a PCO camera: mixed-dtype scalars (some NaN), waveforms, images."""
    rng = np.random.default_rng(seed)
    values: dict[str, Any] = {}
    for i in range(SCALARS):
        name = f"Batman*acq_0*param_{i:03d}"
        if i % 10 == 8:
            values[name] = np.int64(rng.integers(0, 10**6))
        elif i % 10 == 9:
            values[name] = np.bool_(rng.random() < 0.5)
        else:
            values[name] = np.float64(np.nan if i % 97 == 0 else rng.normal(10.0, 1.0))
    for i in range(WAVEFORMS):
        values[f"captorius*acq_0*Channel_{i:02d}*Y_[V]"] = rng.standard_normal(WAVEFORM_SAMPLES)
    for i in range(IMAGES):
        values[f"CCD_{i}*acq_0*img"] = rng.standard_normal((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32) * 4 + 100
    values["PCO_Edge*acq_0*raw*img"] = rng.integers(90, 110, size=(CAMERA_SIZE, CAMERA_SIZE), dtype=np.uint16)
    return RunRecord(run=run, start=None, end=None, values=values)


def store_wide(conn: psycopg.Connection[tuple[Any, ...]], record: RunRecord, *, replace_run: bool = False) -> None:
    """The seed's ingest: add a column per new observable, arrays as float64 bytes and a shape, one row INSERT."""
    table = sql.Identifier(WIDE_TABLE)
    existing = {c.name for c in conn.execute(sql.SQL("SELECT * FROM {} LIMIT 0").format(table)).description or []}
    columns: list[str] = ["run"]
    row: list[Any] = [record.run]
    for name, value in record.values.items():
        array = np.asarray(value)
        if array.ndim == 0:
            columns.append(name)
            row.append(float(array))
            new = [(name, "double precision")]
        else:
            columns += [name, f"{name}_shape"]
            row += [array.astype(np.float64).tobytes(), ",".join(map(str, array.shape))]
            new = [(name, "bytea"), (f"{name}_shape", "text")]
        for column, type_ in new:
            if column not in existing:
                alter = sql.SQL("ALTER TABLE {} ADD COLUMN {} " + type_).format(table, sql.Identifier(column))
                conn.execute(alter)
    if replace_run:
        conn.execute(sql.SQL("DELETE FROM {} WHERE run = %s").format(table), (record.run,))
    insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(sql.Placeholder() * len(columns))
    )
    conn.execute(insert, row)
    conn.commit()


def build_cases(
    db: Database, conn: psycopg.Connection[tuple[Any, ...]], store: ParquetStore, records: list[RunRecord]
) -> list[Case]:
    """Ours, then the baseline, each as first run / next run / re-ingest."""
    first, second = records
    prepared_first, prepared_second = prepare_run(first), prepare_run(second)

    def ingest(prepared: PreparedRun) -> Callable[[], None]:
        return lambda: store_run(db, store, prepared, "bench", job_id=None)

    def empty_database() -> None:
        conn.execute(f"TRUNCATE {VALUE_TABLES} RESTART IDENTITY")
        conn.commit()
        shutil.rmtree(store.root, ignore_errors=True)

    def empty_wide_table() -> None:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(WIDE_TABLE)))
        conn.execute(sql.SQL("CREATE TABLE {} (run integer PRIMARY KEY)").format(sql.Identifier(WIDE_TABLE)))
        conn.commit()

    return [
        Case(f"store_run: {CASES[0]}", ingest(prepared_first), empty_database),
        Case(f"store_run: {CASES[1]}", ingest(prepared_second)),
        Case(f"store_run: {CASES[2]}", ingest(prepared_second)),
        Case(f"baseline: {CASES[0]}", lambda: store_wide(conn, first), empty_wide_table),
        Case(f"baseline: {CASES[1]}", lambda: store_wide(conn, second)),
        Case(f"baseline: {CASES[2]}", lambda: store_wide(conn, second, replace_run=True)),
    ]


def run_case(conn: psycopg.Connection[tuple[Any, ...]], case: Case) -> float:
    if case.reset is not None:
        case.reset()
    checkpoint(conn)
    return time_call(case.action)


def profile_case(conn: psycopg.Connection[tuple[Any, ...]], case: Case, store: ProfiledStore) -> dict[str, float]:
    """Wall seconds per phase of one store_run, on its own thread and on the sidecar thread."""
    if case.reset is not None:
        case.reset()
    checkpoint(conn)
    total, profile = profile_call(case.action)
    sidecar_total, sidecar_profile = store.profiles[-1]
    main = sum_phases(profile, MAIN_PHASES, total, "other (Python, psycopg, SQLAlchemy)")
    sidecar = sum_phases(sidecar_profile, SIDECAR_PHASES, sidecar_total, "other (Arrow table, rename)")
    return {
        **{f"store_run: {label}": seconds for label, seconds in main.items()},
        "**store_run total**": total,
        **{f"sidecar thread: {label}": seconds for label, seconds in sidecar.items()},
        "**sidecar thread total** (alongside store_run)": sidecar_total,
    }


def measure_target(target: Target, reps: int, *, profile: bool) -> tuple[list[list[float]], list[dict[str, float]]]:
    """Seconds per case and repetition and, if asked, where store_run's time goes in each of its three cases."""
    records = [make_record(FIRST_RUN), make_record(FIRST_RUN + 1)]
    with (
        migrated_database(target.url, "p2") as db,
        psycopg.connect(db.url) as conn,
        tempfile.TemporaryDirectory(prefix="bench-p2-") as tmp,
    ):
        cases = build_cases(db, conn, ParquetStore(Path(tmp) / "parquet", fsync=True), records)
        seconds: list[list[float]] = [[] for _ in cases]
        for rep in range(reps):
            for i, case in enumerate(cases):
                seconds[i].append(run_case(conn, case))
            print(f"  {target.name} rep {rep + 1}/{reps}: " + ", ".join(f"{s[-1]:.2f}" for s in seconds), flush=True)
        breakdowns: list[dict[str, float]] = []
        if profile:
            store = ProfiledStore(Path(tmp) / "parquet")
            breakdowns = [profile_case(conn, case, store) for case in build_cases(db, conn, store, records)[:3]]
    return seconds, breakdowns


def run(options: Options) -> Section:
    """Time store_run and the baseline on every target; profile store_run on the first."""
    results: dict[str, list[list[float]]] = {}
    breakdowns: list[dict[str, float]] = []
    for index, target in enumerate(options.targets):
        print(f"P2 on {target.description} ({target.name}), {options.reps} repetitions", flush=True)
        results[target.name], found = measure_target(target, options.reps, profile=index == 0)
        breakdowns = breakdowns or found
    medians = {name: [statistics.median(s) for s in seconds] for name, seconds in results.items()}
    headers = ["case", *(t.description for t in options.targets)]
    rows = []
    for i, case in enumerate(CASES):
        rows.append([f"store_run: {case} (target < 1.0 s)", *(_cell(results[t.name][i]) for t in options.targets)])
        rows.append([f"baseline: {case}", *(_cell(results[t.name][i + 3]) for t in options.targets)])
        speedups = [f"**{medians[t.name][i + 3] / medians[t.name][i]:.1f}x**" for t in options.targets]
        rows.append([f"speed-up (target ≥ 3x): {case}", *speedups])
    table = format_table(headers, rows)
    profile_table = _format_breakdown(breakdowns)
    print(table, profile_table, sep="\n\n")
    return Section("P2", "one realistic run through store_run", _explain(table, profile_table, options.targets[0]))


def _cell(seconds: list[float]) -> str:
    return f"**{statistics.median(seconds):.3g} s** ({min(seconds):.3g}-{max(seconds):.3g})"


def _format_breakdown(breakdowns: list[dict[str, float]]) -> str:
    rows = [[label, *(f"{b[label]:.3f}" for b in breakdowns)] for label in (breakdowns[0] if breakdowns else [])]
    return format_table(["phase (wall s, one profiled call)", *CASES[: len(breakdowns)]], rows)


def _explain(table: str, profile_table: str, profiled: Target) -> str:
    return f"""\
One run of {SCALARS} scalars (float64 with NaNs, int64, bool), {WAVEFORMS} float64 waveforms of
{WAVEFORM_SAMPLES:,} samples, {IMAGES} float32 images {IMAGE_SIZE}² and one uint16 image {CAMERA_SIZE}², prepared once
(`prepare_run`) outside the timing and stored by `pipeline.ingest.store_run`, with fsync on in the Parquet sidecar and
in the server. Each case starts after a CHECKPOINT; the first run starts from empty tables. The baseline is the 2023
app's way, made as kind to it as it goes: one transaction, `ALTER TABLE … ADD COLUMN` per new observable (all
{SCALARS + 2 * (WAVEFORMS + IMAGES + 1)} columns on the first run), arrays as float64 bytes (`bytea`, binary parameters)
plus a shape text column, one row INSERT; its re-ingest deletes the old row first.

{table}

Where `store_run`'s time goes (cProfile of one call per case on {profiled.description}; wall seconds). The sidecar
thread writes the 2D arrays' Parquet file while `store_run` takes the other values; `store_run` waits for it only
before recording the file:

{profile_table}

What changed to get here. Before, on this machine, `store_run` took 0.8-1.7 s; its profile showed `compute_stats`
at 0.7-1.1 s (the 5120² uint16 image: `values - mean` and its square made two 200 MB float64 temporaries), then the
sidecar (SHA-256 0.1 s, Parquet write 0.1-0.7 s, fsync 0.13 s) in line with the database work.

- `compute_stats` sums the squared deviations over 65,536-element chunks in one reused float64 buffer: about 0.08 s
  instead of 0.9 s for the camera image, same formula, same NaN/inf handling.
- `store_run` writes and fsyncs the sidecar file on a second thread while the database takes the scalars, waveforms
  and statistics (SHA-256, Arrow and fsync all release the GIL); the transaction waits for the file before recording
  it, and a failure on either side still removes the new file and leaves the old run whole.
- What is left is I/O: the waveforms' COPY (16 MB into TOAST, about 0.1-0.2 s), the sidecar's page-cache write and
  fsync (68 MB, about 0.2-0.35 s, hidden behind the database work), and on re-ingest deleting the old values and
  unlinking the old 68 MB file (about 0.05 s each).
"""
