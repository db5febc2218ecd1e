"""The runs table's filters at scale: each one is served by an index in run order, and tags follow every writer."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from alpaca_dash.domain import RunStatus
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.runs import RunFilter, list_runs, runs_query, update_run_meta
from alpaca_dash.timescale.database import Database

pytestmark = pytest.mark.both_backends


@pytest.fixture
def access(db: Database) -> DataAccess:
    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO runs (run, status, comment, tags, good, error_count) "
                "SELECT r, CASE WHEN r % 97 = 0 THEN 'failed' ELSE 'ingested' END, "
                "CASE WHEN r % 50 = 0 THEN 'laser scan ' || r ELSE '' END, "
                "CASE WHEN r % 40 = 0 THEN ARRAY['calibration'] ELSE '{}' END, r % 30 <> 0, (r % 60 = 0)::int "
                "FROM generate_series(1, 3000) AS r"
            )
        )
        conn.execute(text("ANALYZE runs"))
        conn.execute(text("ANALYZE run_tags"))
    return DataAccess(db, None, None)  # type: ignore[arg-type]


def plan_of(db: Database, where: RunFilter) -> str:
    query = runs_query(limit=200, where=where)
    with db.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        return "\n".join(conn.execute(text(f"EXPLAIN {compiled}")).scalars())


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (RunFilter(tag="calibration"), "run_tags_pkey"),
        (RunFilter(with_errors=True), "runs_with_errors"),
        (RunFilter(good=False), "runs_bad"),
        (RunFilter(status=RunStatus.FAILED), "runs_not_ingested"),
    ],
    ids=["tag", "errors", "bad", "failed"],
)
def test_each_filter_has_its_index(db: Database, access: DataAccess, where: RunFilter, index: str) -> None:
    assert index in plan_of(db, where)


def test_comment_text_uses_the_trigram_index(db: Database, access: DataAccess) -> None:
    with db.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() is None:
            pytest.skip("pg_trgm is not installed on this server")
    assert "runs_comment_trgm" in plan_of(db, RunFilter(text="laser"))


def test_tags_follow_edits_and_filters_combine(access: DataAccess) -> None:
    assert [r.run for r in list_runs(access, limit=3, where=RunFilter(tag="calibration"))] == [3000, 2960, 2920]
    update_run_meta(access, 2960, tags=["other"])
    update_run_meta(access, 2999, tags=["calibration", "other"])
    tagged = list_runs(access, limit=3, where=RunFilter(tag="calibration"))
    assert [r.run for r in tagged] == [3000, 2999, 2920]
    page = list_runs(access, limit=2, before=2999, where=RunFilter(tag="calibration", first=2800, last=3000))
    assert [r.run for r in page] == [2920, 2880]
    both = list_runs(access, limit=5, where=RunFilter(tag="other", text="scan"))
    assert [r.run for r in both] == []
    assert [r.run for r in list_runs(access, limit=5, where=RunFilter(tag="other"))] == [2999, 2960]
