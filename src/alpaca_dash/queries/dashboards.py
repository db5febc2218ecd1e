"""Dashboards per owner: create, list, save with a version history, rename, duplicate, delete, restore, share.

Every function takes the acting user's id and checks access inside its SQL, so a handler cannot reach someone
else's dashboard by guessing an id: reading needs ownership or a shared dashboard; changing needs an enabled
editor or admin who owns it, or a dashboard shared editable; deleting and sharing need the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, delete, false, func, insert, select, update

from alpaca_dash.content.spec import DashboardSpec
from alpaca_dash.domain import INT32_LIMIT, Role
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.users import may_act
from alpaca_dash.timescale.schema import dashboard_versions, dashboards, users

#: versions kept per dashboard; older ones are deleted on save
KEEP_VERSIONS = 20
MAX_DASHBOARDS_PER_OWNER = 500


class Visibility(StrEnum):
    PRIVATE = "private"
    SHARED_READ = "shared_read"
    SHARED_EDIT = "shared_edit"


SHARED = (Visibility.SHARED_READ.value, Visibility.SHARED_EDIT.value)
EDITOR_ROLES = (Role.EDITOR.value, Role.ADMIN.value)


class DashboardNotFound(LookupError):
    """No dashboard with that id that this user may see (or change, for the changing functions)."""


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
    visibility: Visibility = Visibility.PRIVATE

    def is_changeable_by(self, user_id: int, role: Role | str) -> bool:
        """What ``save_dashboard`` will allow, for the page to decide whether to offer editing."""
        shared_edit = self.visibility == Visibility.SHARED_EDIT
        return role in EDITOR_ROLES and (self.owner_id == user_id or shared_edit)


@dataclass(frozen=True)
class DashboardSummary:
    id: int
    title: str
    version: int
    panel_count: int
    updated_at: datetime
    owner_id: int = 0
    owner_name: str = ""
    visibility: Visibility = Visibility.PRIVATE

    def is_shared_with(self, user_id: int) -> bool:
        """True when someone else owns it and shares it with this user."""
        return self.owner_id != user_id


@dataclass(frozen=True)
class DashboardVersion:
    version: int
    title: str
    panel_count: int
    saved_at: datetime


def _to_dashboard(row: Row[Any]) -> Dashboard:
    spec = DashboardSpec.model_validate(row.spec)
    visibility = Visibility(row.visibility)
    return Dashboard(row.id, row.owner_id, row.title, row.version, spec, row.updated_at, visibility)


def _clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not 1 <= len(cleaned) <= 200:
        raise DashboardError("a dashboard title needs 1 to 200 characters")
    return cleaned


def _editor(user_id: int) -> Any:
    """The acting user is an enabled editor or admin (read in the same statement, so a demotion counts at once)."""
    return may_act(user_id, Role.EDITOR)


def _is(dashboard_id: int) -> Any:
    """This dashboard; an id no integer column holds (a guessed URL) matches none instead of failing the query."""
    return dashboards.c.id == dashboard_id if 0 < dashboard_id < INT32_LIMIT else false()


def _owned(dashboard_id: int, owner_id: int) -> Any:
    """Only the owner: deleting and sharing."""
    return _is(dashboard_id) & (dashboards.c.owner_id == owner_id) & _editor(owner_id)


def _readable(dashboard_id: int, user_id: int) -> Any:
    return _is(dashboard_id) & _visible_to(user_id)


def _visible_to(user_id: int) -> Any:
    return (dashboards.c.owner_id == user_id) | dashboards.c.visibility.in_(SHARED)


def _writable(dashboard_id: int, user_id: int) -> Any:
    mine_or_shared = (dashboards.c.owner_id == user_id) | (dashboards.c.visibility == Visibility.SHARED_EDIT.value)
    return _is(dashboard_id) & mine_or_shared & _editor(user_id)


def list_dashboards(access: DataAccess, owner_id: int) -> list[DashboardSummary]:
    """The user's own dashboards and those others share, most recently changed first."""
    panel_count = func.jsonb_array_length(dashboards.c.spec["panels"])
    query = (
        select(
            dashboards.c.id,
            dashboards.c.title,
            dashboards.c.version,
            panel_count,
            dashboards.c.updated_at,
            dashboards.c.owner_id,
            users.c.name,
            dashboards.c.visibility,
        )
        .join(users, users.c.id == dashboards.c.owner_id)
        .where(_visible_to(owner_id))
        .order_by(dashboards.c.updated_at.desc(), dashboards.c.id.desc())
    )
    with access.db.begin() as conn:
        return [
            DashboardSummary(r[0], r[1], r[2], int(r[3] or 0), r[4], r[5], r[6], Visibility(r[7]))
            for r in conn.execute(query)
        ]


def get_dashboard(access: DataAccess, dashboard_id: int, owner_id: int) -> Dashboard | None:
    """The dashboard if the user owns it or it is shared; None otherwise."""
    with access.db.begin() as conn:
        row = conn.execute(select(dashboards).where(_readable(dashboard_id, owner_id))).first()
    return None if row is None else _to_dashboard(row)


def set_visibility(access: DataAccess, dashboard_id: int, owner_id: int, visibility: Visibility | str) -> Dashboard:
    """Share a dashboard read-only or editable, or make it private again; only its owner may.

    :raises DashboardError: for an unknown visibility.
    :raises DashboardNotFound: when the user does not own such a dashboard (or is not an enabled editor).
    """
    try:
        chosen = Visibility(visibility)
    except ValueError:
        raise DashboardError(f"unknown visibility {visibility!r}") from None
    statement = (
        update(dashboards)
        .where(_owned(dashboard_id, owner_id))
        .values(visibility=chosen.value, updated_at=func.now())
        .returning(dashboards)
    )
    with access.db.begin() as conn:
        row = conn.execute(statement).first()
    if row is None:
        raise DashboardNotFound(f"no dashboard {dashboard_id} of yours")
    return _to_dashboard(row)


def create_dashboard(access: DataAccess, owner_id: int, title: str, spec: DashboardSpec | None = None) -> Dashboard:
    """A new dashboard at version 1 (empty unless ``spec`` is given).

    :raises DashboardError: for a bad title, when the owner is not an enabled editor or admin (read in the same
        transaction), or already has too many dashboards.
    """
    title = _clean_title(title)
    spec = spec or DashboardSpec()
    data = spec.model_dump(mode="json")
    with access.db.begin() as conn:
        if not conn.execute(select(_editor(owner_id))).scalar():
            raise DashboardError("only an enabled editor or admin may create dashboards")
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

    :raises DashboardNotFound: when the user may not change such a dashboard.
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
        update(dashboards).where(_writable(dashboard_id, owner_id)).values(**values).returning(dashboards)
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
    """:raises DashboardNotFound: when the user may not change such a dashboard."""
    current = get_dashboard(access, dashboard_id, owner_id)
    if current is None:
        raise DashboardNotFound(f"no dashboard {dashboard_id}")
    return save_dashboard(access, dashboard_id, owner_id, current.spec, title=title)


def duplicate_dashboard(access: DataAccess, dashboard_id: int, owner_id: int, title: str | None = None) -> Dashboard:
    """A copy owned by the user at version 1, titled "Copy of ..." unless ``title`` is given.

    :raises DashboardNotFound: when the user cannot see such a dashboard.
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
    """The kept versions, newest first (empty when the user cannot see such a dashboard)."""
    panel_count = func.jsonb_array_length(dashboard_versions.c.spec["panels"])
    query = (
        select(dashboard_versions.c.version, dashboard_versions.c.title, panel_count, dashboard_versions.c.saved_at)
        .join(dashboards, dashboards.c.id == dashboard_versions.c.dashboard_id)
        .where(_readable(dashboard_id, owner_id))
        .order_by(dashboard_versions.c.version.desc())
    )
    with access.db.begin() as conn:
        return [DashboardVersion(r[0], r[1], int(r[2] or 0), r[3]) for r in conn.execute(query)]


def restore_version(access: DataAccess, dashboard_id: int, owner_id: int, version: int) -> Dashboard:
    """Save an old version again as the newest one.

    :raises DashboardNotFound: when the user may not change such a dashboard or that version is no longer kept.
    """
    query = (
        select(dashboard_versions.c.title, dashboard_versions.c.spec)
        .join(dashboards, dashboards.c.id == dashboard_versions.c.dashboard_id)
        .where(_writable(dashboard_id, owner_id), dashboard_versions.c.version == version)
    )
    with access.db.begin() as conn:
        row = conn.execute(query).first()
        if row is None:
            raise DashboardNotFound(f"dashboard {dashboard_id} has no version {version}")
        return _save(conn, dashboard_id, owner_id, DashboardSpec.model_validate(row.spec), row.title)
