"""Dashboards in PostgreSQL: per owner, versioned, restorable, exported and imported through a checked schema."""

from __future__ import annotations

import json

import pytest

from alpaca_dash.content.spec import (
    MAX_IMPORT_BYTES,
    DashboardFileError,
    DashboardSpec,
    GridPosition,
    PanelSpec,
    parse_import,
    render_export,
)
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess

pytest_plugins = ["web_fixtures"]


def _panel(panel_id: str, x: int = 0) -> PanelSpec:
    return PanelSpec(
        id=panel_id, type="stat", observables=["ELENA_Parameters*H_offset_mm"], layout=GridPosition(x=x, w=3, h=3)
    )


def test_each_owner_sees_and_touches_only_their_dashboards(access: DataAccess, accounts: dict[str, int]) -> None:
    alice, bob = accounts["alice"], accounts["bob"]
    mine = store.create_dashboard(access, alice, "  Beam   line ")
    assert mine.title == "Beam line" and mine.version == 1
    assert [d.title for d in store.list_dashboards(access, alice)] == ["Beam line"]
    assert store.list_dashboards(access, bob) == []
    assert store.get_dashboard(access, mine.id, bob) is None
    assert store.delete_dashboard(access, mine.id, bob) is False
    with pytest.raises(store.DashboardNotFound):
        store.save_dashboard(access, mine.id, bob, DashboardSpec())
    with pytest.raises(store.DashboardNotFound):
        store.rename_dashboard(access, mine.id, bob, "stolen")
    assert store.get_dashboard(access, mine.id, alice) == mine


def test_save_bumps_the_version_and_keeps_the_last_versions(access: DataAccess, accounts: dict[str, int]) -> None:
    alice = accounts["alice"]
    made = store.create_dashboard(access, alice, "Runs")
    for i in range(store.KEEP_VERSIONS + 3):
        saved = store.save_dashboard(access, made.id, alice, DashboardSpec(panels=[_panel(f"p{i}")]))
    assert saved.version == store.KEEP_VERSIONS + 4
    versions = store.list_versions(access, made.id, alice)
    assert len(versions) == store.KEEP_VERSIONS
    assert versions[0].version == saved.version and versions[-1].version == saved.version - store.KEEP_VERSIONS + 1
    assert store.list_versions(access, made.id, accounts["bob"]) == []


def test_restore_saves_an_old_version_as_the_newest(access: DataAccess, accounts: dict[str, int]) -> None:
    alice = accounts["alice"]
    made = store.create_dashboard(access, alice, "Runs")
    store.save_dashboard(access, made.id, alice, DashboardSpec(panels=[_panel("a")]))
    store.save_dashboard(access, made.id, alice, DashboardSpec(panels=[_panel("a"), _panel("b", x=3)]), title="Two")
    restored = store.restore_version(access, made.id, alice, 2)
    assert restored.version == 4 and [p.id for p in restored.spec.panels] == ["a"] and restored.title == "Runs"
    with pytest.raises(store.DashboardNotFound):
        store.restore_version(access, made.id, accounts["bob"], 2)
    with pytest.raises(store.DashboardNotFound):
        store.restore_version(access, made.id, alice, 99)


def test_rename_duplicate_delete(access: DataAccess, accounts: dict[str, int]) -> None:
    alice = accounts["alice"]
    made = store.create_dashboard(access, alice, "Runs", DashboardSpec(panels=[_panel("a")]))
    renamed = store.rename_dashboard(access, made.id, alice, "Positronium")
    assert renamed.title == "Positronium" and renamed.version == 2
    copy = store.duplicate_dashboard(access, made.id, alice)
    assert copy.title == "Copy of Positronium" and copy.version == 1 and copy.spec == renamed.spec
    assert store.delete_dashboard(access, made.id, alice) is True
    assert [d.id for d in store.list_dashboards(access, alice)] == [copy.id]
    with pytest.raises(store.DashboardError):
        store.rename_dashboard(access, copy.id, alice, "   ")


def test_export_then_import_gives_the_same_dashboard() -> None:
    spec = DashboardSpec(panels=[_panel("a"), _panel("b", x=3)])
    parsed = parse_import(render_export("Beam", spec))
    assert parsed.title == "Beam" and parsed.spec == spec


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"\xff\xfe", "not a JSON file"),
        (b"{not json", "not a JSON file"),
        (json.dumps({"title": "x", "spec": {"panels": "no"}}).encode(), "not a valid dashboard"),
        (json.dumps({"title": "x", "spec": {"panels": []}, "extra": 1}).encode(), "extra"),
        (
            json.dumps(
                {"title": "x", "spec": {"panels": [{"id": "a", "type": "bogus", "observables": ["o"]}]}}
            ).encode(),
            "type",
        ),
        (
            json.dumps(
                {
                    "title": "x",
                    "spec": {
                        "panels": [{"id": "a", "type": "stat", "observables": ["o"], "layout": {"x": 11, "w": 4}}]
                    },
                }
            ).encode(),
            "past column",
        ),
        (
            json.dumps(
                {"title": "x", "spec": {"panels": [{"id": "a", "type": "stat", "observables": ["o"]}] * 2}}
            ).encode(),
            "unique",
        ),
        (b" " * (MAX_IMPORT_BYTES + 1), "at most"),
    ],
)
def test_import_rejects_what_does_not_match_the_schema(payload: bytes, problem: str) -> None:
    with pytest.raises(DashboardFileError, match=problem):
        parse_import(payload)


def test_panel_count_is_bounded() -> None:
    too_many = [_panel(f"p{i}").model_dump() for i in range(49)]
    with pytest.raises(DashboardFileError, match="at most 48"):
        parse_import(json.dumps({"title": "x", "spec": {"panels": too_many}}).encode())
