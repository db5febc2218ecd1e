"""P13, storage: database and sidecar bytes per run of the simulated source, without and with PCO images.

Runs are ingested through ``ingest_run`` into a throwaway schema and sidecar; the growth of the schema's tables
(indexes and TOAST included) and of the sidecar folder, divided by the runs, is the figure. A day is
``RUNS_PER_DAY`` runs (one every five minutes, around the clock).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.sources.simulated import SimulatedSource

from bench.common import Target, format_table, migrated_database
from bench.p13_seed import database_bytes

RUNS_PER_DAY = 288
CASES = (("simulated run (1024² CCD image, waveforms, ~330 scalars)", False, 10), ("with a 5120² PCO image", True, 3))


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(target: Target) -> list[tuple[str, float, float]]:
    found = []
    for label, pco, runs in CASES:
        with migrated_database(target.url, "p13s") as db, tempfile.TemporaryDirectory(prefix="bench-p13s-") as tmp:
            store = ParquetStore(Path(tmp), fsync=False)
            source = SimulatedSource(first_run=390000, open_ended=True, pco=pco)
            assert ingest_run(db, store, source, 390000).ok  # the registry and empty-table overheads
            before_db, before_files = database_bytes(db), folder_bytes(Path(tmp))
            for run in range(390001, 390001 + runs):
                assert ingest_run(db, store, source, run).ok
            found.append(
                (label, (database_bytes(db) - before_db) / runs, (folder_bytes(Path(tmp)) - before_files) / runs)
            )
    return found


def run_storage(targets: list[Target]) -> str:
    rows = []
    for target in targets:
        print(f"P13 storage on {target.name}", flush=True)
        for label, db_bytes, files in measure(target):
            rows.append(
                [
                    target.description,
                    label,
                    f"{db_bytes / 1e3:,.0f} kB",
                    f"{files / 1e6:,.2f} MB",
                    f"{db_bytes * RUNS_PER_DAY / 1e6:,.0f} MB",
                    f"{files * RUNS_PER_DAY / 1e9:,.2f} GB",
                ]
            )
    headers = [
        "server",
        "run",
        "database per run",
        "sidecar per run",
        f"database per day ({RUNS_PER_DAY} runs)",
        "sidecar per day",
    ]
    return format_table(headers, rows) + "\n"
