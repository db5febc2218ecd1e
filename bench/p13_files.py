"""P13, files: what one poll of the follower costs the files source, from 1e2 to 1e5 run files in the folder.

A poll asks the source for its newest run and the runs after the newest stored one, as ``follow_once`` does. Timed
three ways: the old full listing of the folder (``index_run_files``) as the baseline, the index kept by a directory
watch, and the index kept by the folder's mtime where no watch can be had; each when nothing changed and when a new
run file has just appeared (wall time, which for the watch includes waiting for its event, and CPU time).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from alpaca_dash.sources.file_index import RunFileIndex
from alpaca_dash.sources.files import _preference, _run_of_name, index_run_files

from bench.common import format_table

FILE_COUNTS = (100, 1_000, 10_000, 100_000)
POLLS = 20


def fill(folder: Path, count: int) -> None:
    for run in range(1, count + 1):
        (folder / f"run_{run:07d}.h5").touch()


def timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def poll_of(latest: Callable[[], int | None], between: Callable[[int, int], list[int]]) -> Callable[[], object]:
    def poll() -> object:
        newest = latest()
        return between(max(0, (newest or 0) - 1), newest or 0)

    return poll


def measure(folder: Path, count: int, reps: int) -> dict[str, tuple[float, float]]:
    found: dict[str, tuple[float, float]] = {}
    listing = poll_of(
        lambda: max(index_run_files(folder), default=None),
        lambda a, b: sorted(r for r in index_run_files(folder) if a <= r <= b),
    )
    found["full listing (before)"] = _median([timed(listing) for _ in range(max(1, min(reps, 5)))])
    next_run = count + 1
    for label, watch in (("watch", True), ("mtime", False)):
        index = RunFileIndex(folder, _run_of_name, _preference, watch=watch)
        try:
            poll = poll_of(index.latest, index.between)
            poll()  # the one listing
            time.sleep(2.1)  # past the racy window of the listing's mtime
            found[f"{label}: nothing new"] = _median([timed(poll) for _ in range(POLLS)])
            new = []
            for _ in range(max(3, reps)):
                (folder / f"run_{next_run:07d}.h5").touch()
                next_run += 1
                new.append(timed(poll))
                assert index.latest() == next_run - 1
                time.sleep(0.05)
            found[f"{label}: a new file"] = _median(new)
            found[f"{label}: listings"] = (float(index.listings), 0.0)
        finally:
            index.close()
    return found


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def run_files(reps: int) -> str:
    columns: dict[int, dict[str, tuple[float, float]]] = {}
    for count in FILE_COUNTS:
        print(f"P13 files: {count} files", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-p13-files-") as tmp:
            folder = Path(tmp)
            fill(folder, count)
            columns[count] = measure(folder, count, reps)
    keys = list(columns[FILE_COUNTS[0]])
    rows = []
    for key in keys:
        if key.endswith("listings"):
            rows.append([f"{key} during the polls", *(f"{columns[n][key][0]:.0f}" for n in FILE_COUNTS)])
        else:
            rows.append(
                [
                    key,
                    *(f"{columns[n][key][0] * 1000:.2f} ms ({columns[n][key][1] * 1000:.2f} CPU)" for n in FILE_COUNTS),
                ]
            )
    headers = ["files follower, one poll (wall, CPU)", *(f"{n:,} files" for n in FILE_COUNTS)]
    return format_table(headers, rows) + "\n"
