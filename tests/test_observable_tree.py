"""The tree a level at a time and the server search, on a registry written as ingest writes it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from alpaca_dash.domain import ObservableKind, RunRecord
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observable_tree import list_tree_children, search_observables
from alpaca_dash.timescale.database import Database

from memory_source import MemorySource

pytestmark = pytest.mark.both_backends

NAMES = [
    "5TCCD*acq_2*background_corrected*img_with_roi",
    "5TCCD*acq_2*exposure",
    "Batman*Q_1 [A]",
    "Batman*Q_10 [A]",
    "Batman*q_2 [A]",
    "Batman*sub",  # a leaf and ...
    "Batman*sub*deeper",  # ... a group of the same name
    "ELENA_Parameters*H_offset_mm",
    "under_score*x",
    "underXscore*x",
]


@pytest.fixture
def access(db: Database, store: ParquetStore) -> DataAccess:
    values: dict[str, Any] = {name: np.float64(i) for i, name in enumerate(NAMES)}
    values[NAMES[0]] = np.zeros((2, 2), dtype=np.uint16)
    source = MemorySource({1: RunRecord(run=1, start=None, end=None, values=values)})
    assert ingest_run(db, store, source, 1).ok
    return DataAccess(db, store, None)  # type: ignore[arg-type]


def test_the_root_lists_groups_with_what_is_below(access: DataAccess) -> None:
    level = list_tree_children(access)
    assert [(n.label, n.below, n.is_group) for n in level.nodes] == [
        ("5TCCD", 2, True),
        ("Batman", 5, True),
        ("ELENA_Parameters", 1, True),
        ("under_score", 1, True),
        ("underXscore", 1, True),
    ]
    assert level.more == 0
    assert level.nodes[0].id == "group:5TCCD"


def test_a_group_opens_to_its_children_groups_first(access: DataAccess) -> None:
    level = list_tree_children(access, ["Batman"])
    assert [(n.label, n.is_group, n.below) for n in level.nodes] == [
        ("sub", True, 1),
        ("Q_1 [A]", False, 1),
        ("Q_10 [A]", False, 1),
        ("q_2 [A]", False, 1),
        ("sub", False, 1),
    ]
    leaf = level.nodes[1].observable
    assert leaf is not None and leaf.name == "Batman*Q_1 [A]" and leaf.kind is ObservableKind.SCALAR
    assert [n.label for n in list_tree_children(access, ["Batman", "sub"]).nodes] == ["deeper"]
    assert list_tree_children(access, ["nothing"]).nodes == []


def test_a_long_level_stops_at_the_limit_and_says_how_many_more(access: DataAccess) -> None:
    level = list_tree_children(access, ["Batman"], limit=2)
    assert [n.label for n in level.nodes] == ["sub", "Q_1 [A]"]
    assert level.more == 3


def test_a_tree_of_one_kind_holds_only_the_groups_with_some(access: DataAccess) -> None:
    level = list_tree_children(access, kind=ObservableKind.ARRAY2D)
    assert [(n.label, n.below) for n in level.nodes] == [("5TCCD", 1)]


def test_search_matches_every_word_ignoring_case_and_counts_the_rest(access: DataAccess) -> None:
    found = search_observables(access, "batman  [a]")
    assert [o.name for o in found.items] == ["Batman*Q_1 [A]", "Batman*Q_10 [A]", "Batman*q_2 [A]"]
    assert found.more == 0
    limited = search_observables(access, "[a]", limit=2)
    assert [o.name for o in limited.items] == ["Batman*Q_1 [A]", "Batman*Q_10 [A]"] and limited.more == 1


def test_search_pages_on_after_a_name_and_an_empty_query_matches_all(access: DataAccess) -> None:
    names = sorted(NAMES)  # by code point, as the test databases collate (C.UTF-8)
    first = search_observables(access, "", limit=4)
    assert [o.name for o in first.items] == names[:4] and first.more == len(names) - 4
    second = search_observables(access, "", limit=4, after=first.items[-1].name)
    assert [o.name for o in second.items] == names[4:8] and second.more == 2
    last = search_observables(access, "", limit=4, after=second.items[-1].name)
    assert [o.name for o in last.items] == names[8:] and last.more == 0
    assert [o.name for o in search_observables(access, "batman", after="Batman*q_2 [A]").items] == [
        "Batman*sub",
        "Batman*sub*deeper",
    ]


def test_search_takes_like_wildcards_literally(access: DataAccess) -> None:
    assert [o.name for o in search_observables(access, "under_score").items] == ["under_score*x"]
    assert search_observables(access, "%").items == []


def test_search_by_kind(access: DataAccess) -> None:
    found = search_observables(access, "5tccd", kind=ObservableKind.SCALAR)
    assert [o.name for o in found.items] == ["5TCCD*acq_2*exposure"]


def test_search_and_children_use_their_indexes(db: Database, access: DataAccess) -> None:
    with db.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() is None:
            pytest.skip("pg_trgm is not installed on this server")
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(conn.execute(text("EXPLAIN SELECT id FROM observables WHERE name ILIKE '%batman%'")).scalars())
        assert "observables_name_trgm" in plan
        between = "name COLLATE \"C\" >= 'Batman*' AND name COLLATE \"C\" < 'Batman+'"
        children = conn.execute(text(f"EXPLAIN SELECT id FROM observables WHERE {between}")).scalars()
        assert "observables_name_c" in "\n".join(children)
