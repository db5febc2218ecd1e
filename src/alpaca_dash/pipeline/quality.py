"""Judging runs: every enabled check on a run, after its commit and in a transaction of its own.

Ingest hands each committed run to a :class:`QualityEvaluator`, which judges it in a process of its own from the
values the ingest had in memory, so that the ingest neither waits for the checks, nor fails or slows with them. A
check that raises is recorded as ``error`` for that run. Ranges are judged again from storage (:func:`evaluate_range`,
a job with progress and cancel).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from alpaca_dash.alarms import outbox
from alpaca_dash.alarms.outbox import Notify
from alpaca_dash.domain import ObservableKind
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.quality_inputs import ObservableRef, ReferenceCache, RunInputs
from alpaca_dash.pipeline.quality_spill import Spill, load_spill, remove_spill, spill_values
from alpaca_dash.quality.checks import CheckState, HistoryCheck, ImageCheck, ReferenceCheck
from alpaca_dash.quality.evaluate import CheckResult, evaluate_check
from alpaca_dash.queries.checks import StoredCheck, load_checks
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.notify import notify_judged
from alpaca_dash.timescale.schema import observables, quality_results, runs
from alpaca_dash.types import Array

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

#: runs waiting with their values in memory; beyond this a run is judged from storage (2D arrays are large)
MAX_PENDING_VALUES = 2
#: nice value of the checks' process (or thread)
EVALUATOR_NICENESS = 10


@dataclass(frozen=True)
class RunVerdict:
    run: int
    results: list[tuple[StoredCheck, CheckResult]]
    seconds: float

    def count(self, state: CheckState) -> int:
        return sum(1 for _, result in self.results if result.state is state)


def evaluate_run(
    db: Database,
    store: ParquetStore,
    run: int,
    *,
    values: Mapping[str, Array] | None = None,
    references: ReferenceCache | None = None,
    checks: Sequence[StoredCheck] | None = None,
    notify: Notify | None = None,
) -> RunVerdict:
    """Judge ``run`` by every enabled check and store the results, replacing the run's earlier ones; with
    ``notify``, the run's alarms go into the outbox in the same transaction.

    :param values: the run's values as just ingested; None reads them from storage.
    """
    started = time.perf_counter()
    checks = load_checks(db, enabled_only=True) if checks is None else checks
    history = [stored.check for stored in checks if isinstance(stored.check, HistoryCheck)]
    needs = ({check.observable for check in history}, max((check.last_runs for check in history), default=0))
    inputs = RunInputs(db, store, run, _registry(db, checks), values, references or ReferenceCache(), history=needs)
    results = [(stored, judge(stored, inputs)) for stored in checks]
    store_results(db, run, results, notify)
    if values is not None and all(result.state is not CheckState.ALARM for _, result in results):
        inputs.offer_as_references({stored.check.observable for stored in checks if _ordered(stored)})
    return RunVerdict(run, results, time.perf_counter() - started)


def _ordered(stored: StoredCheck) -> bool:
    """Whether a check compares its reference pixel by pixel or bin by bin (not as a sorted distribution)."""
    check = stored.check
    return isinstance(check, ImageCheck) or (isinstance(check, ReferenceCheck) and check.counts)


def judge(stored: StoredCheck, inputs: RunInputs) -> CheckResult:
    """One check's result; whatever the check raises becomes an ``error`` result with the reason."""
    check = stored.check
    if check.observable not in inputs.registry:
        return CheckResult(CheckState.NODATA, message=f"{check.observable!r} is not registered")
    try:
        return evaluate_check(check, inputs)
    except Exception as exc:  # a broken check must never stop the others
        log.warning("check %r on run %d failed: %s", check.name, inputs.run, exc)
        return CheckResult(CheckState.ERROR, message=f"{type(exc).__name__}: {exc}"[:2000])


def store_results(
    db: Database, run: int, results: Sequence[tuple[StoredCheck, CheckResult]], notify: Notify | None = None
) -> None:
    """Replace a run's results in one transaction, with its message to each contact point when checks are in alarm;
    open pages hear of them at the commit."""
    rows = [
        {
            "run": run,
            "check_id": stored.id,
            "state": result.state.value,
            "value": result.value,
            "p_value": result.p_value,
            "reference_run": result.reference_run,
            "message": result.message,
        }
        for stored, result in results
    ]
    with db.begin() as conn:
        conn.execute(delete(quality_results).where(quality_results.c.run == run))
        if rows:
            conn.execute(quality_results.insert(), rows)
        if notify is not None:
            alarms = [
                {"check": stored.check.name, "observable": stored.check.observable, "message": result.message}
                for stored, result in results
                if result.state is CheckState.ALARM
            ]
            outbox.enqueue(conn, run, notify.contact_points, alarms, window=notify.window)
        notify_judged(conn, run)


def _registry(db: Database, checks: Sequence[StoredCheck]) -> dict[str, ObservableRef]:
    names = sorted({stored.check.observable for stored in checks})
    if not names:
        return {}
    query = select(observables.c.name, observables.c.id, observables.c.kind).where(observables.c.name.in_(names))
    with db.begin() as conn:
        return {row.name: ObservableRef(row.id, ObservableKind(row.kind)) for row in conn.execute(query)}


class QualityEvaluator:
    """Judges committed runs in a process of its own, one at a time, in the order they were committed.

    Not a thread of the ingest process: bench P10 measured the next run's ``store_run`` 1.26x slower while the last
    one was judged on a thread (at nice 10), although the ingest thread itself needs 0.04 s of CPU in its 0.23 s.
    Each round trip of the ingest transaction waited for the GIL the checks held, up to the 5 ms switch interval.
    The process (spawned, so nothing of this process's threads or connections is copied) shares no GIL, runs at
    nice 10 and keeps the reference cache across runs; it is started at once so the first run does not wait for it.

    :param on_verdict: called in this process, on the hand-off thread, with each run's verdict after its results are
        stored.
    :param own_process: False judges on the hand-off thread itself, for a command that ingests a few runs and ends
        (a process would cost it a second of start-up: bench cli). A store in object storage is judged on the thread
        too: the process opens the store again from its local folder.
    """

    def __init__(
        self,
        db: Database,
        store: ParquetStore,
        *,
        on_verdict: Callable[[RunVerdict], None] | None = None,
        notify: Notify | None = None,
        own_process: bool = True,
    ) -> None:
        self.db = db
        self.store = store
        self.on_verdict = on_verdict
        self.notify = notify
        # niced too: the values' file is written on it while the next run is being stored
        self._handoff = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quality", initializer=_lower_priority)
        self._lock = threading.Lock()
        self._with_values = 0
        self._references = ReferenceCache()
        # the checks' process opens the store again from its folder; a store in S3 (no folder) is judged here
        local = isinstance(getattr(store, "root", None), Path)
        self._process = self._start_process() if own_process and local else None

    def _start_process(self) -> ProcessPoolExecutor:
        import multiprocessing  # here: a command judging on its thread does not load it (bench cli)
        from concurrent.futures import ProcessPoolExecutor

        process = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.db.url, str(self.store.root), self.store.fsync, logging.getLogger().getEffectiveLevel()),
        )
        self._ready = process.submit(_worker_ready)
        return process

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the checks' process has started (imports and connection), for benchmarks and tests."""
        if self._process is not None:
            self._ready.result(timeout)

    def submit(self, run: int, values: Mapping[str, Array] | None = None) -> Future[RunVerdict | None]:
        """Queue ``run`` to be judged; never raises, and a failure is logged rather than passed to the ingest.

        O(1) for the caller: the values are written for the checks' process on the hand-off thread.
        """
        with self._lock:
            if values is not None and self._with_values >= MAX_PENDING_VALUES:
                values = None
            held = values is not None
            self._with_values += held
        return self._handoff.submit(self._evaluate, run, values, held)

    def _evaluate(self, run: int, values: Mapping[str, Array] | None, held: bool) -> RunVerdict | None:
        try:
            verdict = self._judge(run, values)
        except Exception:
            log.exception("quality checks of run %d not stored", run)
            return None
        finally:
            with self._lock:
                self._with_values -= held
        log.info(
            "run %d judged by %d checks in %.2f s: %d alarm, %d warn",
            run,
            len(verdict.results),
            verdict.seconds,
            verdict.count(CheckState.ALARM),
            verdict.count(CheckState.WARN),
        )
        if self.on_verdict is not None:
            try:
                self.on_verdict(verdict)
            except Exception:
                log.exception("after the quality checks of run %d", run)
        return verdict

    def _judge(self, run: int, values: Mapping[str, Array] | None) -> RunVerdict:
        if self._process is None:
            return evaluate_run(
                self.db, self.store, run, values=values, references=self._references, notify=self.notify
            )
        spill = _spill(run, values)
        try:
            return self._in_process(run, spill)
        finally:
            if spill is not None:
                remove_spill(spill)

    def _in_process(self, run: int, spill: Spill | None) -> RunVerdict:
        """The verdict from the checks' process; one that died (killed, out of memory) is replaced once."""
        from concurrent.futures.process import BrokenProcessPool

        assert self._process is not None
        try:
            return self._process.submit(_judge_in_worker, run, spill, self.notify).result()
        except BrokenProcessPool:
            log.warning("the quality checks' process died judging run %d: starting another", run)
            self._process.shutdown(wait=False)
            self._process = self._start_process()
            return self._process.submit(_judge_in_worker, run, spill, self.notify).result()

    def close(self, *, wait: bool = True) -> None:
        """Stop taking runs; with ``wait``, judge the queued ones first."""
        self._handoff.shutdown(wait=wait, cancel_futures=not wait)
        if self._process is not None:
            self._process.shutdown(wait=wait, cancel_futures=not wait)


def _lower_priority() -> None:
    """Give the hand-off thread (which judges, or writes the values for the process) a lower CPU priority than the
    ingest (Linux schedules threads on their own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), EVALUATOR_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: the checks just share the CPU equally
        pass


def _spill(run: int, values: Mapping[str, Array] | None) -> Spill | None:
    """The values in a file for the checks' process; None (it reads the run from storage) when there are none or
    no room for them."""
    if values is None:
        return None
    try:
        return spill_values(values)
    except OSError as exc:
        log.warning("run %d's values not handed to the checks: %s", run, exc)
        return None


@dataclass
class _Worker:
    """What the checks' process keeps between runs."""

    db: Database
    store: ParquetStore
    references: ReferenceCache


_worker: _Worker | None = None


def _start_worker(url: str, root: str, fsync: bool, level: int) -> None:
    """In the checks' process: deaf to Ctrl-C, a lower CPU priority than the ingest, the parent's log level, one
    connection, and the checks' libraries loaded."""
    global _worker
    # Ctrl-C in a terminal reaches the whole process group: the parent stops this process when it stops itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        os.nice(EVALUATOR_NICENESS)
    except (AttributeError, OSError):  # not allowed: the checks just share the CPU equally
        pass
    _worker = _Worker(Database(url, pool_size=1), ParquetStore(Path(root), fsync=fsync), ReferenceCache())
    import scipy.stats  # noqa: F401  the two-sample tests' library, most of a second to load: before the first run


def _worker_ready() -> bool:
    return _worker is not None


def _judge_in_worker(run: int, spill: Spill | None, notify: Notify | None) -> RunVerdict:
    assert _worker is not None
    values = None if spill is None else load_spill(spill)
    return evaluate_run(_worker.db, _worker.store, run, values=values, references=_worker.references, notify=notify)


@dataclass
class QualityRangeResult:
    requested: int
    judged: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: bool = False
    alarms: int = 0


def evaluate_range(
    db: Database,
    store: ParquetStore,
    first: int,
    last: int,
    *,
    on_progress: Callable[[int, RunVerdict | None], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> QualityRangeResult:
    """Judge every stored run between ``first`` and ``last`` again, oldest first, from storage."""
    with db.begin() as conn:
        stored = list(
            conn.execute(
                select(runs.c.run)
                .where(runs.c.run.between(first, last), runs.c.status == "ingested")
                .order_by(runs.c.run)
            ).scalars()
        )
    result = QualityRangeResult(requested=len(stored))
    checks = load_checks(db, enabled_only=True)
    references = ReferenceCache()
    for run in stored:
        if should_cancel is not None and should_cancel():
            result.cancelled = True
            break
        verdict: RunVerdict | None = None
        try:
            verdict = evaluate_run(db, store, run, references=references, checks=checks)
        except Exception:
            log.exception("quality checks of run %d not stored", run)
            result.failed.append(run)
        else:
            result.judged.append(run)
            result.alarms += verdict.count(CheckState.ALARM)
        if on_progress is not None:
            on_progress(run, verdict)
    return result
