"""The demo's broken runs, as a shifter meets them: the anomaly list of a glitch run puts the beam first."""

from __future__ import annotations

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.anomalies import rank_anomalies
from alpaca_dash.sources.simulated import ELENA, SimulatedSource
from alpaca_dash.timescale.database import Database

FIRST_RUN = 390000


def test_the_anomaly_list_of_a_glitch_run_puts_the_beam_first(db: Database, store: ParquetStore) -> None:
    source = SimulatedSource(seed=3, first_run=FIRST_RUN, history=14, image_size=64, waveform_samples=2000,
                             glitch_every=7)  # fmt: skip
    for run in range(FIRST_RUN, FIRST_RUN + 14):
        assert ingest_run(db, store, source, run).ok
    glitch, ordinary = FIRST_RUN + 13, FIRST_RUN + 12
    assert source.is_glitch(glitch) and not source.is_glitch(ordinary)

    access = DataAccess(db, store, Settings())
    beam = {f"{ELENA}*H_offset_mm", f"{ELENA}*Intensity_E7"}
    ranked = rank_anomalies(access, glitch)
    assert {a.observable for a in ranked[:2]} == beam, ranked[:5]
    # the many flags of the run, mostly on and now and then off, rank by how often they flipped before
    assert not beam & {a.observable for a in rank_anomalies(access, ordinary)[:2]}
