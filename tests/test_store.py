"""The Parquet sidecar on real files: paths stay under the root, corruption is caught, failures leave nothing."""

from __future__ import annotations

import dataclasses
import mmap
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from alpaca_dash.domain import RunRecord
from alpaca_dash.parquet_cache import store as store_module
from alpaca_dash.parquet_cache.store import ParquetStore, SidecarError, StoredArray
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.errors import list_errors
from alpaca_dash.queries.runs import get_run
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource


def test_arrays_come_back_from_a_memory_mapped_column(store: ParquetStore) -> None:
    a = np.arange(12, dtype=np.uint16).reshape(3, 4)
    b = np.full((2, 2), np.nan, dtype=np.float32)
    refs = store.write_run(390123, {11: a, 12: b})
    assert refs[11].file == refs[12].file and refs[11].file.startswith("00390/run-390123-")
    assert np.array_equal(store.read(refs[11]), a) and store.read(refs[12]).tobytes() == b.tobytes()
    table = pq.read_table(store.resolve(refs[11].file))
    assert table.column_names == ["11", "12"]  # columns are named by observable id only


def test_an_array_is_read_in_place_from_the_mapped_file(store: ParquetStore) -> None:
    """No decoded copy: the array is a view of the file's map (a 5120² image would cost 2.3 times its size)."""
    image = np.random.default_rng(3).integers(0, 65535, size=(300, 200), dtype=np.uint16)
    refs = store.write_run(7, {1: np.zeros(3, dtype=np.int8).reshape(1, 3), 2: image})
    array = store.read(refs[2])
    owner: object = array
    while isinstance(owner, np.ndarray):
        owner = owner.base
    assert isinstance(owner, memoryview) and isinstance(owner.obj, mmap.mmap)
    assert not array.flags.writeable and array.dtype == np.uint16 and np.array_equal(array, image)


def test_a_file_in_another_layout_is_read_by_pyarrow(store: ParquetStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compressed, dictionary-encoded columns (another writer's choice) still read back, and are checked."""
    monkeypatch.setitem(store_module.WRITE_OPTIONS, "compression", "zstd")
    monkeypatch.setitem(store_module.WRITE_OPTIONS, "use_dictionary", True)
    image = np.tile(np.arange(50, dtype=np.float32), (40, 1))
    refs = store.write_run(8, {1: image})
    assert pq.read_metadata(store.resolve(refs[1].file)).row_group(0).column(0).compression == "ZSTD"
    array = store.read(refs[1])
    assert array.dtype == np.float32 and np.array_equal(array, image)
    with pytest.raises(SidecarError, match="checksum mismatch"):
        store.read(dataclasses.replace(refs[1], checksum="0" * 64))


@pytest.mark.parametrize("relative", ["../outside.parquet", "/etc/passwd", "00390/../../x", ""])
def test_paths_outside_the_root_are_refused(store: ParquetStore, relative: str) -> None:
    with pytest.raises(SidecarError, match="outside the sidecar root"):
        store.resolve(relative)


def test_a_corrupted_file_fails_its_checksum(store: ParquetStore) -> None:
    refs = store.write_run(5, {1: np.ones((64, 64), dtype=np.float64)})
    path = store.resolve(refs[1].file)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip bits inside the array's bytes
    path.write_bytes(bytes(data))
    with pytest.raises(SidecarError, match="checksum mismatch"):
        store.read(refs[1])


def test_a_missing_file_is_a_clear_error(store: ParquetStore) -> None:
    ref = StoredArray("00000/run-1-00000000deadbeef.parquet", "1", "float64", (2, 2), 32, "0" * 64)
    with pytest.raises(SidecarError, match="cannot read"):
        store.read(ref)


def test_reconcile_keeps_young_and_referenced_files(store: ParquetStore) -> None:
    kept = store.write_run(1, {1: np.zeros((2, 2))})[1].file
    orphan = store.write_run(2, {1: np.zeros((2, 2))})[1].file
    assert store.reconcile({kept}, min_age_seconds=3600) == []
    old = store.resolve(orphan)
    os.utime(old, (old.stat().st_atime - 7200, old.stat().st_mtime - 7200))
    assert store.reconcile({kept}, min_age_seconds=3600) == [orphan]
    assert store.list_files() == [kept]


def test_an_unwritable_sidecar_records_an_error_and_leaves_the_database_alone(db: Database, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the sidecar root should be")
    store = ParquetStore(blocked, fsync=False)
    record = RunRecord(9, None, None, {"Cam*img": np.zeros((4, 4), dtype=np.uint16), "Cam*sum": np.float64(0)})
    result = ingest_run(db, store, MemorySource({9: record}), 9)
    assert not result.ok
    access = DataAccess(db, store, None)  # type: ignore[arg-type]
    run = get_run(access, 9)
    assert run is not None and run.status == "failed"
    assert any("cannot write 2D arrays of run 9" in e.message for e in list_errors(access, run=9))
    with db.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM scalars WHERE run = 9")).scalar() == 0
