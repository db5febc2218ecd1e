"""docs/notebook.ipynb runs top to bottom in a real Jupyter kernel against a real database."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database

NOTEBOOK = Path(__file__).parent.parent / "docs" / "notebook.ipynb"


def cell_text(cell: nbformat.NotebookNode) -> str:
    return "\n".join(
        output.get("data", {}).get("text/plain", "") or output.get("text", "") for output in cell.get("outputs", [])
    )


def test_the_notebook_runs_in_a_real_kernel(
    db: Database, simulated: SimulatedSource, fresh_schema_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_range(db, ParquetStore(tmp_path / "parquet"), simulated, 390000, 390005)
    for name in list(os.environ):
        if name.startswith("ALPACA_DASH_") and not name.startswith("ALPACA_DASH_TEST_"):
            monkeypatch.delenv(name)
    # the kernel inherits this process's environment: it connects as a notebook user would, from the settings
    monkeypatch.setenv("ALPACA_DASH_DATABASE_URL", fresh_schema_url)
    monkeypatch.setenv("ALPACA_DASH_PARQUET_DIR", str(tmp_path / "parquet"))
    monkeypatch.setenv("ALPACA_DASH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALPACA_DASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core warns about its old paths otherwise
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if any cell fails
    shown = [cell_text(cell) for cell in notebook.cells if cell.cell_type == "code"]
    joined = "\n".join(shown)
    assert "'ELENA_Parameters*H_offset_mm': 'float64'" in joined
    assert "'SC56_coinc*event_count': 'int64'" in joined
    assert "'Batman*acq_0*Catch*Window_0_enabled': 'bool'" in joined
    assert "(('run', 'y', 'x'), (6, 64, 64), 'float32')" in joined
    assert "[390000, 390001, 390002, 390003, 390004, 390005]" in joined
    assert "(['run', 'observable', 'message', 'job_id', 'created_at'], 0)" in joined
