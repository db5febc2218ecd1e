"""The observable registry: listing, lookup by exact name, and the hierarchy tree for pickers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, func, select

from alpaca_dash.domain import Observable, ObservableKind, RunStatus, UnknownObservable
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.schema import observables, runs


def to_observable(row: Row[Any]) -> Observable:
    return Observable(
        id=row.id,
        name=row.name,
        path=tuple(row.path),
        kind=ObservableKind(row.kind),
        dtype=row.dtype,
        shape=tuple(row.shape),
        unit=row.unit,
        first_run=row.first_run,
        last_run=row.last_run,
        dtypes=tuple(row.dtypes),
        exact=row.exact,
        kinds=tuple(ObservableKind(k) for k in row.kinds) or (ObservableKind(row.kind),),
    )


def registry_select() -> Select[Any]:
    """The registry's columns, ``last_run`` filled in for the observables of the newest run (stored as NULL)."""
    newest = select(func.max(runs.c.run)).where(runs.c.status == RunStatus.INGESTED).scalar_subquery()
    columns = [c for c in observables.c if c.name != "last_run"]
    return select(*columns, func.coalesce(observables.c.last_run, newest, observables.c.first_run).label("last_run"))


def list_observables(access: DataAccess, *, kind: ObservableKind | None = None) -> list[Observable]:
    """Every observable, ordered by name."""
    query = registry_select().order_by(observables.c.name)
    if kind is not None:
        query = query.where(observables.c.kind == kind.value)
    with access.db.begin() as conn:
        return [to_observable(row) for row in conn.execute(query)]


def get_observables(access: DataAccess, names: Sequence[str]) -> list[Observable]:
    """The observables with these exact names, in the order asked.

    :raises UnknownObservable: naming every name that is not registered.
    """
    askable = [name for name in names if "\x00" not in name]  # no name holds NUL; the database would refuse it
    with access.db.begin() as conn:
        rows = conn.execute(registry_select().where(observables.c.name.in_(askable)))
        found = {row.name: to_observable(row) for row in rows}
    missing = [name for name in names if name not in found]
    if missing:
        raise UnknownObservable("unknown observable: " + ", ".join(repr(n) for n in missing))
    return [found[name] for name in names]


def find_observables(access: DataAccess, names: Sequence[str]) -> list[Observable]:
    """As ``get_observables``, for drawing: observables looked up in the last half minute are not asked for again.

    :raises UnknownObservable: naming every name that is not registered.
    """
    cached = access.observable_cache.get(names)
    missing = [name for name in names if name not in cached]
    if missing:
        fresh = get_observables(access, missing)
        access.observable_cache.put(fresh)
        cached.update((item.name, item) for item in fresh)
    return [cached[name] for name in names]


def build_tree(items: Iterable[Observable]) -> list[dict[str, Any]]:
    """Nested nodes ``{id, label, children}`` by hierarchy; a leaf's id is the exact name and it carries
    ``kind``, ``dtype``, ``shape`` and ``unit``."""
    root: dict[str, Any] = {"children": {}}
    for item in items:
        node = root
        for depth, part in enumerate(item.path[:-1]):
            key = "\x00".join(item.path[: depth + 1])
            node = node["children"].setdefault(part, {"id": "group:" + key, "label": part, "children": {}})
        node["children"][item.path[-1] + "\x01leaf"] = {
            "id": item.name,
            "label": item.path[-1],
            "kind": item.kind.value,
            "kinds": item.kinds_text(),
            "dtype": item.dtype,
            "shape": list(item.shape),
            "unit": item.unit or "",
        }
    return _listify(root["children"])


def _listify(children: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = []
    for node in children.values():
        if "children" in node:
            node = {**node, "children": _listify(node["children"])}
        nodes.append(node)
    return sorted(nodes, key=lambda n: ("children" not in n, n["label"].lower()))
