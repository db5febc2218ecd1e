"""Dashboards per owner: create, list, save with a version history, rename, duplicate, delete, restore.

Every function takes the owner's id and only ever touches that owner's rows, so a handler cannot reach
someone else's dashboard by guessing an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.dashboard_spec import DashboardSpec
from alpaca_dash.timescale.schema import dashboard_versions, dashboards

#: versions kept per dashboard; older ones are deleted on save
KEEP_VERSIONS = 20
MAX_DASHBOARDS_PER_OWNER = 500


class DashboardNotFound(LookupError):
    """No dashboard with that id belongs to this owner."""


class DashboardError(ValueError):
    """A title is empty or too long, or the owner has too many dashboards."""


@dataclass(frozen=True)
class Dashboard:
    id: int
    owner_id: int
    title: str
    version: int
    spec: DashboardSpec
    updated_at: datetime


@dataclass(frozen=True)
class DashboardSummary:
    id: int
    title: str
    version: int
    panel_count: int
    updated_at: datetime


@dataclass(frozen=True)
class DashboardVersion:
    version: int
    title: str
    panel_count: int
    saved_at: datetime


def _to_dashboard(row: Row[Any]) -> Dashboard:
    spec = DashboardSpec.model_validate(row.spec)
    return Dashboard(row.id, row.owner_id, row.title, row.version, spec, row.updated_at)


def _clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not 1 <= len(cleaned) <= 200:
        raise DashboardError("a dashboard title needs 1 to 200 characters")
    return cleaned


def _owned(dashboard_id: int, owner_id: int) -> Any:
    return (dashboards.c.id == dashboard_id) & (dashboards.c.owner_id == owner_id)


def list_dashboards(access: DataAccess, owner_id: int) -> list[DashboardSummary]:
    """The owner's dashboards, most recently changed first."""
    panel_count = func.jsonb_array_length(dashboards.c.spec["panels"])
    query = (
        select(dashboards.c.id, dashboards.c.title, dashboards.c.version, panel_count, dashboards.c.updated_at)
        .where(dashboards.c.owner_id == owner_id)
        .order_by(dashboards.c.updated_at.desc(), dashboards.c.id.desc())
    )
    with access.db.begin() as conn:
        return [DashboardSummary(r[0], r[1], r[2], int(r[3] or 0), r[4]) for r in conn.execute(query)]


def get_dashboard(access: DataAccess, dashboard_id: int, owner_id: int) -> Dashboard | None:
    with access.db.begin() as conn:
        row = conn.execute(select(dashboards).where(_owned(dashboard_id, owner_id))).first()
    return None if row is None else _to_dashboard(row)


def create_dashboard(access: DataAccess, owner_id: int, title: str, spec: DashboardSpec | None = None) -> Dashboard:
    """A new dashboard at version 1 (empty unless ``spec`` is given).

    :raises DashboardError: for a bad title or when the owner already has too many dashboards.
    """
    title = _clean_title(title)
    spec = spec or DashboardSpec()
    data = spec.model_dump(mode="json")
    with access.db.begin() as conn:
        count = conn.execute(select(func.count()).where(dashboards.c.owner_id == owner_id)).scalar_one()
        if count >= MAX_DASHBOARDS_PER_OWNER:
            raise DashboardError(f"at most {MAX_DASHBOARDS_PER_OWNER} dashboards per user")
        row = conn.execute(
            insert(dashboards).values(owner_id=owner_id, title=title, spec=data, version=1).returning(dashboards)
        ).one()
        conn.execute(insert(dashboard_versions).values(dashboard_id=row.id, version=1, title=title, spec=data))
    return _to_dashboard(row)


def save_dashboard(
    access: DataAccess, dashboard_id: int, owner_id: int, spec: DashboardSpec, *, title: str | None = None
) -> Dashboard:
    """Store a new version of the dashboard and forget versions older than the last ``KEEP_VERSIONS``.

    :raises DashboardNotFound: when the owner has no such dashboard.
    """
    with access.db.begin() as conn:
        return _save(conn, dashboard_id, owner_id, spec, title)


def _save(conn: Connection, dashboard_id: int, owner_id: int, spec: DashboardSpec, title: str | None) -> Dashboard:
    values: dict[str, Any] = {
        "spec": spec.model_dump(mode="json"),
        "version": dashboards.c.version + 1,
        "updated_at": func.now(),
    }
    if title is not None:
        values["title"] = _clean_title(title)
    row = conn.execute(
        update(dashboards).where(_owned(dashboard_id, owner_id)).values(**values).returning(dashboards)
    ).first()
    if row is None:
        raise DashboardNotFound(f"no dashboard {dashboard_id}")
    conn.execute(
        insert(dashboard_versions).values(dashboard_id=row.id, version=row.version, title=row.title, spec=row.spec)
    )
    conn.execute(
        delete(dashboard_versions).where(
            dashboard_versions.c.dashboard_id == row.id, dashboard_versions.c.version <= row.version - KEEP_VERSIONS
        )
    )
    return _to_dashboard(row)


def rename_dashboard(access: DataAccess, dashboard_id: int, owner_id: int, title: str) -> Dashboard:
    """:raises DashboardNotFound: when the owner has no such dashboard."""
    current = get_dashboard(access, dashboard_id, owner_id)
    if current is None:
        raise DashboardNotFound(f"no dashboard {dashboard_id}")
    return save_dashboard(access, dashboard_id, owner_id, current.spec, title=title)


def duplicate_dashboard(access: DataAccess, dashboard_id: int, owner_id: int, title: str | None = None) -> Dashboard:
    """A copy at version 1, titled "Copy of ..." unless ``title`` is given.

    :raises DashboardNotFound: when the owner has no such dashboard.
    """
    source = get_dashboard(access, dashboard_id, owner_id)
    if source is None:
        raise DashboardNotFound(f"no dashboard {dashboard_id}")
    return create_dashboard(access, owner_id, title or f"Copy of {source.title}"[:200], source.spec)


def delete_dashboard(access: DataAccess, dashboard_id: int, owner_id: int) -> bool:
    """Delete a dashboard with its versions; False when the owner has no such dashboard."""
    with access.db.begin() as conn:
        result = conn.execute(delete(dashboards).where(_owned(dashboard_id, owner_id)))
    return result.rowcount > 0


def list_versions(access: DataAccess, dashboard_id: int, owner_id: int) -> list[DashboardVersion]:
    """The kept versions, newest first (empty when the owner has no such dashboard)."""
    panel_count = func.jsonb_array_length(dashboard_versions.c.spec["panels"])
    query = (
        select(dashboard_versions.c.version, dashboard_versions.c.title, panel_count, dashboard_versions.c.saved_at)
        .join(dashboards, dashboards.c.id == dashboard_versions.c.dashboard_id)
        .where(_owned(dashboard_id, owner_id))
        .order_by(dashboard_versions.c.version.desc())
    )
    with access.db.begin() as conn:
        return [DashboardVersion(r[0], r[1], int(r[2] or 0), r[3]) for r in conn.execute(query)]


def restore_version(access: DataAccess, dashboard_id: int, owner_id: int, version: int) -> Dashboard:
    """Save an old version again as the newest one.

    :raises DashboardNotFound: when the owner has no such dashboard or that version is no longer kept.
    """
    query = (
        select(dashboard_versions.c.title, dashboard_versions.c.spec)
        .join(dashboards, dashboards.c.id == dashboard_versions.c.dashboard_id)
        .where(_owned(dashboard_id, owner_id), dashboard_versions.c.version == version)
    )
    with access.db.begin() as conn:
        row = conn.execute(query).first()
        if row is None:
            raise DashboardNotFound(f"dashboard {dashboard_id} has no version {version}")
        return _save(conn, dashboard_id, owner_id, DashboardSpec.model_validate(row.spec), row.title)
