"""Parquet export read back with pyarrow and compared, bit for bit, with what the database returns."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alpaca_dash import export
from alpaca_dash.config import Settings
from alpaca_dash.domain import Observable, ObservableKind, RunRecord
from alpaca_dash.export import DEFAULT_BATCH_BYTES, export_parquet, export_schema, read_arrays
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables, list_observables
from alpaca_dash.queries.values import load_value
from alpaca_dash.sources.base import SourceError
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

FIRST = 390100
ENERGY = "Laser*energy_mJ"
COUNT = "SC56_coinc*event_count"
CLOCK = "SC56_coinc*clock_max"
BEAM_ON = "Batman*beam_on"
GAIN = "PMT*gain"
HALF = "PMT*half"
WAVEFORM = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"
ADC = "captorius3*acq_0*adc_codes"
GATES = "Batman*gates"
IMAGE = "5TCCD*acq_2*img"
MAP = "Field*map"
ALL = [ENERGY, COUNT, CLOCK, BEAM_ON, GAIN, HALF, WAVEFORM, ADC, GATES, IMAGE, MAP]


def make_run(run: int) -> dict[str, Any]:
    """Every kind and several awkward dtypes; the energy is NaN in one run, -inf in another and absent in a third."""
    i = run - FIRST
    rng = np.random.default_rng(run)
    values: dict[str, Any] = {
        ENERGY: np.float64([1.25, np.nan, 0.0, -np.inf][i]),
        COUNT: np.int64(-7 * i - 1),
        CLOCK: np.uint64(np.iinfo(np.uint64).max - i),
        BEAM_ON: np.bool_(i % 2 == 0),
        GAIN: np.float32(0.1 * (i + 1)),
        HALF: np.float16(1.5 + i),
        WAVEFORM: rng.standard_normal(5 + i).astype(np.float32),
        ADC: rng.integers(0, 65535, size=3, dtype=np.uint16),
        GATES: np.array([True, False, i % 2 == 1]),
        IMAGE: rng.integers(0, 65535, size=(3, 4), dtype=np.uint16),
        MAP: np.array([[np.nan, np.inf], [-0.0, 1e-300]]) * (i + 1),
    }
    if i == 2:
        del values[ENERGY], values[IMAGE]
        values[WAVEFORM] = np.zeros(0, dtype=np.float32)
    return values


class RecordSource:
    """Runs FIRST..FIRST+4 built by ``make_run``; the run FIRST+4 cannot be read."""

    kind = "records"

    def latest_run(self) -> int | None:
        return FIRST + 4

    def available_runs(self, first: int, last: int) -> list[int]:
        return [run for run in range(FIRST, FIRST + 5) if first <= run <= last]

    def read_run(self, run: int) -> RunRecord:
        if run == FIRST + 4:
            raise SourceError(f"run {run}: unreadable")
        when = datetime(2026, 5, 1, tzinfo=UTC)
        return RunRecord(run, when, when, make_run(run), units={ENERGY: "mJ", WAVEFORM: "V"})


@pytest.fixture
def access(db: Database, store: ParquetStore, tmp_path: Path) -> DataAccess:
    return DataAccess(db, store, Settings(data_dir=tmp_path))


@pytest.fixture
def ingested(access: DataAccess) -> list[Observable]:
    result = ingest_range(access.db, access.store, RecordSource(), FIRST, FIRST + 4)
    assert result.ingested == [FIRST, FIRST + 1, FIRST + 2, FIRST + 3]
    assert result.failed == [FIRST + 4]
    return get_observables(access, ALL)


def assert_matches_database(access: DataAccess, table: pa.Table, observables: list[Observable]) -> None:
    """Every cell equals load_value of its run: same dtype, same shape, same bits; a missing value is null."""
    runs = table.column("run").to_pylist()
    for item in observables:
        column = table.column(item.name)
        field = table.schema.field(item.name)
        assert field.metadata[b"kind"] == item.kind.value.encode()
        assert field.metadata[b"dtype"] == item.dtype.encode()
        arrays = None if item.kind is ObservableKind.SCALAR else read_arrays(table, item.name)
        for row, run in enumerate(runs):
            expected = load_value(access, item, run)
            cell = column[row]
            if expected is None:
                assert not cell.is_valid, (item.name, run)
                if arrays is not None:
                    assert arrays[row] is None
                if item.kind is ObservableKind.ARRAY2D:
                    assert not table.column(item.name + "#shape")[row].is_valid
                continue
            if arrays is None:
                assert field.type == pa.from_numpy_dtype(expected.dtype)
                actual = np.asarray(cell.as_py(), dtype=expected.dtype)
                assert actual.tobytes() == expected.tobytes(), (item.name, run)
                continue
            stored = arrays[row]
            assert stored is not None, (item.name, run)
            actual = stored
            assert actual.dtype == expected.dtype, (item.name, run)
            assert actual.shape == expected.shape, (item.name, run)
            assert actual.tobytes() == expected.tobytes(), (item.name, run)


@pytest.mark.both_backends
def test_export_round_trips_every_kind_exactly(access: DataAccess, ingested: list[Observable], tmp_path: Path) -> None:
    out = tmp_path / "export.parquet"
    progress: list[int] = []
    summary = export_parquet(access, ingested, FIRST, FIRST + 4, out, on_runs=progress.append)

    table = pq.read_table(out)
    assert table.column("run").to_pylist() == [FIRST, FIRST + 1, FIRST + 2, FIRST + 3]
    assert table.schema == export_schema(ingested)
    assert table.column_names == ["run", *ALL[:9], IMAGE, IMAGE + "#shape", MAP, MAP + "#shape"]
    assert (summary.runs, summary.columns, summary.bytes_written) == (4, 14, out.stat().st_size)
    assert sum(progress) == 4
    assert_matches_database(access, table, ingested)


def test_export_keeps_nan_infinities_and_nulls_apart(
    access: DataAccess, ingested: list[Observable], tmp_path: Path
) -> None:
    out = tmp_path / "energy.parquet"
    export_parquet(access, get_observables(access, [ENERGY, IMAGE, WAVEFORM]), FIRST, FIRST + 3, out)
    table = pq.read_table(out)

    energy = table.column(ENERGY).to_pylist()
    assert energy[0] == 1.25
    assert np.isnan(energy[1])
    assert energy[2] is None
    assert energy[3] == -np.inf
    assert table.schema.field(ENERGY).type == pa.float64()
    assert table.schema.field(ENERGY).metadata[b"unit"] == b"mJ"

    assert table.column(IMAGE)[2].as_py() is None
    assert table.column(IMAGE + "#shape").to_pylist() == [[3, 4], [3, 4], None, [3, 4]]
    assert [None if a is None else a.shape for a in read_arrays(table, IMAGE)] == [(3, 4), (3, 4), None, (3, 4)]
    assert table.column(WAVEFORM)[2].as_py() == []
    assert table.column(WAVEFORM)[2].is_valid
    assert table.schema.field(WAVEFORM).type == pa.large_list(pa.float32())


def test_export_of_a_sub_range_has_only_its_runs(
    access: DataAccess, ingested: list[Observable], tmp_path: Path
) -> None:
    out = tmp_path / "sub.parquet"
    summary = export_parquet(access, ingested, FIRST + 1, FIRST + 2, out)
    table = pq.read_table(out)
    assert summary.runs == 2
    assert table.column("run").to_pylist() == [FIRST + 1, FIRST + 2]
    assert_matches_database(access, table, ingested)


def test_a_range_without_runs_writes_a_valid_empty_file(
    access: DataAccess, ingested: list[Observable], tmp_path: Path
) -> None:
    out = tmp_path / "empty.parquet"
    progress: list[int] = []
    summary = export_parquet(access, ingested, FIRST + 10, FIRST + 20, out, on_runs=progress.append)
    table = pq.read_table(out)
    assert table.num_rows == 0
    assert table.schema == export_schema(ingested)
    assert summary.runs == 0
    assert summary.bytes_written == out.stat().st_size > 0
    assert progress == []


def test_small_batches_write_several_row_groups(access: DataAccess, ingested: list[Observable], tmp_path: Path) -> None:
    out = tmp_path / "batched.parquet"
    progress: list[int] = []
    export_parquet(access, ingested, FIRST, FIRST + 4, out, batch_bytes=1, on_runs=progress.append)
    parquet = pq.ParquetFile(out)
    assert parquet.num_row_groups > 1
    assert parquet.num_row_groups == 4
    assert progress == [1, 1, 1, 1]
    table = parquet.read()
    assert table.column("run").to_pylist() == [FIRST, FIRST + 1, FIRST + 2, FIRST + 3]
    assert_matches_database(access, table, ingested)


@pytest.mark.both_backends
def test_scalars_alone_in_several_row_groups_come_in_order_and_say_their_total(
    access: DataAccess, ingested: list[Observable], tmp_path: Path
) -> None:
    # the row group after the one written is read ahead in a thread: the file still holds every run once, in order
    scalars = [item for item in ingested if item.kind is ObservableKind.SCALAR]
    out = tmp_path / "scalars.parquet"
    progress: list[int] = []
    totals: list[int] = []
    export_parquet(
        access, scalars, FIRST, FIRST + 4, out, batch_bytes=1, on_runs=progress.append, on_total=totals.append
    )
    parquet = pq.ParquetFile(out)
    assert parquet.num_row_groups == 4
    assert (totals, progress) == ([4], [1, 1, 1, 1])
    table = parquet.read()
    assert table.column("run").to_pylist() == [FIRST, FIRST + 1, FIRST + 2, FIRST + 3]
    assert_matches_database(access, table, scalars)


def test_export_to_an_open_file(access: DataAccess, ingested: list[Observable]) -> None:
    buffer = io.BytesIO()
    summary = export_parquet(access, ingested, FIRST, FIRST + 4, buffer)
    assert summary.runs == 4
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert_matches_database(access, table, ingested)


def test_export_of_simulated_runs_matches_the_database(
    access: DataAccess, db: Database, store: ParquetStore, tmp_path: Path
) -> None:
    source = SimulatedSource(seed=3, first_run=390000, history=6, image_size=32, waveform_samples=500)
    assert len(ingest_range(db, store, source, 390000, 390005).ingested) == 6
    observables = [o for o in list_observables(access) if not o.name.startswith("Batman")]
    kinds = {o.kind for o in observables}
    assert kinds == set(ObservableKind)
    out = tmp_path / "simulated.parquet"
    export_parquet(access, observables, 390000, 390005, out, batch_bytes=10_000)
    assert pq.ParquetFile(out).num_row_groups > 1
    table = pq.read_table(out)
    assert table.column("run").to_pylist() == list(range(390000, 390006))
    assert_matches_database(access, table, observables)


def test_an_observable_whose_dtype_changed_exports_in_a_dtype_holding_every_value(
    db: Database, store: ParquetStore, tmp_path: Path
) -> None:
    records = {
        1: RunRecord(1, None, None, {"Adc*count": np.uint16(65535), "Adc*trace": np.array([1, 2], dtype=np.int8)}),
        2: RunRecord(2, None, None, {"Adc*count": np.int32(-5), "Adc*trace": np.array([0.5], dtype=np.float32)}),
    }
    ingest_range(db, store, MemorySource(records), 1, 2)
    access = DataAccess(db, store, Settings(database_url=db.url))
    out = tmp_path / "drift.parquet"
    export_parquet(access, get_observables(access, ["Adc*count", "Adc*trace"]), 1, 2, out)
    table = pq.read_table(out)
    assert table.schema.field("Adc*count").type == pa.int32()
    assert table.column("Adc*count").to_pylist() == [65535, -5]
    assert table.schema.field("Adc*trace").type == pa.large_list(pa.float32())
    assert table.column("Adc*trace").to_pylist() == [[1.0, 2.0], [0.5]]


def readme_images(path: Path, name: str) -> list[np.ndarray[Any, Any] | None]:
    """The recipe of the README's export section, without alpaca_dash: raw little-endian bytes, dtype, shape."""
    parts = [c for c in pq.read_schema(path).names if c == name or c.startswith(name + "#part")]
    table = pq.read_table(path, columns=["run", *parts, name + "#shape"])
    dtype = np.dtype(table.schema.field(name).metadata[b"dtype"].decode()).newbyteorder("<")
    images = []
    for row, shape in enumerate(table.column(name + "#shape").to_pylist()):
        data = b"".join(table.column(part)[row].as_py() or b"" for part in parts)
        images.append(None if shape is None else np.frombuffer(data, dtype).reshape(shape))
    return images


def test_a_2d_column_reads_back_with_pyarrow_and_numpy_alone(
    access: DataAccess, ingested: list[Observable], tmp_path: Path
) -> None:
    out = tmp_path / "images.parquet"
    export_parquet(access, get_observables(access, [IMAGE, MAP]), FIRST, FIRST + 3, out)

    schema = pq.read_schema(out)
    for name in (IMAGE, MAP):
        field = schema.field(name)
        assert field.type == pa.large_binary()
        assert b"little-endian" in field.metadata[b"encoding"]
        assert field.metadata[b"parts"] == b"1"
        images = readme_images(out, name)
        for run, image in zip(range(FIRST, FIRST + 4), images, strict=True):
            stored = make_run(run).get(name)
            if stored is None:
                assert image is None
                continue
            assert image is not None and image.dtype == stored.dtype and image.shape == stored.shape
            assert image.tobytes() == stored.tobytes()  # NaN, inf and -0.0 in MAP, bit for bit
    assert images[0] is not None and np.isnan(images[0][0, 0]) and np.signbit(images[0][1, 0])
    assert not [name for name in schema.names if "#part" in name]


@pytest.mark.parametrize("batch_bytes", [DEFAULT_BATCH_BYTES, 1], ids=["one-row-group", "a-row-group-per-run"])
def test_images_larger_than_a_part_continue_in_part_columns(
    db: Database, store: ParquetStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_bytes: int
) -> None:
    """40-byte parts: a 96-byte image takes three columns, a 32-byte one the first only, a missing one none; in one
    row group the runs' pieces are gathered, in a row group per run each is a view."""
    monkeypatch.setattr(export, "PART_BYTES", 40)
    wide = np.arange(12, dtype=np.float64).reshape(3, 4) + 0.5
    small = np.array([[np.nan, -0.0], [np.inf, 7.0]])
    records = {
        1: RunRecord(1, None, None, {"Cam*img": wide, "Cam*gain": np.float32(2)}),
        2: RunRecord(2, None, None, {"Cam*img": small, "Cam*gain": np.float32(3)}),
        3: RunRecord(3, None, None, {"Cam*gain": np.float32(4)}),
        4: RunRecord(4, None, None, {"Cam*img": -wide.T, "Cam*gain": np.float32(5)}),
    }
    ingest_range(db, store, MemorySource(records), 1, 4)
    access = DataAccess(db, store, Settings(database_url=db.url))
    out = tmp_path / "parts.parquet"
    export_parquet(access, get_observables(access, ["Cam*img", "Cam*gain"]), 1, 4, out, batch_bytes=batch_bytes)

    table = pq.read_table(out)
    assert table.column_names == ["run", "Cam*img", "Cam*img#part1", "Cam*img#part2", "Cam*img#shape", "Cam*gain"]
    assert table.schema.field("Cam*img").metadata[b"parts"] == b"3"
    assert table.schema.field("Cam*img#part2").metadata == {b"part_of": b"Cam*img", b"part": b"2"}
    assert [len(b) if b is not None else None for b in table.column("Cam*img#part2").to_pylist()] == [16, 0, None, 16]
    expected = [wide, small, None, -wide.T]
    for images in (read_arrays(table, "Cam*img"), readme_images(out, "Cam*img")):
        for want, got in zip(expected, images, strict=True):
            if want is None:
                assert got is None
                continue
            assert got is not None and got.dtype == np.float64 and got.shape == want.shape
            assert got.tobytes() == np.ascontiguousarray(want).tobytes()
    assert table.column("Cam*gain").to_pylist() == [2.0, 3.0, 4.0, 5.0]


def test_a_5120_by_2048_camera_image_spans_columns_of_8_mib(db: Database, store: ParquetStore, tmp_path: Path) -> None:
    """The real part size: 20 MiB of uint16 in three columns (8, 8 and 4 MiB), read back bit for bit."""
    image = np.random.default_rng(8).integers(0, 65535, size=(2048, 5120), dtype=np.uint16)
    ingest_range(db, store, MemorySource({7: RunRecord(7, None, None, {"PCO*raw": image})}), 7, 7)
    access = DataAccess(db, store, Settings(database_url=db.url))
    out = tmp_path / "pco.parquet"
    export_parquet(access, get_observables(access, ["PCO*raw"]), 7, 7, out)

    table = pq.read_table(out)
    assert [len(table.column(name)[0].as_py()) for name in ("PCO*raw", "PCO*raw#part1", "PCO*raw#part2")] == [
        export.PART_BYTES,
        export.PART_BYTES,
        image.nbytes - 2 * export.PART_BYTES,
    ]
    (got,) = read_arrays(table, "PCO*raw")
    assert got is not None and got.dtype == np.uint16 and np.array_equal(got, image)


def test_images_bigger_than_a_chunk_round_trip_beside_small_and_missing_ones(
    db: Database, store: ParquetStore, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    big = rng.standard_normal((1100, 1000)).astype(np.float32)  # 4.4 MB: more than CHUNK_BYTES, a chunk of its own
    big[7, 9] = np.nan
    small = np.arange(6, dtype=np.float32).reshape(2, 3)
    records = {
        1: RunRecord(1, None, None, {"Cam*img": big, "Cam*gain": np.float32(2)}),
        2: RunRecord(2, None, None, {"Cam*img": small, "Cam*gain": np.float32(3)}),
        3: RunRecord(3, None, None, {"Cam*gain": np.float32(4)}),
        4: RunRecord(4, None, None, {"Cam*img": big.T.copy(), "Cam*gain": np.float32(5)}),
    }
    ingest_range(db, store, MemorySource(records), 1, 4)
    access = DataAccess(db, store, Settings(database_url=db.url))
    out = tmp_path / "big.parquet"
    export_parquet(access, get_observables(access, ["Cam*img", "Cam*gain"]), 1, 4, out)

    table = pq.read_table(out)
    images = read_arrays(table, "Cam*img")
    assert images[2] is None
    for expected, actual in zip([big, small, None, big.T], images, strict=True):
        if expected is None:
            continue
        assert actual is not None and actual.dtype == np.float32 and actual.shape == expected.shape
        assert actual.tobytes() == np.ascontiguousarray(expected).tobytes()
    assert table.column("Cam*img#shape").to_pylist() == [[1100, 1000], [2, 3], None, [1000, 1100]]
    assert table.column("Cam*gain").to_pylist() == [2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize("batch_bytes", [DEFAULT_BATCH_BYTES, 1], ids=["one-row-group", "a-row-group-per-run"])
def test_a_2d_observable_whose_dtype_changed_exports_in_a_dtype_holding_every_value(
    db: Database, store: ParquetStore, tmp_path: Path, batch_bytes: int
) -> None:
    records = {
        1: RunRecord(1, None, None, {"Cam*roi": np.array([[0, 255]], dtype=np.uint8)}),
        2: RunRecord(2, None, None, {"Cam*count": np.int8(1)}),
        3: RunRecord(3, None, None, {"Cam*roi": np.array([[-3], [300]], dtype=np.int16)}),
    }
    ingest_range(db, store, MemorySource(records), 1, 3)
    access = DataAccess(db, store, Settings(database_url=db.url))
    out = tmp_path / "drift2d.parquet"
    export_parquet(access, get_observables(access, ["Cam*roi"]), 1, 3, out, batch_bytes=batch_bytes)
    table = pq.read_table(out)
    assert table.schema.field("Cam*roi").metadata[b"dtype"] == b"int16"
    first, missing, last = read_arrays(table, "Cam*roi")
    assert missing is None
    assert first is not None and first.dtype == np.int16 and first.tolist() == [[0, 255]]
    assert last is not None and last.dtype == np.int16 and last.tolist() == [[-3], [300]]


def test_read_arrays_refuses_a_scalar_column(access: DataAccess, ingested: list[Observable], tmp_path: Path) -> None:
    out = tmp_path / "scalar.parquet"
    export_parquet(access, get_observables(access, [ENERGY]), FIRST, FIRST + 1, out)
    with pytest.raises(ValueError, match="not a 1D or 2D array column"):
        read_arrays(pq.read_table(out), ENERGY)
