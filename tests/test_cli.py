"""The real ``alpaca-dash`` command, driven with click's CliRunner against a real PostgreSQL and real files."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from alpaca_dash.config import Settings
from alpaca_dash.domain import ObservableKind
from alpaca_dash.export import read_arrays
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.queries import jobs as queue
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.runs import list_runs
from alpaca_dash.queries.users import authenticate
from alpaca_dash.queries.values import load_value, referenced_files
from alpaca_dash.sources.simulated import CCD, ELENA, SSPALS
from alpaca_dash.timescale.database import Database

from cli_fixtures import assert_one_line_error, run_cli

SCALAR = f"{ELENA}*H_offset_mm"
WAVEFORM = f"{SSPALS}*V"
COUNT = "SC56_coinc*event_count"
MV_TRACE = "scope*Channel_1*Y_[mV]*V"
COMMANDS = [
    [],
    ["ingest"],
    ["export"],
    ["observables"],
    ["runs"],
    ["errors"],
    ["reconcile"],
    ["db"],
    ["db", "init"],
    ["db", "migrate"],
    ["db", "stop"],
    ["db", "grant-readonly"],
    ["db", "prune"],
    ["demo"],
    ["serve"],
    ["follow"],
    ["users"],
    ["users", "add"],
    ["users", "list"],
    ["tokens"],
    ["tokens", "create"],
    ["tokens", "list"],
    ["tokens", "revoke"],
    ["config"],
]
VALUE_TABLES = ("runs", "observables", "scalars", "arrays1d", "arrays2d", "array_stats", "ingest_errors")


@pytest.fixture
def access(cli_env: None, db: Database, data_dir: Path) -> DataAccess:
    """The same database and sidecar the command uses, to check what it stored."""
    return DataAccess(db, ParquetStore(data_dir / "parquet"), Settings(data_dir=data_dir))


def row_counts(db: Database) -> dict[str, int]:
    with db.begin() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in VALUE_TABLES}


def write_run_file(folder: Path, run: int) -> Path:
    path = folder / f"run_{run}.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset(MV_TRACE.replace("*", "/"), data=np.linspace(0.0, 1.0, 50, dtype=np.float32))
        h5.create_dataset("Batman/acq_0/counter", data=np.int64(run))
        h5.attrs["run_start"] = "2026-05-01T10:00:00+00:00"
        h5.attrs["run_end"] = "2026-05-01T10:05:00+00:00"
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert "Usage" in result.stdout


def test_db_init_creates_the_schema_once(cli_env: None) -> None:
    first = run_cli("db", "init")
    assert "applied migrations [1" in first.stdout
    assert "schema at version" in first.stdout
    again = run_cli("db", "migrate")
    assert "applied migrations none" in again.stdout


def test_ingest_then_runs_lists_them(access: DataAccess) -> None:
    result = run_cli("ingest", "--runs", "390000-390003")
    assert "4 runs ingested, 0 failed, 0 not in the simulated source" in result.stdout

    listed = run_cli("runs").stdout
    table_rows = [line for line in listed.splitlines() if "39000" in line]
    assert [row.split()[1] for row in table_rows] == ["390003", "390002", "390001", "390000"]
    assert all("ingested" in row and "simulated" in row for row in table_rows)
    limited = run_cli("runs", "--limit", "2").stdout
    assert "390003" in limited
    assert "390001" not in limited


def test_reingest_is_idempotent(access: DataAccess) -> None:
    run_cli("ingest", "--runs", "390000-390002")
    counts, files = row_counts(access.db), referenced_files(access)
    image = get_observables(access, [CCD])[0]
    before = load_value(access, image, 390001)

    run_cli("ingest", "--runs", "390000..390002")

    assert row_counts(access.db) == counts
    assert counts["runs"] == 3
    assert counts["ingest_errors"] == 0
    assert len(referenced_files(access)) == len(files) == 3
    assert referenced_files(access) != files  # each ingest writes new sidecar files...
    assert sorted(access.store.list_files()) == sorted(referenced_files(access))  # ...and removes the old ones
    after = load_value(access, image, 390001)
    assert before is not None
    assert after is not None
    assert after.tobytes() == before.tobytes()


def test_observables_tree_shows_the_hierarchy(access: DataAccess) -> None:
    run_cli("ingest", "--runs", "390000")
    lines = run_cli("observables", "--tree").stdout.splitlines()

    def line_of(fragment: str, after: int = -1) -> int:
        return next(i for i, line in enumerate(lines) if i > after and fragment in line)

    def indent(index: int) -> int:
        line = lines[index]
        return len(line) - len(line.lstrip(" │├└─"))

    root = line_of("captorius3")
    group = line_of("acq_0", after=root)
    channel = line_of("Channel_2_SSPALS", after=group)
    leaf = line_of("V  array1d float64 20000 V", after=channel)
    assert indent(root) < indent(group) < indent(channel) < indent(leaf)
    assert "Y_[V]" in lines[line_of("Y_[V]")]
    assert "img_with_roi  array2d float32 32x32 counts" in lines[line_of("img_with_roi")]
    assert "H_offset_mm  scalar float64 scalar mm" in lines[line_of("H_offset_mm")]


def test_observables_table_and_search(access: DataAccess) -> None:
    run_cli("ingest", "--runs", "390000-390001")
    out = run_cli("observables", "--search", "elena").stdout
    rows = [line for line in out.splitlines() if ELENA in line]
    assert len(rows) == 5
    assert all("scalar" in row and "float64" in row and "390000-390001" in row for row in rows)
    assert WAVEFORM not in out
    full = run_cli("observables").stdout
    assert f"{CCD} " in full
    assert "32x32" in full
    assert "more match" not in full
    limited = run_cli("observables", "--search", "ELENA", "--limit", "2").stdout
    assert len([line for line in limited.splitlines() if ELENA in line]) == 2
    assert "3 more match: narrow the --search or raise --limit" in limited
    assert "3 more match" in run_cli("observables", "--tree", "-s", "elena", "--limit", "2").stdout
    assert "elena" not in run_cli("observables", "-s", "elena nothing-like-it").stdout.lower()


def test_errors_show_a_truncated_run_file(access: DataAccess, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    write_run_file(folder, 390011)
    broken = write_run_file(folder, 390010)
    with broken.open("r+b") as handle:
        handle.truncate(broken.stat().st_size // 2)

    result = run_cli("ingest", "--source", "files", "--path", str(folder), "--runs", "390010-390012", code=1)
    assert "1 runs ingested, 1 failed, 1 not in the files source" in result.stdout
    assert "run 390010: run 390010: cannot open" in result.stderr

    errors = run_cli("errors").stdout
    rows = [line for line in errors.splitlines() if "390010" in line]
    assert len(rows) == 1
    assert "(whole run)" in rows[0]
    assert "truncated" in rows[0]
    assert "390011" not in errors
    assert "390010" not in run_cli("errors", "--run", "390011").stdout

    # names with brackets are shown as they are, not taken for console markup
    assert MV_TRACE in run_cli("observables").stdout
    assert "Y_[mV]" in run_cli("observables", "--tree").stdout


def test_export_writes_exactly_the_stored_values(access: DataAccess, tmp_path: Path) -> None:
    run_cli("ingest", "--runs", "390000-390003")
    out = tmp_path / "export.parquet"
    result = run_cli(
        "export", "-O", SCALAR, "-O", WAVEFORM, "-O", CCD, "-O", COUNT, "--runs", "390000-390003", "-o", str(out)
    )
    assert f"wrote {out}: 4 runs, 6 columns" in result.stdout
    assert not out.with_name(out.name + ".part").exists()

    table = pq.read_table(out)
    assert table.column_names == ["run", SCALAR, WAVEFORM, CCD, CCD + "#shape", COUNT]
    assert table.column("run").to_pylist() == [390000, 390001, 390002, 390003]
    assert table.schema.field(CCD).type == pa.large_binary()
    for item in get_observables(access, [SCALAR, WAVEFORM, CCD, COUNT]):
        arrays = None if item.kind is ObservableKind.SCALAR else read_arrays(table, item.name)
        for row, run in enumerate(table.column("run").to_pylist()):
            expected = load_value(access, item, run)
            assert expected is not None
            if arrays is None:
                assert table.schema.field(item.name).type == pa.from_numpy_dtype(expected.dtype)
                actual = np.asarray(table.column(item.name)[row].as_py(), dtype=expected.dtype)
            else:
                stored = arrays[row]
                assert stored is not None and stored.dtype == expected.dtype
                actual = stored
            if item.kind is ObservableKind.ARRAY2D:
                assert actual.shape == (32, 32)
            assert actual.shape == expected.shape
            assert actual.tobytes() == expected.tobytes()


def test_db_prune_says_what_it_would_delete_then_deletes_it(access: DataAccess, data_dir: Path) -> None:
    run_cli("ingest", "--runs", "390000-390002")
    asked = run_cli("db", "prune", "--before", "390002").stdout
    assert "2 runs below 390002 would be deleted" in asked
    assert [r.run for r in list_runs(access)] == [390002, 390001, 390000]
    done = run_cli("db", "prune", "--before", "390002", "--yes").stdout
    assert "deleted 2 runs below 390002 and 2 sidecar files" in done
    assert [r.run for r in list_runs(access)] == [390002]
    assert sorted(access.store.list_files()) == sorted(referenced_files(access))


def test_reconcile_removes_only_old_orphans(access: DataAccess, data_dir: Path) -> None:
    run_cli("ingest", "--runs", "390000-390001")
    referenced = referenced_files(access)
    orphan = data_dir / "parquet" / "00390" / "run-390000-0123456789abcdef.parquet"
    orphan.write_bytes(b"left by an interrupted ingest")

    kept = run_cli("reconcile").stdout
    assert "0 orphaned files removed" in kept
    assert orphan.exists()

    removed = run_cli("reconcile", "--min-age", "0").stdout
    assert "removed 00390/run-390000-0123456789abcdef.parquet" in removed
    assert "1 orphaned files removed" in removed
    assert not orphan.exists()
    assert sorted(access.store.list_files()) == sorted(referenced)
    image = get_observables(access, [CCD])[0]
    assert load_value(access, image, 390001) is not None


def test_users_add_and_duplicate(access: DataAccess) -> None:
    created = run_cli("users", "add", "alice", "--role", "editor", "--password", "correct-horse")
    assert "created editor alice" in created.stdout
    user = authenticate(access, "alice", "correct-horse")
    assert user is not None
    assert user.can_edit

    duplicate = run_cli("users", "add", "alice", "--role", "viewer", "--password", "another-pass", code=1)
    assert_one_line_error(duplicate, "already exists")
    assert run_cli("users", "list").stdout.split() == ["alice", "editor"]

    short = run_cli("users", "add", "bob", "--password", "short", code=1)
    assert_one_line_error(short, "at least 8 characters")
    bad_role = run_cli("users", "add", "carol", "--role", "owner", "--password", "long-enough", code=2)
    assert_one_line_error(bad_role, "Invalid value for '--role'", "'owner' is not one of")


def test_reversed_range_is_refused(cli_env: None) -> None:
    assert_one_line_error(run_cli("ingest", "--runs", "390003-390000", code=1), "reversed run range 390003-390000")


def test_range_beyond_max_range_is_refused(cli_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALPACA_DASH_MAX_RANGE", "10")
    result = run_cli("ingest", "--runs", "390000-390010", code=1)
    assert_one_line_error(result, "spans 11 runs, more than the limit of 10", "ALPACA_DASH_MAX_RANGE")
    out = tmp_path / "x.parquet"
    result = run_cli("export", "-O", SCALAR, "--runs", "1-1000", "-o", str(out), code=1)
    assert_one_line_error(result, "more than the limit of 10")
    assert not out.exists()


def test_garbage_range_is_refused(cli_env: None) -> None:
    assert_one_line_error(run_cli("ingest", "--runs", "last week", code=1), "bad run range 'last week'")


def test_unknown_observable_is_refused(access: DataAccess, tmp_path: Path) -> None:
    run_cli("ingest", "--runs", "390000")
    out = tmp_path / "x.parquet"
    result = run_cli("export", "-O", SCALAR, "-O", "No*such*[thing]", "--runs", "390000", "-o", str(out), code=1)
    assert_one_line_error(result, "unknown observable: 'No*such*[thing]'")
    assert not out.exists()
    assert not out.with_name(out.name + ".part").exists()


def test_unlistable_run_folder_fails_the_job(access: DataAccess, tmp_path: Path) -> None:
    missing = tmp_path / "not-mounted"
    result = run_cli("ingest", "--source", "files", "--path", str(missing), "--runs", "390000-390001", code=1)
    assert_one_line_error(result, "cannot list the run folder")
    [job] = queue.list_jobs(access)
    assert (job.kind, job.status) == ("cli", "failed")
    assert "cannot list the run folder" in job.message
    assert job.finished_at is not None


def test_failed_export_leaves_no_file(access: DataAccess, tmp_path: Path) -> None:
    run_cli("ingest", "--runs", "390000-390001")
    for name in access.store.list_files():
        access.store.resolve(name).unlink()  # the sidecar was lost
    out = tmp_path / "x.parquet"
    result = run_cli("export", "-O", SCALAR, "-O", CCD, "--runs", "390000-390001", "-o", str(out), code=1)
    assert_one_line_error(result, "cannot read")
    assert list(tmp_path.glob("x.parquet*")) == []


def test_export_into_a_missing_folder_is_refused(access: DataAccess, tmp_path: Path) -> None:
    run_cli("ingest", "--runs", "390000")
    out = tmp_path / "no" / "such" / "folder" / "x.parquet"
    assert_one_line_error(run_cli("export", "-O", SCALAR, "--runs", "390000", "-o", str(out), code=1))
    assert not out.parent.exists()


def test_files_source_without_a_folder_is_refused(cli_env: None) -> None:
    result = run_cli("ingest", "--source", "files", "--runs", "390000", code=1)
    assert_one_line_error(result, "the files source needs a folder")


@pytest.mark.parametrize("command", [["runs"], ["db", "init"], ["ingest", "--runs", "390000"], ["users", "list"]])
def test_unreachable_database_is_one_line(cli_env: None, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    monkeypatch.setenv("ALPACA_DASH_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    assert_one_line_error(run_cli(*command, code=1), "database unavailable")


def test_bad_setting_value_exits_2(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_DASH_PORT", "abc")
    assert_one_line_error(run_cli("runs", code=2), "bad setting port")


def test_bad_option_value_is_a_usage_error(cli_env: None) -> None:
    result = run_cli("runs", "--limit", "many", code=2)
    assert_one_line_error(result, "Invalid value for '--limit'", "see 'alpaca-dash runs --help'")
