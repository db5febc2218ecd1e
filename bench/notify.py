"""Notify: a simulated run that breaks a check reaches a webhook receiver on loopback within 5 s of its commit.

The demo's pieces, as ``alpaca-dash demo`` wires them: the simulated source at the demo's size (1024² CCD images,
2e4-sample waveforms) with every other run's ELENA beam off, the demo's four checks, ingest by
``pipeline.ingest.ingest_run`` handing each committed run to a ``QualityEvaluator`` that writes the run's message to
the outbox and wakes a ``Notifier`` thread, which POSTs it to a real HTTP server on 127.0.0.1
(``alarms.receiver.LoopbackReceiver``). The time runs from ``ingest_run`` returning (just after its commit) to the
receiver having read the POST.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from alpaca_dash.alarms.contact_points import Webhook
from alpaca_dash.alarms.notifier import Notifier
from alpaca_dash.alarms.outbox import Notify
from alpaca_dash.alarms.receiver import LoopbackReceiver
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range, ingest_run
from alpaca_dash.pipeline.quality import QualityEvaluator
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import import_checks
from alpaca_dash.queries.demo_checks import demo_checks
from alpaca_dash.sources.simulated import SimulatedSource

from bench.common import Options, Section, Target, format_table, migrated_database, summarise

FIRST_RUN = 390000
HISTORY = 4
#: broken runs per repetition
BROKEN = 3
TARGET_SECONDS = 5.0
WAIT_SECONDS = 30.0


def measure_target(target: Target, reps: int) -> list[float]:
    found: list[float] = []
    source = SimulatedSource(first_run=FIRST_RUN, open_ended=True, glitch_every=2)
    receiver = LoopbackReceiver().start()
    with migrated_database(target.url, "notify") as db, tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        store = ParquetStore(Path(tmp) / "parquet", fsync=True)
        ingest_range(db, store, source, FIRST_RUN, FIRST_RUN + HISTORY - 1)
        import_checks(DataAccess(db, store, None), demo_checks())  # type: ignore[arg-type]
        notifier = Notifier(db, [Webhook(receiver.url)])
        # a window shorter than a repetition: each broken run is a message of its own
        evaluator = QualityEvaluator(db, store, notify=Notify(["webhook"], 1.0), on_verdict=lambda _: notifier.wake())
        notifier.start()
        try:
            run = FIRST_RUN + HISTORY
            for rep in range(reps):
                for _ in range(BROKEN):
                    while not source.is_glitch(run):
                        assert ingest_run(db, store, source, run, quality=evaluator).ok
                        run += 1
                    seen = len(receiver.received)
                    assert ingest_run(db, store, source, run, quality=evaluator).ok
                    committed = time.time()
                    deadline = time.monotonic() + WAIT_SECONDS
                    while len(receiver.received) == seen:
                        if time.monotonic() > deadline:
                            raise AssertionError(f"run {run}: nothing delivered within {WAIT_SECONDS:g} s")
                        time.sleep(0.005)
                    message = receiver.received[-1]
                    assert message.payload["run"] == run, message.payload
                    found.append(message.at - committed)
                    run += 1
                print(f"  {target.name} rep {rep + 1}/{reps}: median {statistics.median(found):.3f} s", flush=True)
        finally:
            evaluator.close()
            notifier.stop()
            receiver.stop()
    return found


def run(options: Options) -> Section:
    results = {}
    for target in options.targets:
        print(f"notify on {target.description} ({target.name}), {options.reps} repetitions", flush=True)
        results[target.name] = measure_target(target, options.reps)
    row = [
        f"commit to the webhook's POST received (target < {TARGET_SECONDS:g} s)",
        *(summarise(results[t.name]) for t in options.targets),
    ]
    count = ["broken runs measured", *(str(len(results[t.name])) for t in options.targets)]
    table = format_table(["case", *(t.description for t in options.targets)], [row, count])
    print(table)
    return Section("notify", "a run that breaks a check, commit to the local webhook", f"{__doc__}\n\n{table}\n")
