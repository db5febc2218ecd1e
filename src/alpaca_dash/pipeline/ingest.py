"""Ingest: one run is one transaction; a range is a loop of runs with progress and cancel. Plain functions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import text

from alpaca_dash.domain import ObservableKind, RunRecord, UnsupportedValue, classify_value, compute_stats
from alpaca_dash.parquet_cache.store import ParquetStore, SidecarError, StoredArray
from alpaca_dash.sources.base import RunSource, SourceError
from alpaca_dash.timescale import writer
from alpaca_dash.timescale.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    run: int
    ok: bool
    observables: int
    errors: list[tuple[str, str]]
    seconds: float


@dataclass
class PreparedRun:
    """A run's values sorted by kind, with the observables that could not be stored."""

    record: RunRecord
    entries: list[writer.ObservableEntry] = field(default_factory=list)
    values: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def prepare_run(record: RunRecord) -> PreparedRun:
    """Classify every value of a run; whatever cannot be stored exactly becomes an error for that observable."""
    prepared = PreparedRun(record, errors=sorted(record.errors.items()))
    for name, raw in record.values.items():
        if not name or name in record.errors:
            continue
        try:
            kind, array = classify_value(raw)
        except UnsupportedValue as exc:
            prepared.errors.append((name, str(exc)))
            continue
        prepared.values[name] = array
        entry = writer.ObservableEntry(name, kind, array.dtype.name, tuple(array.shape), record.units.get(name))
        prepared.entries.append(entry)
    return prepared


def ingest_run(
    db: Database, store: ParquetStore, source: RunSource, run: int, *, job_id: int | None = None
) -> IngestResult:
    """Read one run from the source and store it, replacing any earlier version of it atomically.

    A run the source cannot read, or whose 2D arrays cannot be written, is recorded as an error and leaves the stored
    version (if any) as it was.
    """
    started = time.perf_counter()
    try:
        record = source.read_run(run)
    except SourceError as exc:
        record_run_failure(db, run, source.kind, str(exc), job_id)
        return IngestResult(run, False, 0, [("", str(exc))], time.perf_counter() - started)
    try:
        prepared = prepare_run(record)
        store_run(db, store, prepared, source.kind, job_id=job_id)
    except SidecarError as exc:
        record_run_failure(db, run, source.kind, str(exc), job_id)
        return IngestResult(run, False, 0, [("", str(exc))], time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    log.info("run %d: %d observables, %d errors, %.2f s", run, len(prepared.entries), len(prepared.errors), elapsed)
    return IngestResult(run, True, len(prepared.entries), prepared.errors, elapsed)


def store_run(
    db: Database, store: ParquetStore, prepared: PreparedRun, source_kind: str, *, job_id: int | None
) -> None:
    """Write a prepared run in one transaction; the old version's sidecar files go only after the commit.

    The 2D arrays' file is written and fsynced on a second thread while the database takes the other values; the
    transaction waits for it before recording the file and committing.
    """
    run = prepared.record.run
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sidecar") as pool:
        sidecar: Future[dict[int, StoredArray]] | None = None
        try:
            with db.begin() as conn:
                cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                writer.lock_run(cur, run)
                ids = writer.register_observables(cur, run, prepared.entries)
                by_kind = _split_by_kind(prepared, ids)
                sidecar = pool.submit(store.write_run, run, by_kind[ObservableKind.ARRAY2D])
                old_files = writer.delete_run_values(cur, run)
                scalars = by_kind[ObservableKind.SCALAR]
                if scalars:
                    obs_ids, values, codes, exact = writer.scalar_columns(scalars)
                    runs = np.full(len(obs_ids), run, dtype=np.int32)
                    writer.copy_scalars(cur, runs, obs_ids, values, codes, exact)
                writer.copy_arrays1d(cur, run, by_kind[ObservableKind.ARRAY1D])
                arrays = {**by_kind[ObservableKind.ARRAY1D], **by_kind[ObservableKind.ARRAY2D]}
                writer.copy_stats(cur, run, {obs: compute_stats(a) for obs, a in arrays.items()})
                refs = sidecar.result()
                writer.insert_arrays2d(cur, run, refs)
                writer.insert_errors(cur, run, prepared.errors, job_id)
                row = writer.RunRow(
                    run,
                    prepared.record.start,
                    prepared.record.end,
                    "ingested",
                    source_kind,
                    len(prepared.entries),
                    len(prepared.errors),
                )
                writer.upsert_run(cur, row)
                writer.notify_run(cur, run)
        except BaseException:
            if sidecar is not None:
                store.remove(_written_files(sidecar))
            raise
    store.remove(set(old_files) - {ref.file for ref in refs.values()})


def _written_files(sidecar: Future[dict[int, StoredArray]]) -> set[str]:
    """The files a sidecar write left behind, once it has finished; none if it failed."""
    wait([sidecar])
    if sidecar.exception() is not None:
        return set()
    return {ref.file for ref in sidecar.result().values()}


def _split_by_kind(
    prepared: PreparedRun, ids: Mapping[str, int]
) -> dict[ObservableKind, dict[int, np.ndarray[Any, Any]]]:
    by_kind: dict[ObservableKind, dict[int, np.ndarray[Any, Any]]] = {kind: {} for kind in ObservableKind}
    for entry in prepared.entries:
        by_kind[entry.kind][ids[entry.name]] = prepared.values[entry.name]
    return by_kind


def record_run_failure(db: Database, run: int, source_kind: str, message: str, job_id: int | None) -> None:
    """Record that a whole run failed; a run stored earlier keeps its values."""
    log.warning("run %d failed: %s", run, message)
    with db.begin() as conn:
        conn.execute(
            text("INSERT INTO ingest_errors (run, observable, message, job_id) VALUES (:run, '', :message, :job)"),
            {"run": run, "message": message, "job": job_id},
        )
        conn.execute(
            text(
                "INSERT INTO runs (run, status, source, error_count) VALUES (:run, 'failed', :source, 1) "
                "ON CONFLICT (run) DO UPDATE SET error_count = runs.error_count + 1"
            ),
            {"run": run, "source": source_kind},
        )


@dataclass
class RangeResult:
    requested: int
    ingested: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    cancelled: bool = False


def ingest_range(
    db: Database,
    store: ParquetStore,
    source: RunSource,
    first: int,
    last: int,
    *,
    job_id: int | None = None,
    on_progress: Callable[[IngestResult], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> RangeResult:
    """Ingest every run the source has between ``first`` and ``last``; one failing run never stops the others."""
    available = source.available_runs(first, last)
    result = RangeResult(requested=last - first + 1)
    present = set(available)
    result.missing = [run for run in range(first, last + 1) if run not in present]
    for run in available:
        if should_cancel is not None and should_cancel():
            result.cancelled = True
            break
        outcome = ingest_run(db, store, source, run, job_id=job_id)
        (result.ingested if outcome.ok else result.failed).append(run)
        if on_progress is not None:
            on_progress(outcome)
    return result
