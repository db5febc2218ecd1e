"""P10: 200 quality checks on one realistic run, judged after its commit; and what they cost the ingest.

Runs of 400 scalars, 20 waveforms of 1e5 float64 and 4 images 1024² float32 are stored by
``pipeline.ingest.store_run``. 200 checks are stored: 10 Kolmogorov-Smirnov and 10 chi2 checks of the waveforms
against the newest good run, hot and dead pixels of two images against it, 140 scalar bounds and 38 robust history
checks (last 10 good runs). Each repetition ingests a sequence of runs back to back twice, alternating: without an
evaluator; with one judging in its own process while the next run is being stored (``QualityEvaluator``, the
scheduler's, its process started before the first run); and with one judging on a thread of the ingest process at
nice 10 (``own_process=False``: what a command does, and what the scheduler did before). The latency is from the
commit to the results being stored (in the process).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import prepare_run, store_run
from alpaca_dash.pipeline.quality import QualityEvaluator, RunVerdict
from alpaca_dash.quality.checks import parse_checks
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import import_checks

from bench.common import Options, Section, Target, format_table, migrated_database

FIRST_RUN = 600000
HISTORY = 12
SEQUENCE = 4
SCALARS = 400
WAVEFORMS = 20
SAMPLES = 100_000
IMAGES = 4
IMAGE_SIZE = 1024


def make_record(run: int) -> RunRecord:
    rng = np.random.default_rng(run)
    values: dict[str, Any] = {f"Batman*acq_0*param_{i:03d}": np.float64(rng.normal(10, 1)) for i in range(SCALARS)}
    for i in range(WAVEFORMS):
        values[f"captorius*acq_0*Channel_{i:02d}*Y_[V]"] = rng.standard_normal(SAMPLES)
    for i in range(IMAGES):
        values[f"CCD_{i}*acq_0*img"] = rng.standard_normal((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32) * 4 + 100
    return RunRecord(run=run, start=None, end=None, values=values)


def make_checks() -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    for i in range(WAVEFORMS):
        test = "ks" if i % 2 == 0 else "chi2"
        name = f"captorius*acq_0*Channel_{i:02d}*Y_[V]"
        checks.append({"kind": "reference", "name": f"wave {i} {test}", "observable": name, "test": test})
    for i, measure in enumerate(("hot_fraction", "dead_fraction")):
        checks.append(
            {
                "kind": "image",
                "name": f"ccd {i} {measure}",
                "observable": f"CCD_{i}*acq_0*img",
                "measure": measure,
                "bounds": {"warn_high": 0.001, "alarm_high": 0.01},
            }
        )
    bounds = {"alarm_low": 0, "warn_low": 5, "warn_high": 15, "alarm_high": 20}
    scalars = [f"Batman*acq_0*param_{i:03d}" for i in range(178)]
    checks.extend(
        {"kind": "scalar", "name": f"param {i}", "observable": scalars[i], "bounds": bounds} for i in range(140)
    )
    checks.extend(
        {"kind": "history", "name": f"param {i} history", "observable": scalars[i], "last_runs": 10}
        for i in range(140, 178)
    )
    assert len(checks) == 200
    return checks


def _finished(committed: float, into: list[tuple[float, Any]], future: Any) -> None:
    """Note how long after the commit the verdict came."""
    into.append((time.perf_counter() - committed, future))


def measure_target(target: Target, reps: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {
        "plain": [],
        "judged": [],
        "thread": [],
        "latency": [],
        "alone": [],
        "evaluate": [],
    }
    with migrated_database(target.url, "p10") as db, tempfile.TemporaryDirectory(prefix="bench-p10-") as tmp:
        store = ParquetStore(Path(tmp) / "parquet", fsync=True)
        for run in range(FIRST_RUN, FIRST_RUN + HISTORY):
            store_run(db, store, prepare_run(make_record(run)), "bench", job_id=None)
        import_checks(DataAccess(db, store, None), parse_checks(make_checks()))  # type: ignore[arg-type]
        sequence = [prepare_run(make_record(run)) for run in range(FIRST_RUN + HISTORY, FIRST_RUN + HISTORY + SEQUENCE)]
        for rep in range(reps):
            for prepared in sequence:
                started = time.perf_counter()
                store_run(db, store, prepared, "bench", job_id=None)
                found["plain"].append(time.perf_counter() - started)
            evaluator = QualityEvaluator(db, store)
            evaluator.wait_ready()
            done: list[tuple[float, Any]] = []
            for prepared in sequence:
                started = time.perf_counter()
                store_run(db, store, prepared, "bench", job_id=None)
                committed = time.perf_counter()
                future = evaluator.submit(prepared.record.run, prepared.values)
                found["judged"].append(time.perf_counter() - started)
                future.add_done_callback(partial(_finished, committed, done))
            evaluator.close()
            on_thread = QualityEvaluator(db, store, own_process=False)
            for prepared in sequence:
                started = time.perf_counter()
                store_run(db, store, prepared, "bench", job_id=None)
                on_thread.submit(prepared.record.run, prepared.values)
                found["thread"].append(time.perf_counter() - started)
            on_thread.close()
            for latency, future in done:
                verdict = future.result()
                assert isinstance(verdict, RunVerdict) and len(verdict.results) == 200, verdict
                found["latency"].append(latency)
            for prepared in sequence:  # one run at a time: nothing else queued or being ingested
                evaluator = QualityEvaluator(db, store)
                evaluator.wait_ready()
                store_run(db, store, prepared, "bench", job_id=None)
                committed = time.perf_counter()
                verdict = evaluator.submit(prepared.record.run, prepared.values).result()
                found["alone"].append(time.perf_counter() - committed)
                assert verdict is not None
                found["evaluate"].append(verdict.seconds)
                evaluator.close()
            medians = {key: statistics.median(values) for key, values in found.items()}
            print(f"  {target.name} rep {rep + 1}/{reps}: " + ", ".join(f"{k} {v:.3f} s" for k, v in medians.items()))
    return found


def run(options: Options) -> Section:
    results = {}
    for target in options.targets:
        print(f"P10 on {target.description} ({target.name}), {options.reps} repetitions", flush=True)
        results[target.name] = measure_target(target, options.reps)
    rows = []
    for label, key in (
        ("store_run, no checks", "plain"),
        ("store_run + hand-off to the evaluator, while the previous run is judged in its process", "judged"),
        ("the same, judged on a thread of the ingest process (before)", "thread"),
        ("commit to 200 results stored, runs back to back (queued behind the last)", "latency"),
        ("commit to 200 results stored, one run alone (target < 1 s)", "alone"),
        ("of which evaluate_run (checks and storing results)", "evaluate"),
    ):
        rows.append([label, *(_cell(results[t.name][key]) for t in options.targets)])
    ratio = [
        f"**{statistics.median(results[t.name]['judged']) / statistics.median(results[t.name]['plain']):.3f}x**"
        for t in options.targets
    ]
    rows.append(["ingest with checks / without (target ≤ 1.05x)", *ratio])
    before = [
        f"{statistics.median(results[t.name]['thread']) / statistics.median(results[t.name]['plain']):.3f}x"
        for t in options.targets
    ]
    rows.append(["the same, judged on a thread (before)", *before])
    table = format_table(["case", *(t.description for t in options.targets)], rows)
    print(table)
    return Section("P10", "200 quality checks judged after each commit", f"{__doc__}\n\n{table}\n")


def _cell(seconds: list[float]) -> str:
    return f"**{statistics.median(seconds):.3g} s** ({min(seconds):.3g}-{max(seconds):.3g})"
