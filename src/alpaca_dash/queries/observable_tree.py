"""The observable tree and picker, a level at a time: what a page shows, never the whole registry.

A node's children come from one range of the registry's name index (names are their path joined with ``*``), with
how many observables lie below each group; a search returns its first hits and how many more there are. At 1e4
observables both take milliseconds (bench P13), where sending the registry to a page took seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, text

from alpaca_dash.domain import NAME_SEPARATOR, Observable, ObservableKind
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import registry_select, to_observable
from alpaca_dash.queries.runs import escape_like
from alpaca_dash.timescale.schema import observables
from alpaca_dash.timescale.search_path import own_relation

#: children of one node sent at most, and hits of one search
CHILD_LIMIT = 500
SEARCH_LIMIT = 200
#: the character after the separator: names under ``a*b`` sort from ``a*b*`` up to, not including, ``a*b+``
_AFTER_SEPARATOR = chr(ord(NAME_SEPARATOR) + 1)


@dataclass(frozen=True)
class TreeNode:
    """A group (``observable`` None) with the number of observables below it, or a leaf with its observable.

    ``id`` is the leaf's exact name, or ``group:`` and the group's path joined by NUL, as ``build_tree`` names them.
    """

    id: str
    label: str
    path: tuple[str, ...]
    below: int
    observable: Observable | None = None

    @property
    def is_group(self) -> bool:
        return self.observable is None


@dataclass(frozen=True)
class TreeLevel:
    """One node's children (groups first, then by label ignoring case) and how many were left out by the limit."""

    nodes: list[TreeNode]
    more: int


@dataclass(frozen=True)
class SearchResult:
    """The first hits by name and how many more observables match."""

    items: list[Observable]
    more: int


def _under(path: Sequence[str]) -> Any:
    """The registry rows below ``path``, as one range of the name index (``observables_name_c``)."""
    prefix = NAME_SEPARATOR.join(path)
    name = observables.c.name.collate("C")
    return and_(name >= prefix + NAME_SEPARATOR, name < prefix + _AFTER_SEPARATOR)


def list_tree_children(
    access: DataAccess, path: Sequence[str] = (), *, limit: int = CHILD_LIMIT, kind: ObservableKind | None = None
) -> TreeLevel:
    """The children of the tree node at ``path`` (the root when empty), at most ``limit``.

    :param kind: only observables of this kind, and the groups that hold some.
    """
    depth = len(path)
    part = observables.c.path[depth + 1]
    is_leaf = func.cardinality(observables.c.path) == depth + 1
    where: list[Any] = [_under(path)] if path else []
    if kind is not None:
        where.append(observables.c.kind == kind.value)
    grouped = (
        select(part.label("part"), is_leaf.label("leaf"), func.count().label("below"))
        .where(*where)
        .group_by(part, is_leaf)
        .subquery()
    )
    rows_query = select(grouped, func.count().over().label("total")).order_by(
        grouped.c.leaf, func.lower(grouped.c.part), grouped.c.part
    )
    with access.db.begin() as conn:
        rows = conn.execute(rows_query.limit(limit)).all()
        leaf_names = [NAME_SEPARATOR.join([*path, row.part]) for row in rows if row.leaf]
        leaves = {}
        if leaf_names:
            found = conn.execute(registry_select().where(observables.c.name.in_(leaf_names)))
            leaves = {row.name: to_observable(row) for row in found}
    nodes = []
    for row in rows:
        node_path = (*path, row.part)
        if row.leaf:
            item = leaves[NAME_SEPARATOR.join(node_path)]
            nodes.append(TreeNode(item.name, row.part, node_path, 1, item))
        else:
            nodes.append(TreeNode("group:" + "\x00".join(node_path), row.part, node_path, int(row.below)))
    total = int(rows[0].total) if rows else 0
    return TreeLevel(nodes, total - len(nodes))


def search_observables(
    access: DataAccess,
    query: str,
    *,
    limit: int = SEARCH_LIMIT,
    kind: ObservableKind | None = None,
    after: str | None = None,
) -> SearchResult:
    """The observables whose exact name contains every word of ``query`` ignoring case, first ``limit`` by name.

    Each word is a substring match served by the trigram index where pg_trgm is installed (``observables_name_trgm``);
    an empty query matches every observable. ``more`` counts the matches after the last one returned.

    :param after: only names after this one (the last name of the page before): keyset paging by name.
    """
    words = query.split()
    where: list[Any] = [observables.c.name.ilike("%" + escape_like(word) + "%", escape="\\") for word in words]
    if kind is not None:
        where.append(observables.c.kind == kind.value)
    if after is not None:
        where.append(observables.c.name > after)
    with access.db.begin() as conn:
        rows = conn.execute(registry_select().where(*where).order_by(observables.c.name).limit(limit)).all()
        items = [to_observable(row) for row in rows]
        if len(items) < limit:
            return SearchResult(items, 0)
        total = conn.execute(select(func.count()).select_from(observables).where(*where)).scalar_one()
    return SearchResult(items, int(total) - len(items))


def count_observables(access: DataAccess) -> int:
    """How many observables the registry holds (an estimate from the planner's statistics above 10,000)."""
    with access.db.begin() as conn:
        estimate = conn.execute(text(f"SELECT reltuples FROM pg_class WHERE oid = {own_relation('observables')}"))
        guess = estimate.scalar()
        if guess is not None and guess > 10_000:
            return int(guess)
        return int(conn.execute(select(func.count()).select_from(observables)).scalar_one())
