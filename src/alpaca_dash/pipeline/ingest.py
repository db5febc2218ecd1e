"""Ingest: one run is one transaction; a range is a loop of runs with progress and cancel. Plain functions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alpaca_dash.domain import RunRecord, RunStatus, UnsupportedValue, classify_value
from alpaca_dash.parquet_cache.store import ParquetStore, SidecarError, StoredArray
from alpaca_dash.sources.base import RunSource, SourceError
from alpaca_dash.timescale import run_store, writer
from alpaca_dash.timescale.database import Database
from alpaca_dash.types import Array

if TYPE_CHECKING:
    from alpaca_dash.pipeline.quality import QualityEvaluator

log = logging.getLogger(__name__)
#: an observable name's UTF-8 bytes; the registry's indexes hold names well below PostgreSQL's 2704-byte limit
MAX_NAME_BYTES = 1000
MAX_UNIT = 100


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
    values: dict[str, Array] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def check_name(name: str) -> None:
    """:raises UnsupportedValue: for a name the registry cannot hold: control characters, not UTF-8, too long."""
    if any(ord(c) < 32 for c in name):
        raise UnsupportedValue("the observable name holds a control character")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise UnsupportedValue("the observable name is not valid UTF-8") from None
    if size > MAX_NAME_BYTES:
        raise UnsupportedValue(f"the observable name has {size} bytes, more than {MAX_NAME_BYTES}")


def clean_unit(unit: str | None) -> str | None:
    """The unit without control characters or invalid text, at most ``MAX_UNIT`` characters (None when empty)."""
    if unit is None:
        return None
    cleaned = "".join(c for c in unit if ord(c) >= 32).encode("utf-8", "replace").decode("utf-8")[:MAX_UNIT]
    return cleaned or None


def prepare_run(record: RunRecord) -> PreparedRun:
    """Classify every value of a run; whatever cannot be stored exactly becomes an error for that observable."""
    prepared = PreparedRun(record, errors=sorted(record.errors.items()))
    for name, raw in record.values.items():
        if not name or name in record.errors:
            continue
        try:
            check_name(name)
            kind, array = classify_value(raw)
        except UnsupportedValue as exc:
            prepared.errors.append((name, str(exc)))
            continue
        prepared.values[name] = array
        unit = clean_unit(record.units.get(name))
        entry = writer.ObservableEntry(name, kind, array.dtype.name, tuple(array.shape), unit)
        prepared.entries.append(entry)
    return prepared


def ingest_run(
    db: Database,
    store: ParquetStore,
    source: RunSource,
    run: int,
    *,
    job_id: int | None = None,
    quality: QualityEvaluator | None = None,
) -> IngestResult:
    """Read one run from the source and store it, replacing any earlier version of it atomically.

    A run that cannot be stored for any reason (the source cannot read it, its 2D arrays cannot be written, the
    database refuses what it holds) is recorded as failed with the reason and leaves the stored version (if any) as
    it was. Only when the database does not answer at all does the error go to the caller. Once the run is committed,
    ``quality`` (if given) judges it on its own thread.
    """
    started = time.perf_counter()
    try:
        record = source.read_run(run)
        prepared = prepare_run(record)
        store_run(db, store, prepared, source.kind, job_id=job_id)
    except Exception as exc:  # whatever one run holds or raises, it is that run's failure, not the range's
        if not isinstance(exc, SourceError | SidecarError):
            if not db.answers():  # the database itself is gone: nothing can be recorded, the caller retries
                raise
            log.exception("run %d could not be stored", run)
        message = str(exc) if isinstance(exc, SourceError | SidecarError) else f"{type(exc).__name__}: {exc}"
        record_run_failure(db, run, source.kind, message, job_id)
        return IngestResult(run, False, 0, [("", message)], time.perf_counter() - started)
    if quality is not None:
        quality.submit(record.run, prepared.values)
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
    record = prepared.record
    row = writer.RunRow(
        record.run,
        record.start,
        record.end,
        RunStatus.INGESTED,
        source_kind,
        len(prepared.entries),
        len(prepared.errors),
    )
    write = run_store.RunWrite(row, prepared.entries, prepared.values, prepared.errors, job_id)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sidecar") as pool:
        sidecar: Future[dict[int, StoredArray]] | None = None

        def start_sidecar(images: dict[int, Array]) -> Callable[[], dict[int, StoredArray]]:
            nonlocal sidecar
            sidecar = pool.submit(store.write_run, record.run, images)
            return sidecar.result

        try:
            old_files = run_store.replace_run(db, write, start_sidecar)
        except BaseException:
            if sidecar is not None:
                store.remove(_written_files(sidecar))
            raise
    assert sidecar is not None
    store.remove(set(old_files) - {ref.file for ref in sidecar.result().values()})


def _written_files(sidecar: Future[dict[int, StoredArray]]) -> set[str]:
    """The files a sidecar write left behind, once it has finished; none if it failed."""
    wait([sidecar])
    if sidecar.exception() is not None:
        return set()
    return {ref.file for ref in sidecar.result().values()}


def record_run_failure(db: Database, run: int, source_kind: str, message: str, job_id: int | None) -> None:
    """Record that a whole run failed; a run stored earlier keeps its values."""
    log.warning("run %d failed: %s", run, message)
    run_store.record_run_failure(db, run, source_kind, message, job_id)


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
    quality: QualityEvaluator | None = None,
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
        outcome = ingest_run(db, store, source, run, job_id=job_id, quality=quality)
        (result.ingested if outcome.ok else result.failed).append(run)
        if on_progress is not None:
            on_progress(outcome)
    return result
