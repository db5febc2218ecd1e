"""The ALPACA adapter against a stand-in module with ALPACA's ``generate`` signature and result shape."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alpaca_dash.config import Settings
from alpaca_dash.domain import UnsupportedValue, classify_value
from alpaca_dash.sources import RunSource, SourceError, open_source
from alpaca_dash.sources.alpaca import AlpacaSource

FAKE_ALPACA = Path(__file__).parent / "fixtures" / "fake_alpaca"
ALPACA_MODULES = ("ALPACA", "ALPACA.data", "ALPACA.data.finalize")


@pytest.fixture
def alpaca_importable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the stand-in importable as ``ALPACA``, and forget it afterwards."""
    for name in ALPACA_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(FAKE_ALPACA)
    yield
    for name in ALPACA_MODULES:
        sys.modules.pop(name, None)


@pytest.mark.usefixtures("alpaca_importable")
def test_read_run_flattens_names_and_keeps_dtypes() -> None:
    source = AlpacaSource.from_settings(Settings(source="alpaca"))

    record = source.read_run(390001)

    assert record.run == 390001
    assert record.errors == {}
    assert sorted(record.values) == [
        "5TCCD*acq_2*background_corrected*img_with_roi",
        "Batman*beam_on",
        "Batman*comment",
        "ELENA_Parameters*H_offset_mm",
        "SC56_coinc*event_clock",
        "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V",
        "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*t",
    ]
    image = record.values["5TCCD*acq_2*background_corrected*img_with_roi"]
    assert (image.dtype, image.shape) == (np.dtype(np.uint16), (16, 8))
    events = record.values["SC56_coinc*event_clock"]
    np.testing.assert_array_equal(events, np.array([1, 2, 2**64 - 1], dtype=np.uint64), strict=True)
    np.testing.assert_array_equal(
        record.values["captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"], [0.0, np.nan, np.inf, -1.5]
    )
    assert record.values["captorius3*acq_0*Channel_2_SSPALS*Y_[V]*t"].dtype == np.float32
    assert record.values["ELENA_Parameters*H_offset_mm"] == np.float64(390.001)
    assert classify_value(record.values["Batman*beam_on"])[1].dtype == np.bool_
    with pytest.raises(UnsupportedValue):  # passed through untouched; ingest records it as an error
        classify_value(record.values["Batman*comment"])


@pytest.mark.usefixtures("alpaca_importable")
def test_read_run_takes_run_times_out_of_the_observables() -> None:
    record = AlpacaSource.from_settings(Settings()).read_run(390001)

    assert record.start == datetime(2025, 6, 5, 10, 1, tzinfo=timezone(timedelta(hours=2)))
    assert record.end == datetime.fromtimestamp(1749117600.0 + 390001, tz=UTC)
    assert not {"run_start", "run_end"} & set(record.values)


@pytest.mark.usefixtures("alpaca_importable")
def test_options_are_passed_to_generate() -> None:
    source = AlpacaSource.from_settings(Settings(), variables_of_interest=["captorius3", "ELENA"])

    record = source.read_run(390002)

    assert sorted(record.values) == [
        "ELENA_Parameters*H_offset_mm",
        "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V",
        "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*t",
    ]


@pytest.mark.usefixtures("alpaca_importable")
def test_failures_and_missing_runs_raise_source_error_for_that_run_only() -> None:
    source = AlpacaSource.from_settings(Settings(), known_bad_runs=[390004])

    with pytest.raises(SourceError, match=r"run 390007: ALPACA failed: RuntimeError: raw data of run 390007"):
        source.read_run(390007)
    with pytest.raises(SourceError, match="run 391000: ALPACA returned no data"):
        source.read_run(391000)
    with pytest.raises(SourceError, match="known bad run"):
        source.read_run(390004)
    assert source.read_run(390008).run == 390008


@pytest.mark.usefixtures("alpaca_importable")
def test_available_runs_is_the_range_without_known_bad_runs() -> None:
    source = AlpacaSource.from_settings(Settings(), known_bad_runs=[390004])

    assert source.available_runs(390002, 390006) == [390002, 390003, 390005, 390006]
    assert source.available_runs(5, 4) == []


@pytest.mark.usefixtures("alpaca_importable")
def test_latest_run_needs_a_finder() -> None:
    assert AlpacaSource.from_settings(Settings()).latest_run() is None
    assert AlpacaSource.from_settings(Settings(), find_latest_run=lambda: 390009).latest_run() == 390009


@pytest.mark.usefixtures("alpaca_importable")
def test_open_source_builds_the_alpaca_source() -> None:
    source = open_source(Settings(source="alpaca"))

    assert isinstance(source, RunSource)
    assert source.kind == "alpaca"
    assert "Batman*beam_on" in source.read_run(390000).values


def test_not_importable_raises_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALPACA_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)

    with pytest.raises(SourceError, match=r"ALPACA is not importable here \(ALPACA\.data\.finalize: ModuleNotFound"):
        AlpacaSource.from_settings(Settings())
    with pytest.raises(SourceError, match="ALPACA is not importable here"):
        open_source(Settings(source="alpaca"))


def test_module_without_generate_raises_source_error() -> None:
    with pytest.raises(SourceError, match="json has no generate"):
        AlpacaSource.from_settings(Settings(), module_name="json")


def stand_in_generate_with_odd_keys(
    first_run: int,
    last_run: int,
    elog_results_filename: str | None,
    known_bad_runs: list[int],
    verbosing: bool,
    variables_of_interest: list[str] | None = None,
    directories_to_flush: list[str] | None = None,
    speed_mode: bool = True,
) -> dict[Any, Any]:
    """A result with text run keys, nested parts and a name that two keys flatten to."""
    return {
        str(run): {
            "Start_Time": "2025-06-05T10:00:00",
            "END_TIME": "not a time",
            ("Batman", "acq_0", "dup"): 1.0,
            "Batman*acq_0*dup": 2.0,
            ("Batman", 3): np.int32(3),
            "Batman": {"acq_1": {("a b", "[c]"): np.float32(4.0)}},
        }
        for run in range(first_run, last_run + 1)
    }


def test_odd_shapes_of_the_result_are_translated() -> None:
    record = AlpacaSource(stand_in_generate_with_odd_keys).read_run(12)

    assert record.start == datetime(2025, 6, 5, 10, tzinfo=UTC)
    assert record.end is None
    assert record.values == {"Batman*3": np.int32(3), "Batman*acq_1*a b*[c]": np.float32(4.0)}
    assert list(record.errors) == ["Batman*acq_0*dup"]


@pytest.mark.parametrize("result", [None, [1, 2], {12: "not a mapping"}])
def test_result_of_another_shape_raises_source_error(result: Any) -> None:
    source = AlpacaSource(lambda *args, **kwargs: result)

    with pytest.raises(SourceError, match="run 12: ALPACA returned"):
        source.read_run(12)
