"""The files source against real HDF5 and NPZ files written under tmp_path."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from alpaca_dash.config import Settings
from alpaca_dash.domain import UnsupportedValue, classify_value
from alpaca_dash.sources import RunSource, SourceError, open_source
from alpaca_dash.sources.files import FileSource, parse_run_number, parse_run_time

WAVEFORM_T = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*t"
WAVEFORM_V = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"
IMAGE = "5TCCD*acq_2*background_corrected*img_with_roi"
SCALAR = "ELENA_Parameters*H_offset_mm"
EVENTS = "SC56_coinc*event_clock"


def make_observables(run: int) -> dict[str, Any]:
    """AEgIS-like observables of every kind and awkward dtype, different per run."""
    rng = np.random.default_rng(run)
    return {
        WAVEFORM_T: np.linspace(0.0, 1e-6, 500, dtype=np.float32),
        WAVEFORM_V: np.array([0.25, np.nan, np.inf, -np.inf, run], dtype=np.float64),
        IMAGE: rng.integers(0, 65535, (32, 24), dtype=np.uint16),
        SCALAR: np.float64(run / 1000),
        EVENTS: np.array([0, 7, np.iinfo(np.uint64).max], dtype=np.uint64),
        "Batman*beam on (flag)": np.bool_(True),
        "Batman*gates": np.array([True, False, True]),
        "1TCMOS*acq_0*background_corrected*roi*signal_sum_in_roi": np.int8(-7),
        "Batman*empty_waveform": np.zeros(0, dtype=np.float32),
    }


def write_h5(path: Path, observables: dict[str, Any], attrs: dict[str, Any] | None = None) -> Path:
    with h5py.File(path, "w") as h5:
        for name, value in observables.items():
            h5.create_dataset(name.replace("*", "/"), data=value)
        h5.attrs.update(attrs or {})
    return path


def write_npz(path: Path, observables: dict[str, Any]) -> Path:
    np.savez(path, **observables)
    return path


def assert_same_values(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert sorted(actual) == sorted(expected)
    for name, value in expected.items():
        got = actual[name]
        assert isinstance(got, (np.ndarray, np.generic)), name
        assert got.dtype == np.asarray(value).dtype, name
        assert np.shape(got) == np.shape(value), name
        np.testing.assert_array_equal(got, value, strict=True, err_msg=name)


def test_hdf5_round_trip_keeps_names_dtypes_shapes_and_values(tmp_path: Path) -> None:
    expected = make_observables(390123)
    write_h5(tmp_path / "run_390123.h5", expected)

    record = FileSource(tmp_path).read_run(390123)

    assert record.run == 390123
    assert record.errors == {}
    assert_same_values(dict(record.values), expected)
    assert classify_value(record.values[SCALAR])[1].dtype == np.float64


def test_npz_round_trip_keeps_names_dtypes_shapes_and_values(tmp_path: Path) -> None:
    expected = make_observables(390124)
    write_npz(tmp_path / "390124.npz", expected)

    record = FileSource(tmp_path).read_run(390124)

    assert record.errors == {}
    assert (record.start, record.end) == (None, None)
    assert_same_values(dict(record.values), expected)


def test_hdf5_run_times_and_units(tmp_path: Path) -> None:
    observables = {WAVEFORM_T: np.arange(3.0), WAVEFORM_V: np.arange(3.0), SCALAR: np.float64(1.5)}
    path = write_h5(
        tmp_path / "run_7.h5", observables, {"run_start": "2025-06-05T10:00:00+02:00", "run_end": 1749117700}
    )
    with h5py.File(path, "a") as h5:
        h5["captorius3/acq_0/Channel_2_SSPALS/Y_[V]/t"].attrs["unit"] = "s"
        h5["captorius3/acq_0/Channel_2_SSPALS/Y_[V]/V"].attrs["unit"] = np.bytes_(b"V")

    record = FileSource(tmp_path).read_run(7)

    assert record.start == datetime(2025, 6, 5, 10, tzinfo=timezone(timedelta(hours=2)))
    assert record.end == datetime(2025, 6, 5, 10, 1, 40, tzinfo=UTC)
    assert record.units == {WAVEFORM_T: "s", WAVEFORM_V: "V"}


def test_npz_run_times_are_metadata_not_observables(tmp_path: Path) -> None:
    write_npz(tmp_path / "run_8.npz", {SCALAR: np.float64(2.0), "run_start": "2025-06-05 10:00:00", "run_end": 1.0})

    record = FileSource(tmp_path).read_run(8)

    assert list(record.values) == [SCALAR]
    assert record.start == datetime(2025, 6, 5, 10, tzinfo=UTC)
    assert record.end == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-06-05T08:00:00Z", datetime(2025, 6, 5, 8, tzinfo=UTC)),
        (b"2025-06-05T08:00:00", datetime(2025, 6, 5, 8, tzinfo=UTC)),
        (np.int64(1749110400), datetime(2025, 6, 5, 8, tzinfo=UTC)),
        ("1749110400.5", datetime(2025, 6, 5, 8, 0, 0, 500000, tzinfo=UTC)),
        (np.array(["2025-06-05T08:00:00Z"]), datetime(2025, 6, 5, 8, tzinfo=UTC)),
    ],
)
def test_parse_run_time_accepts_iso_text_and_unix_seconds(raw: Any, expected: datetime) -> None:
    assert parse_run_time(raw) == expected


def test_unreadable_run_time_is_ignored_and_the_run_still_read(tmp_path: Path) -> None:
    write_h5(tmp_path / "run_9.h5", {SCALAR: np.float64(1.0)}, {"run_start": "yesterday", "run_end": np.nan})

    record = FileSource(tmp_path).read_run(9)

    assert (record.start, record.end) == (None, None)
    assert list(record.values) == [SCALAR]


@pytest.mark.parametrize("writer", [write_h5, write_npz], ids=["h5", "npz"])
def test_truncated_file_fails_only_its_run(tmp_path: Path, writer: Any) -> None:
    suffix = ".h5" if writer is write_h5 else ".npz"
    for run in (101, 102, 103):
        writer(tmp_path / f"run_{run}{suffix}", make_observables(run))
    broken = tmp_path / f"run_102{suffix}"
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])
    source = FileSource(tmp_path)

    with pytest.raises(SourceError, match=rf"run 102.*run_102\{suffix}"):
        source.read_run(102)

    assert source.available_runs(100, 200) == [101, 102, 103]
    for run in (101, 103):
        assert_same_values(dict(source.read_run(run).values), make_observables(run))


def test_file_that_is_not_hdf5_raises_source_error(tmp_path: Path) -> None:
    (tmp_path / "run_5.h5").write_bytes(b"this is a log file, not HDF5\n" * 10)

    with pytest.raises(SourceError, match=r"run 5: cannot open .*run_5\.h5"):
        FileSource(tmp_path).read_run(5)


def test_corrupt_dataset_goes_to_errors_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "run_11.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("SC56_coinc/event_clock", data=np.arange(10_000.0), chunks=(10_000,), compression="gzip")
        h5.create_dataset("ELENA_Parameters/H_offset_mm", data=np.float64(3.5))
        chunk = h5["SC56_coinc/event_clock"].id.get_chunk_info(0)
    with path.open("r+b") as raw:  # overwrite the compressed chunk: zlib can no longer inflate it
        raw.seek(chunk.byte_offset)
        raw.write(b"\xff" * chunk.size)

    record = FileSource(tmp_path).read_run(11)

    assert list(record.errors) == [EVENTS]
    assert "cannot read dataset /SC56_coinc/event_clock of run_11.h5" in record.errors[EVENTS]
    assert record.values == {SCALAR: np.float64(3.5)}


def test_dataset_with_missing_external_storage_and_broken_link_go_to_errors(tmp_path: Path) -> None:
    raw_data = tmp_path / "raw.bin"
    np.arange(4, dtype="<f8").tofile(raw_data)
    with h5py.File(tmp_path / "run_12.h5", "w") as h5:
        h5.create_dataset("Batman/external", shape=(4,), dtype="<f8", external=[(str(raw_data), 0, 32)])
        h5["Batman/elsewhere"] = h5py.ExternalLink("missing.h5", "/x")
        h5["Batman/empty"] = h5py.Empty("f8")
        h5["Batman/ok"] = np.int16(3)
    raw_data.unlink()

    record = FileSource(tmp_path).read_run(12)

    assert sorted(record.errors) == ["Batman*elsewhere", "Batman*empty", "Batman*external"]
    assert "null dataspace" in record.errors["Batman*empty"]
    assert record.values == {"Batman*ok": np.int16(3)}


def test_string_and_compound_datasets_are_passed_to_ingest_which_rejects_them(tmp_path: Path) -> None:
    compound = np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])
    with h5py.File(tmp_path / "run_13.h5", "w") as h5:
        h5["Batman/comment"] = "shift crew note"
        h5["Batman/pair"] = compound

    record = FileSource(tmp_path).read_run(13)

    assert record.errors == {}
    assert record.values["Batman*comment"] == b"shift crew note"
    for value in record.values.values():
        with pytest.raises(UnsupportedValue):
            classify_value(value)


def test_npz_object_array_goes_to_errors(tmp_path: Path) -> None:
    write_npz(tmp_path / "run_14.npz", {"Batman*ragged": np.array([[1], [1, 2]], dtype=object), SCALAR: 1.0})

    record = FileSource(tmp_path).read_run(14)

    assert list(record.errors) == ["Batman*ragged"]
    assert "Object arrays cannot be loaded" in record.errors["Batman*ragged"]
    assert record.values == {SCALAR: np.float64(1.0)}


@pytest.mark.parametrize("compressed", [False, True], ids=["stored", "deflated"])
def test_corrupt_npz_member_goes_to_errors(tmp_path: Path, compressed: bool) -> None:
    path = tmp_path / "run_15.npz"
    waveform = np.random.default_rng(15).random(5000)
    arrays: dict[str, Any] = {WAVEFORM_V: waveform, SCALAR: np.float64(1.0)}
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo(f"{WAVEFORM_V}.npy")
    content = bytearray(path.read_bytes())
    middle = member.header_offset + 100 + member.compress_size // 2  # well inside the member's data
    content[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(content))

    record = FileSource(tmp_path).read_run(15)

    assert list(record.errors) == [WAVEFORM_V]
    assert record.values == {SCALAR: np.float64(1.0)}


def test_missing_run_raises_source_error(tmp_path: Path) -> None:
    write_h5(tmp_path / "run_1.h5", {SCALAR: np.float64(1.0)})

    with pytest.raises(SourceError, match="run 2: no file"):
        FileSource(tmp_path).read_run(2)


def test_missing_folder_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot list the run folder"):
        FileSource(tmp_path / "nowhere").latest_run()


def test_new_file_is_picked_up_by_latest_run(tmp_path: Path) -> None:
    source = FileSource(tmp_path)
    assert source.latest_run() is None

    write_h5(tmp_path / "run_390001.h5", make_observables(390001))
    assert source.latest_run() == 390001

    write_npz(tmp_path / "run_390003.npz", make_observables(390003))
    assert source.latest_run() == 390003
    assert source.available_runs(390000, 390002) == [390001]
    assert source.available_runs(390000, 390010) == [390001, 390003]


def test_hidden_and_temporary_files_are_ignored(tmp_path: Path) -> None:
    write_h5(tmp_path / "run_20.h5", {SCALAR: np.float64(1.0)})
    for name in (".run_30.h5", "~run_31.h5", "run_32.h5.tmp", "run_33.h5.part", "run_34.tmp.h5", "run_35.txt"):
        (tmp_path / name).write_bytes(b"half written")
    (tmp_path / "run_36.h5").mkdir()
    write_h5(tmp_path / "calibration.h5", {SCALAR: np.float64(1.0)})

    source = FileSource(tmp_path)

    assert source.latest_run() == 20
    assert source.available_runs(0, 100) == [20]


def test_hdf5_is_preferred_over_npz_for_the_same_run(tmp_path: Path) -> None:
    write_npz(tmp_path / "run_40.npz", {SCALAR: np.float64(1.0)})
    write_h5(tmp_path / "run_40.h5", {SCALAR: np.float64(2.0)})

    record = FileSource(tmp_path).read_run(40)

    assert record.values == {SCALAR: np.float64(2.0)}


@pytest.mark.parametrize(
    ("name", "run"),
    [("run_390123.h5", 390123), ("390124.npz", 390124), ("aegis2025_run_390125.hdf5", 390125), ("run.h5", None)],
)
def test_run_number_is_the_last_group_of_digits(name: str, run: int | None) -> None:
    assert parse_run_number(Path(name)) == run


def test_open_source_builds_a_file_source(tmp_path: Path) -> None:
    write_h5(tmp_path / "run_50.h5", {SCALAR: np.float64(1.0)})

    source = open_source(Settings(source="files", source_path=tmp_path))

    assert isinstance(source, RunSource)
    assert source.kind == "files"
    assert source.latest_run() == 50
