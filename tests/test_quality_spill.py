"""A run's values through the file the quality checks' process reads them from: back exactly as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alpaca_dash.pipeline.quality_spill import load_spill, remove_spill, spill_values


def test_values_come_back_with_their_dtype_shape_and_bytes() -> None:
    image = np.arange(12, dtype=np.uint16).reshape(3, 4)
    values = {
        "scalar": np.array(2.5),
        "wave": np.array([1.0, np.nan, -np.inf]),
        "image": image,
        "columns": image.T,  # not C-contiguous
        "empty": np.empty((0, 3), dtype=np.float32),
        "flags": np.array([True, False]),
        "extreme": np.array([2**64 - 1], dtype=np.uint64),
    }
    spill = spill_values(values)
    try:
        back = load_spill(spill)
    finally:
        remove_spill(spill)
    assert not Path(spill.path).exists()
    assert list(back) == list(values)
    for name, value in values.items():
        assert back[name].dtype == value.dtype and back[name].shape == value.shape, name
        assert back[name].tobytes() == np.ascontiguousarray(value).tobytes(), name
        assert back[name].flags.writeable


def test_removing_twice_is_harmless() -> None:
    spill = spill_values({"x": np.array(1.0)})
    remove_spill(spill)
    remove_spill(spill)
