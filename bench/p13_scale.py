"""P13: years of runs. Ingest, trend, export and the runs table at 1e3 to 1e6 stored runs; tree and search at 1e3
and 1e4 observables; the files follower's poll at 1e2 to 1e5 files.

Each size is a seed of its own in the benchmark database (``bench/p13_seed.py``: binary COPY in the writer's
layout, written once and reused), with real ingests of simulated runs on top. ``--p13-sizes`` picks the sizes.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from alpaca_dash.config import Settings
from alpaca_dash.domain import Observable
from alpaca_dash.export import export_parquet
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observable_tree import list_tree_children, search_observables
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.runs import RunFilter, list_runs
from alpaca_dash.queries.trend_detail import load_trend_for_width
from alpaca_dash.queries.trends import load_trend
from alpaca_dash.sources.simulated import SimulatedSource

from bench import p13_files, p13_seed, p13_storage
from bench.common import Options, Section, Target, format_table

SIZES = (1_000, 10_000, 100_000, 1_000_000)
#: the sizes TimescaleDB is seeded to when it cannot take the largest in time
TIMESCALE_SIZES = SIZES
OBSERVABLES = (1_000, 10_000)
UNVACUUMED_RUNS = 20_000
#: ingests per size (after one warm-up each), taken in turns across the sizes
INGEST_REPS = 9
INGEST_FIRST_RUN = 2_000_000
WIDTH = 1000
FILTERS = {
    "first page": RunFilter(),
    "tag on 1 % of runs": RunFilter(tag="beam off"),
    "tag no run has": RunFilter(tag="no such tag"),
    "comment contains 'laser'": RunFilter(text="laser"),
    "with errors": RunFilter(with_errors=True),
    "bad runs": RunFilter(good=False),
    "tag and comment": RunFilter(tag="beam off", text="trap"),
}


def median_ms(action: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


class SizeBench:
    """One seeded size on one server: its data handle, a sidecar, and the simulated runs ingested on top."""

    def __init__(self, target: Target, size: int, observables: int, tmp: Path) -> None:
        self.size = size
        self.db = p13_seed.ensure_seeded(target.url, size, observables)
        store = ParquetStore(tmp / f"{target.name}-{size}", fsync=True)
        self.access = DataAccess(self.db, store, Settings())
        with self.db.begin() as conn:
            row = conn.connection.driver_connection.execute("SELECT max(run) FROM runs").fetchone()  # type: ignore[union-attr]
        self.next_run = max(INGEST_FIRST_RUN, int(row[0] or 0) + 1)
        self.source = SimulatedSource(first_run=INGEST_FIRST_RUN, open_ended=True)
        (self.trended,) = get_observables(self.access, [p13_seed.observable_name(0)])

    def ingest_one(self) -> float:
        """Seconds of ``ingest_run`` of a new simulated run."""
        result = ingest_run(self.db, self.access.store, self.source, self.next_run)
        assert result.ok, result.errors
        self.next_run += 1
        return result.seconds

    def ingest(self, reps: int) -> float:
        """Median seconds of ``ingest_run`` of a new simulated run (one run first, unmeasured, as a warm-up)."""
        self.ingest_one()
        return statistics.median(self.ingest_one() for _ in range(reps))

    def trend_ms(self, reps: int, *, width: int | None) -> float:
        item: Observable = self.trended
        if width is None:
            return median_ms(lambda: load_trend(self.access, item, 1, self.size), reps)
        return median_ms(lambda: load_trend_for_width(self.access, item, 1, self.size, width), reps)

    def export_s(self, reps: int, tmp: Path) -> float:
        out = tmp / "p13-export.parquet"
        return median_ms(lambda: export_parquet(self.access, [self.trended], 1, self.size, out), reps) / 1000

    def runs_ms(self, reps: int) -> dict[str, float]:
        found = {
            name: median_ms(partial(list_runs, self.access, limit=201, where=f), reps) for name, f in FILTERS.items()
        }
        middle = self.size // 2
        found["a page in the middle (keyset)"] = median_ms(
            lambda: list_runs(self.access, limit=201, before=middle), reps
        )
        return found

    def tree_ms(self, reps: int) -> dict[str, float]:
        return {
            "tree: root": median_ms(lambda: list_tree_children(self.access), reps),
            "tree: one device": median_ms(lambda: list_tree_children(self.access, ["Dev001"]), reps),
            "search: narrow ('dev004 acq_2 field 3')": median_ms(
                lambda: search_observables(self.access, "dev004 acq_2 field 3"), reps
            ),
            "search: wide ('field')": median_ms(lambda: search_observables(self.access, "field"), reps),
            "search: no hit ('zzz')": median_ms(lambda: search_observables(self.access, "zzz"), reps),
        }

    def close(self) -> None:
        self.db.dispose()


def measure_target(target: Target, sizes: list[int], reps: int, tmp: Path) -> dict[str, object]:
    curve = []
    filters: dict[str, float] = {}
    trees: dict[int, dict[str, float]] = {}
    unvacuumed: tuple[float, int] | None = None
    benches = []
    for size in sizes:
        print(f"P13 {target.name}: seed of {size} runs", flush=True)
        benches.append(SizeBench(target, size, OBSERVABLES[0], tmp))
    # ingests round-robin over the sizes, so that the machine's load falls on every size alike
    ingests: dict[int, list[float]] = {size: [] for size in sizes}
    for rep in range(INGEST_REPS + 1):
        for bench in benches:
            seconds = bench.ingest_one()
            if rep:
                ingests[bench.size].append(seconds)
    for bench in benches:
        size = bench.size
        print(f"P13 {target.name}: {size} runs", flush=True)
        with bench.db.begin() as conn:
            stored = conn.connection.driver_connection.execute("SELECT count(*) FROM runs").fetchone()[0]  # type: ignore[union-attr]
        try:
            ingest = statistics.median(ingests[size])
            row = {
                "runs": stored,
                "ingest": ingest,
                "trend": bench.trend_ms(reps, width=None),
                "trend_width": bench.trend_ms(reps, width=WIDTH),
                "export": bench.export_s(max(1, min(reps, 3)), tmp),
                "bytes_per_run": p13_seed.database_bytes(bench.db) / stored,
            }
            found = bench.runs_ms(reps)
            row["runs_first"] = found["first page"]
            row["runs_worst"] = max(found.values())
            curve.append(row)
            filters = found
            if bench is benches[0]:  # the registry of the smallest seed is never grown
                trees[OBSERVABLES[0]] = bench.tree_ms(reps)
            if size == sizes[-1]:
                p13_seed.grow_registry(bench.db, OBSERVABLES[1])
                trees[OBSERVABLES[1]] = bench.tree_ms(reps)
                trees[OBSERVABLES[1]]["ingest_run (s)"] = bench.ingest(INGEST_REPS)
                have = p13_seed.seeded_runs(bench.db)
                if have < size + UNVACUUMED_RUNS:
                    p13_seed.seed_runs(bench.db, have + 1, size + UNVACUUMED_RUNS)
                unvacuumed = (bench.ingest(INGEST_REPS), size + UNVACUUMED_RUNS)
        finally:
            bench.close()
    return {"curve": curve, "filters": filters, "trees": trees, "unvacuumed": unvacuumed}


def _curve_table(curve: list[dict[str, float]]) -> str:
    base = curve[0]["ingest"]
    rows = [
        [
            f"{int(r['runs']):,}",
            f"{r['ingest']:.3f} s ({r['ingest'] / base:.2f}x)",
            f"{r['trend']:.1f} ms",
            f"{r['trend_width']:.1f} ms",
            f"{r['export']:.2f} s",
            f"{r['runs_first']:.1f} ms",
            f"{r['runs_worst']:.1f} ms",
            f"{r['bytes_per_run']:,.0f}",
        ]
        for r in curve
    ]
    headers = [
        "runs stored",
        "ingest_run (x of the first size; < 1.3x)",
        "trend, every value",
        f"trend at {WIDTH} px (< 300 ms)",
        "export 1 scalar (< 3 s)",
        "/runs first page (< 200 ms)",
        "/runs slowest filter (< 200 ms)",
        "database bytes per run",
    ]
    return format_table(headers, rows)


def run(options: Options, sizes: list[int] | None = None) -> Section:
    wanted = sizes or list(SIZES)
    parts = []
    with tempfile.TemporaryDirectory(prefix="bench-p13-") as tmp_name:
        tmp = Path(tmp_name)
        for target in options.targets:
            target_sizes = wanted if target.name == "postgres" else [s for s in wanted if s in TIMESCALE_SIZES]
            found = measure_target(target, target_sizes, options.reps, tmp)
            curve = found["curve"]
            assert isinstance(curve, list)
            parts.append(f"### {target.description}\n\n{_curve_table(curve)}\n")
            filters = found["filters"]
            assert isinstance(filters, dict)
            parts.append(
                f"/runs at {target_sizes[-1]:,} runs, 201 rows:\n\n"
                + format_table(["filter", "time"], [[k, f"{v:.1f} ms"] for k, v in filters.items()])
                + "\n"
            )
            trees = found["trees"]
            assert isinstance(trees, dict)
            keys = list(next(iter(trees.values())))
            rows = [[key, *(_cell(key, trees[n].get(key)) for n in OBSERVABLES)] for key in [*keys, "ingest_run (s)"]]
            parts.append(
                format_table(["tree and search (< 300 / < 200 ms)", *(f"{n:,} observables" for n in OBSERVABLES)], rows)
                + "\n"
            )
            unvacuumed = found["unvacuumed"]
            if isinstance(unvacuumed, tuple):
                seconds, total = unvacuumed
                base = curve[0]["ingest"]
                parts.append(
                    f"ingest_run with {UNVACUUMED_RUNS:,} runs written since the last VACUUM ({total:,} runs stored): "
                    f"{seconds:.3f} s, {seconds / base:.2f}x its time at {curve[0]['runs']:,} runs.\n"
                )
    parts.append(p13_files.run_files(options.reps))
    parts.append(p13_storage.run_storage(options.targets))
    return Section(
        "P13",
        "years of runs: ingest, trends, export, runs table, tree, search, files follower",
        _notes() + "\n\n".join(parts),
    )


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.3f} s" if key.endswith("(s)") else f"{value:.1f} ms"


def _notes() -> str:
    return (
        "Seeds: one schema per size in the benchmark database, written once by binary COPY in the writer's layout "
        f"(`bench/p13_seed.py`): {p13_seed.SEED_SCALARS} float64 scalars per run in primary-key order, a runs row with "
        "comments, tags, errors and bad flags at realistic rates, the scalar rollup; a registry of 1,000 "
        "observables (10,000 for the last rows of the tree table). A VACUUM ANALYZE follows each seed, as after a "
        "quiet night; autovacuum is set on per table at PostgreSQL's defaults (the plain server here runs with "
        "`autovacuum = off`, so it never runs there: the worst case). `ingest_run` is a real simulated run "
        f"(~340 observables, a 1024² image to the sidecar) ingested on top, {INGEST_REPS} times per size after one "
        "warm-up, in turns across the sizes so that the machine's load falls on all alike; median. The largest seed "
        f"keeps {UNVACUUMED_RUNS:,} runs written after its VACUUM and, once grown for the tree table, 10,000 "
        "observables, so its row is the harder case. The trend and export are of one seeded scalar over every "
        "seeded run, query side (not painted).\n\n"
    )
