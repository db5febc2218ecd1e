"""A panel's download is its stored data: every sample, the whole image, exact values in their own dtype."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from memory_panel_data import MemoryPanelData

from alpaca_dash.content.data import NoData, Target
from alpaca_dash.content.downloads import load_download
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.run_range import RunRange

V, T, CAM, H, N = "captorius3*acq_0*Y_[V]*V", "captorius3*acq_0*Y_[V]*t", "5TCCD*img", "ELENA*H", "SC56*count"


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


@pytest.fixture
def data() -> MemoryPanelData:
    rng = np.random.default_rng(3)
    return MemoryPanelData(
        {
            (V, 1): rng.normal(size=20_000).astype(np.float32),
            (T, 1): np.linspace(0.0, 2e-6, 20_000),
            (V, 2): rng.normal(size=19_000).astype(np.float32),
            (CAM, 1): rng.integers(0, 65_535, size=(64, 48), dtype=np.uint16),
            (H, 1): np.array(0.1 + 0.2),
            (N, 1): np.array(2**63 + 12345, dtype=np.uint64),
            (H, 2): np.array(-0.5),
        }
    )


def test_a_waveforms_csv_holds_every_sample_of_the_run_and_of_its_reference(data: MemoryPanelData) -> None:
    line = PanelSpec(id="w", type="line", observables=[V], x=T)
    found = load_download(data, line, Target(1, reference=2), "csv")
    assert found.filename == "captorius3_acq_0_Y_V_V_run1.csv" and found.media_type == "text/csv"
    rows = rows_of(found.content)
    assert rows[0] == [T, f"{V} run 1", f"{V} reference 2"]
    assert len(rows) == 1 + 20_000  # not the ~1,200 points drawn
    v, t, ref = data.values[(V, 1)], data.values[(T, 1)], data.values[(V, 2)]
    assert [np.float32(r[1]) for r in rows[1:]] == v.tolist()  # each float32 sample read back exactly
    assert [float(r[0]) for r in rows[1:]] == t.tolist()
    assert [r[2] for r in rows[-1000:]] == [""] * 1000 and np.float32(rows[19_000][2]) == ref[-1]


def test_an_image_panel_offers_the_whole_array_as_npy_and_as_a_csv_matrix(data: MemoryPanelData) -> None:
    image = PanelSpec(id="c", type="image", observables=[CAM])
    npy = load_download(data, image, Target(1), "npy")
    back = np.load(io.BytesIO(npy.content), allow_pickle=False)
    assert npy.filename == "5TCCD_img_run1.npy" and back.dtype == np.uint16
    np.testing.assert_array_equal(back, data.values[(CAM, 1)])
    matrix = rows_of(load_download(data, image, Target(1), "csv").content)
    assert np.array(matrix, dtype=np.uint16).tolist() == data.values[(CAM, 1)].tolist()
    with pytest.raises(ValueError, match="offers npy, csv, not png"):
        load_download(data, image, Target(1), "png")


def test_stats_and_tables_give_exact_values_with_units(data: MemoryPanelData) -> None:
    stat = rows_of(load_download(data, PanelSpec(id="s", type="stat", observables=[H]), Target(1), "csv").content)
    assert stat == [["observable", "run", "value", "unit"], [H, "1", "0.30000000000000004", ""]]
    table = PanelSpec(id="t", type="table", observables=[H, N])
    rows = rows_of(load_download(data, table, Target(1), "csv").content)
    assert rows[2] == [N, "1", str(2**63 + 12345), ""]  # a uint64 beyond 2**53, exactly
    with pytest.raises(NoData):
        load_download(data, PanelSpec(id="s", type="stat", observables=[H]), Target(3), "csv")


def test_a_trends_csv_holds_every_run_of_its_range(data: MemoryPanelData) -> None:
    trend = PanelSpec(id="r", type="trend", observables=[H])
    found = load_download(data, trend, Target(2, runs=RunRange(1, 5)), "csv")
    assert found.filename == "ELENA_H_runs1-5.csv"
    assert rows_of(found.content) == [["run", H, "good"], ["1", "0.30000000000000004", "true"], ["2", "-0.5", "true"]]
