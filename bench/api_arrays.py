"""api: ``AlpacaDash.arrays`` read straight from the database and sidecar, against the Parquet round trip it replaced
(the export written to a zstd Parquet file in memory and read back) and against a loop of ``value()``.

Simulated runs are ingested through ``pipeline.ingest.ingest_range`` into a throwaway schema and sidecar: three runs
with the 5120² uint16 PCO image (52 MB each) and the 1024² float32 CCD image, and 20 runs with the CCD image and a
20,000-sample waveform. Every read is checked to give the stored bytes.
"""

from __future__ import annotations

import io
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from alpaca_dash.api import AlpacaDash
from alpaca_dash.config import Settings
from alpaca_dash.export import export_parquet, read_arrays
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.sources.simulated import CCD, PCO, SSPALS, SimulatedSource
from alpaca_dash.types import Array

from bench.common import Options, Section, format_table, migrated_database, summarise, time_call

WAVEFORM = f"{SSPALS}*V"
FIRST_PCO, FIRST_CCD = 500000, 510000


def old_arrays(access: DataAccess, name: str, first: int, last: int) -> list[Array | None]:
    """What ``arrays()`` did before: the export into an in-memory Parquet file, read back and decoded."""
    items = get_observables(access, [name])
    buffer = io.BytesIO()
    export_parquet(access, items, first, last, buffer)
    return read_arrays(pq.read_table(pa.BufferReader(buffer.getvalue())), name)


def value_loop(dash: AlpacaDash, name: str, first: int, last: int) -> list[Array | None]:
    return [dash.value(name, run) for run in range(first, last + 1)]


def measure_case(
    access: DataAccess, dash: AlpacaDash, label: str, name: str, runs: tuple[int, int], reps: int
) -> list[list[str]]:
    first, last = runs
    expected = [a.tobytes() for a in dash.arrays(name, runs).arrays]
    methods: list[tuple[str, Callable[[], list[Any]]]] = [
        ("Parquet round trip (before)", lambda: old_arrays(access, name, first, last)),
        ("arrays() (now)", lambda: dash.arrays(name, runs).arrays),
        ("loop of value()", lambda: value_loop(dash, name, first, last)),
    ]
    rows, medians = [], []
    for method, action in methods:
        got = action()
        assert [a.tobytes() for a in got if a is not None] == expected, f"{method} read other bytes"
        seconds = [time_call(action) for _ in range(reps)]
        medians.append(statistics.median(seconds))
        rows.append([label, method, summarise(seconds)])
    rows.append([label, "before ÷ now", f"{medians[0] / medians[1]:.1f}x"])
    return rows


def run(options: Options) -> Section:
    target = options.targets[0]
    rows: list[list[str]] = []
    with migrated_database(target.url, "arrays") as db, tempfile.TemporaryDirectory(prefix="bench-arrays-") as tmp:
        store = ParquetStore(Path(tmp) / "parquet", fsync=False)
        ingest_range(db, store, SimulatedSource(first_run=FIRST_PCO, history=3, pco=True), FIRST_PCO, FIRST_PCO + 2)
        ccd_source = SimulatedSource(first_run=FIRST_CCD, history=20)
        ingest_range(db, store, ccd_source, FIRST_CCD, FIRST_CCD + 19)
        access = DataAccess(db, store, Settings(database_url=db.url, data_dir=Path(tmp)))
        dash = AlpacaDash(access)
        cases = [
            ("3 PCO images, 5120² uint16", PCO, FIRST_PCO, FIRST_PCO + 2),
            ("20 CCD images, 1024² float32", CCD, FIRST_CCD, FIRST_CCD + 19),
            ("20 waveforms, 20,000 float64", WAVEFORM, FIRST_CCD, FIRST_CCD + 19),
        ]
        for label, name, first, last in cases:
            rows += measure_case(access, dash, label, name, (first, last), options.reps)
    body = (
        "`AlpacaDash.arrays(name, runs)` on the runs above, on plain PostgreSQL with the sidecar on local disk; the "
        "first read of each case is not timed.\n\n" + format_table(["case", "method", "seconds"], rows)
    )
    return Section("api", "notebook API, arrays() without the Parquet round trip", body)


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["api"]))
