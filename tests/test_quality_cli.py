"""``alpaca-dash checks`` and ``alpaca-dash quality`` on a real database, and ``api.quality``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from alpaca_dash.api import connect
from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import SSPALS
from alpaca_dash.timescale.database import Database

from cli_fixtures import assert_one_line_error, run_cli

ELENA = "ELENA_Parameters*H_offset_mm"
CHECKS: dict[str, Any] = {
    "version": 1,
    "checks": [
        {"kind": "scalar", "name": "offset never", "observable": ELENA, "bounds": {"alarm_high": -1e9}},
        {"kind": "reference", "name": "sspals ks", "observable": f"{SSPALS}*V", "test": "ks"},
        {
            "kind": "statistic",
            "name": "sspals nans",
            "observable": f"{SSPALS}*V",
            "statistic": "nan_count",
            "bounds": {"alarm_high": 0},
        },
    ],
}


@pytest.fixture
def access(cli_env: None, db: Database, data_dir: Path) -> DataAccess:
    return DataAccess(db, ParquetStore(data_dir / "parquet"), Settings(data_dir=data_dir))


def result_count(db: Database) -> int:
    with db.begin() as conn:
        return int(conn.execute(text("SELECT count(*) FROM quality_results")).scalar_one())


@pytest.mark.parametrize(
    "command",
    [["checks"], ["checks", "list"], ["checks", "import"], ["checks", "export"], ["checks", "run"], ["quality"]],
)
def test_every_quality_command_has_help(command: list[str]) -> None:
    assert "Usage" in run_cli(*command, "--help").stdout


def test_import_run_and_judge_from_the_shell(access: DataAccess, tmp_path: Path) -> None:
    run_cli("ingest", "--runs", "390000-390002")
    checks_file = tmp_path / "checks.json"
    checks_file.write_text(json.dumps(CHECKS))
    assert "3 checks added, 0 updated" in run_cli("checks", "import", str(checks_file)).stdout
    listed = run_cli("checks", "list").stdout
    assert "offset never" in listed and "test=ks" in listed

    assert result_count(access.db) == 0  # the runs were stored before the checks existed
    assert "3 runs judged, 0 failed, 3 alarms" in run_cli("checks", "run", "--runs", "390000-390002").stdout
    run_cli("ingest", "--runs", "390003")  # judged after its commit, before the command ends
    assert result_count(access.db) == 12

    table = run_cli("quality", "--runs", "390000-390003", code=1).stdout
    rows = [line for line in table.splitlines() if "3900" in line and "suspect" in line]
    assert len(rows) == 4
    assert "4 checks in alarm over runs 390000-390003" in table
    detail = run_cli("quality", "--runs", "390003", "--checks", code=1).stdout
    assert "no good run before this one" in detail

    with connect(database_url=access.db.url, data_dir=access.settings.data_dir) as dash:
        frame = dash.quality("390000-390003")
    assert len(frame) == 12
    assert set(frame["state"]) == {"alarm", "ok", "nodata"}
    assert frame.loc[frame["check"] == "offset never", "run"].tolist() == [390000, 390001, 390002, 390003]

    exported = tmp_path / "out.json"
    run_cli("checks", "export", str(exported))
    assert json.loads(exported.read_text())["checks"][0]["name"] == "offset never"
    assert "0 checks added, 3 updated" in run_cli("checks", "import", str(exported)).stdout


def test_quality_without_alarms_exits_0(access: DataAccess, tmp_path: Path) -> None:
    run_cli("ingest", "--runs", "390000-390001")
    checks_file = tmp_path / "checks.json"
    checks_file.write_text(json.dumps({"checks": CHECKS["checks"][2:]}))
    run_cli("checks", "import", str(checks_file))
    run_cli("checks", "run", "--runs", "390000-390001")
    assert "ok" in run_cli("quality", "--runs", "390000-390001").stdout


def test_a_bad_file_is_one_line_and_stores_nothing(access: DataAccess, tmp_path: Path) -> None:
    run_cli("ingest", "--runs", "390000")
    bad = tmp_path / "bad.json"
    for document, fragment in [
        (
            {"checks": [*CHECKS["checks"], {**CHECKS["checks"][0], "name": "x", "observable": "nope"}]},
            "check 'x': unknown observable 'nope'",
        ),
        ({"checks": [{**CHECKS["checks"][1], "warn_p": 2}]}, "warn_p must lie in (0, 1), not 2"),
        ({"checks": [{**CHECKS["checks"][1], "reference_run": 1}]}, "reference run 1 does not exist"),
        ({"checks": [{**CHECKS["checks"][0], "bounds": {"warn_high": 1, "alarm_high": 0}}]}, "bounds do not nest"),
    ]:
        bad.write_text(json.dumps(document))
        result = run_cli("checks", "import", str(bad), code=1)
        assert_one_line_error(result, fragment, "nothing was stored")
    bad.write_text("{not json")
    assert_one_line_error(run_cli("checks", "import", str(bad), code=1), "is not JSON")
    exported = run_cli("checks", "export", "-").stdout
    assert json.loads(exported)["checks"] == []
