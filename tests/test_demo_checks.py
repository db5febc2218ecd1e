"""The demo's quality checks: added once, on a database whose first simulated run they are stored after; quiet on
ordinary simulated runs, in alarm on the runs whose ELENA beam is off, and told to a webhook on loopback."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alpaca_dash.alarms.contact_points import Webhook
from alpaca_dash.alarms.notifier import deliver_due
from alpaca_dash.alarms.outbox import Notify
from alpaca_dash.alarms.receiver import LoopbackReceiver
from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.pipeline.quality import evaluate_run
from alpaca_dash.quality.checks import CheckState
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import list_checks
from alpaca_dash.queries.quality import list_results
from alpaca_dash.serve_commands import add_demo_checks
from alpaca_dash.sources.simulated import ELENA, SimulatedSource
from alpaca_dash.timescale.database import Database

FIRST = 390000


def test_a_glitch_moves_the_beam_and_nothing_else(simulated: SimulatedSource) -> None:
    glitchy = SimulatedSource(seed=7, first_run=FIRST, history=6, image_size=64, waveform_samples=2000, glitch_every=3)
    assert [run for run in range(FIRST, FIRST + 6) if glitchy.is_glitch(run)] == [FIRST + 2, FIRST + 5]
    plain, broken = simulated.read_run(FIRST + 2).values, glitchy.read_run(FIRST + 2).values
    assert broken[f"{ELENA}*H_offset_mm"] == 4.0 and broken[f"{ELENA}*Intensity_E7"] == 0.3
    changed = {name for name in plain if not np.array_equal(plain[name], broken[name], equal_nan=True)}
    assert changed == {f"{ELENA}*H_offset_mm", f"{ELENA}*Intensity_E7"}
    assert not any(simulated.is_glitch(run) for run in range(FIRST, FIRST + 6))  # off unless asked for


def test_the_demo_checks_catch_the_glitches_and_the_webhook_hears_of_them(
    db: Database, store: ParquetStore, fresh_schema_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=fresh_schema_url, data_dir=tmp_path, simulated_image_size=64, simulated_glitch_every=4
    )
    access = DataAccess(db, store, settings)
    assert add_demo_checks(settings, access) == 4  # on an empty database: after its first run is stored
    assert add_demo_checks(settings, access) == 0  # once only: an editor's changes are kept
    assert len(list_checks(access)) == 4
    source = SimulatedSource(first_run=FIRST, history=12, image_size=64, glitch_every=4)
    ingest_range(db, store, source, FIRST + 1, FIRST + 11)
    receiver = LoopbackReceiver().start()
    try:
        for run in range(FIRST + 1, FIRST + 12):
            evaluate_run(db, store, run, notify=Notify(["webhook"], 300))
        deliver_due(db, [Webhook(receiver.url)])
    finally:
        receiver.stop()
    alarms = {(row.run, row.check) for row in list_results(access, FIRST, FIRST + 11) if row.state is CheckState.ALARM}
    assert {run for run, _ in alarms} == {FIRST + 3, FIRST + 7, FIRST + 11}
    assert (FIRST + 7, "ELENA H offset") in alarms and (FIRST + 7, "ELENA intensity") in alarms
    assert sorted(message.payload["run"] for message in receiver.received) == [FIRST + 3, FIRST + 7, FIRST + 11]
