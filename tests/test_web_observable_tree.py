"""The observable tree and the dialog's fields read the registry a level or a search at a time, and follow it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from nicegui import ui
from nicegui.testing.user import User
from polling import wait_until

from alpaca_dash.content.spec import DashboardSpec
from alpaca_dash.domain import RunRecord
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries import dashboards as store
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.sources.simulated import ELENA
from alpaca_dash.web.dashboard.tree_drawer import SEARCH_HITS

from memory_source import MemorySource

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]


def tree_of(user: User) -> ui.tree:
    return next(iter(user.find(kind=ui.tree).elements))


def labels(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["label"] for node in nodes]


def all_leaves(nodes: list[dict[str, Any]]) -> list[str]:
    found = []
    for node in nodes:
        if "kind" in node:
            found.append(node["id"])
        found.extend(all_leaves(node.get("children", [])))
    return found


async def open_tree(user: User, access: DataAccess, owner: int, log_in: LogIn) -> ui.tree:
    await log_in(user, "alice")
    made = store.create_dashboard(access, owner, "Tree", DashboardSpec())
    await user.open(f"/dashboard/{made.id}")
    await user.should_see("Observables", retries=100)
    user.find(marker="toggle-observables").click()
    await user.should_see(kind=ui.tree, retries=100)
    tree = tree_of(user)
    await wait_until(lambda: bool(tree.props["nodes"]), "the root level")
    return tree


async def test_the_tree_sends_a_level_at_a_time(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    tree = await open_tree(web_user, seeded_access, accounts["alice"], log_in)
    roots = tree.props["nodes"]
    assert any(label.startswith(f"{ELENA} (") for label in labels(roots))  # a group with how many lie below
    assert all_leaves(roots) == []  # no observable sent before its group is opened
    assert all(node["children"][0]["label"] == "…" for node in roots)

    web_user.find(kind=ui.tree).trigger("update:expanded", [f"group:{ELENA}"])
    await wait_until(lambda: f"{ELENA}*H_offset_mm" in all_leaves(tree.props["nodes"]), "ELENA's observables")
    shown = all_leaves(tree.props["nodes"])
    assert shown and all(name.startswith(f"{ELENA}*") for name in shown)  # that group's only
    assert f"group:{ELENA}" in tree.props["expanded"]


async def test_the_tree_follows_observables_that_arrive_while_it_is_open(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    tree = await open_tree(web_user, seeded_access, accounts["alice"], log_in)
    assert not any(label.startswith("NewCamera") for label in labels(tree.props["nodes"]))
    source = MemorySource()
    source.add(RunRecord(390100, None, None, {"NewCamera*acq_0*sum": np.float32(3.5)}))
    await asyncio.to_thread(ingest_run, seeded_access.db, seeded_access.store, source, 390100)
    await wait_until(
        lambda: "NewCamera (1)" in labels(tree.props["nodes"]), "the new device's group in the open tree", seconds=15
    )


async def test_a_search_runs_on_the_server_and_says_how_many_more(
    web_user: User, seeded_access: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    await open_tree(web_user, seeded_access, accounts["alice"], log_in)
    web_user.find(marker="tree-search").type("Batman")
    count = next(iter(web_user.find(marker="tree-count").elements))
    await wait_until(lambda: "more: narrow the search" in count.text, "the search's hit count")  # type: ignore[attr-defined]
    found = all_leaves(tree_of(web_user).props["nodes"])
    assert len(found) == SEARCH_HITS and all("Batman" in name for name in found)
    assert count.text.startswith(f"{SEARCH_HITS} found and ")  # type: ignore[attr-defined]
