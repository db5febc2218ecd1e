"""The run write transaction: one run's rows replaced atomically, its listeners told at the commit.

The values arrive sorted by observable; the 2D arrays go to the sidecar while the database takes the rest, through
the ``start_sidecar`` callback, so this module knows nothing of Parquet beyond the references it records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alpaca_dash.domain import ObservableKind, RunStatus, compute_stats
from alpaca_dash.parquet_cache.store import StoredArray
from alpaca_dash.timescale import writer
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.notify import notify_run
from alpaca_dash.types import Array

#: given the run's 2D arrays by observable id, starts writing them and returns the wait for their references
StartSidecar = Callable[[dict[int, Array]], Callable[[], Mapping[int, StoredArray]]]


@dataclass(frozen=True)
class RunWrite:
    """Everything one ingest of a run stores: its row, its observables and values, and what could not be stored."""

    row: writer.RunRow
    entries: Sequence[writer.ObservableEntry]
    values: Mapping[str, Array]
    errors: Sequence[tuple[str, str]]
    job_id: int | None = None


def replace_run(db: Database, write: RunWrite, start_sidecar: StartSidecar) -> list[str]:
    """Replace a run's stored version by ``write`` in one transaction, serialised with other writers of the run.

    :returns: the sidecar files the old version's 2D arrays lived in, for the caller to delete after the commit.
    :raises: whatever the sidecar wait raises, after rolling back.
    """
    run = write.row.run
    with db.transaction() as conn:
        cur = conn.cursor()
        writer.lock_run(cur, run)
        stored = writer.stored_observable_ids(cur, run)  # before the registry moves on
        ids = writer.register_observables(cur, run, write.entries)
        by_kind = _split_by_kind(write, ids)
        wait_sidecar = start_sidecar(by_kind[ObservableKind.ARRAY2D])
        old_files = writer.delete_run_values(cur, run, stored)
        scalars = by_kind[ObservableKind.SCALAR]
        obs_ids, values, codes, exact = writer.scalar_columns(scalars)
        if scalars:
            runs = np.full(len(obs_ids), run, dtype=np.int32)
            writer.copy_scalars(cur, runs, obs_ids, values, codes, exact)
            writer.mark_exact(cur, [int(obs_ids[i]) for i in exact])
        writer.update_rollup(cur, run, obs_ids, values, stored)
        writer.copy_arrays1d(cur, run, by_kind[ObservableKind.ARRAY1D])
        arrays = {**by_kind[ObservableKind.ARRAY1D], **by_kind[ObservableKind.ARRAY2D]}
        writer.copy_stats(cur, run, {obs: compute_stats(a) for obs, a in arrays.items()})
        writer.insert_arrays2d(cur, run, wait_sidecar())
        writer.insert_errors(cur, run, write.errors, write.job_id)
        writer.upsert_run(cur, write.row)
        notify_run(cur, run)
    return old_files


def record_run_failure(db: Database, run: int, source_kind: str, message: str, job_id: int | None) -> None:
    """Record that a whole run failed; a run stored earlier keeps its values, status and flag, and a run never
    stored is not good (its flag comes back when an ingest of it succeeds)."""
    with db.transaction() as conn:
        cur = conn.cursor()
        writer.insert_errors(cur, run, [("", message)], job_id)
        cur.execute(
            "INSERT INTO runs (run, status, source, error_count, good) VALUES (%s, %s, %s, 1, false) "
            "ON CONFLICT (run) DO UPDATE SET error_count = runs.error_count + 1",
            (run, RunStatus.FAILED.value, source_kind),
        )


def _split_by_kind(write: RunWrite, ids: Mapping[str, int]) -> dict[ObservableKind, dict[int, Array]]:
    by_kind: dict[ObservableKind, dict[int, Array]] = {kind: {} for kind in ObservableKind}
    for entry in write.entries:
        by_kind[entry.kind][ids[entry.name]] = write.values[entry.name]
    return by_kind
