"""Stored quality checks: listed, imported (all or nothing, after checking them against the registry), exported and
removed. Their results per run are ``queries.quality``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from alpaca_dash.domain import ObservableKind
from alpaca_dash.quality.checks import (
    CHECK_KINDS,
    Check,
    CheckError,
    HistoryCheck,
    export_document,
    parse_check,
    reference_run_of,
)
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.database import Database
from alpaca_dash.timescale.schema import observables, quality_checks, runs


@dataclass(frozen=True)
class StoredCheck:
    id: int
    check: Check


@dataclass(frozen=True)
class ImportSummary:
    added: list[str]
    updated: list[str]
    removed: list[str]


def list_checks(access: DataAccess, *, enabled_only: bool = False) -> list[StoredCheck]:
    """Every stored check, by name."""
    return load_checks(access.db, enabled_only=enabled_only)


def load_checks(db: Database, *, enabled_only: bool = False) -> list[StoredCheck]:
    """:func:`list_checks` for the pipeline, which holds a database rather than a DataAccess."""
    query = select(quality_checks.c.id, quality_checks.c.definition).order_by(quality_checks.c.name)
    if enabled_only:
        query = query.where(quality_checks.c.enabled)
    with db.begin() as conn:
        return [StoredCheck(row.id, parse_check(row.definition)) for row in conn.execute(query)]


def export_checks(access: DataAccess) -> dict[str, object]:
    """Every stored check as the JSON document :func:`import_checks` takes back."""
    return export_document([stored.check for stored in list_checks(access)])


def _row(check: Check) -> dict[str, object]:
    """A check as its row of ``quality_checks``."""
    return {
        "name": check.name,
        "observable": check.observable,
        "kind": check.kind,
        "enabled": check.enabled,
        "definition": check.model_dump(mode="json"),
    }


def import_checks(access: DataAccess, checks: Sequence[Check], *, replace: bool = False) -> ImportSummary:
    """Store ``checks`` by name (a check of the same name is updated); with ``replace``, remove the stored checks the
    list does not name. Results of an updated check stay until its runs are judged again.

    :raises CheckError: for a check on an unknown observable or one of the wrong kind, or a reference run that does
        not exist; then nothing is stored.
    """
    with access.db.begin() as conn:
        validate_checks(conn, checks)
        stored = set(conn.execute(select(quality_checks.c.name)).scalars())
        for check in checks:
            values = _row(check)
            statement = insert(quality_checks).values(values)
            conn.execute(
                statement.on_conflict_do_update(index_elements=["name"], set_={**values, "updated_at": func.now()})
            )
        names = {check.name for check in checks}
        removed = sorted(stored - names) if replace else []
        if removed:
            conn.execute(delete(quality_checks).where(quality_checks.c.name.in_(removed)))
    return ImportSummary(added=sorted(names - stored), updated=sorted(names & stored), removed=removed)


def save_check(access: DataAccess, check: Check, *, check_id: int | None = None) -> StoredCheck:
    """Add ``check`` (``check_id`` None) or replace the stored check ``check_id`` by it, renamed if its name changed;
    the editor's one check at a time, validated as :func:`import_checks` validates a file.

    :raises CheckError: for an unknown observable, one of the wrong kind, a reference run that does not exist, a name
        another check has, or a ``check_id`` no longer stored; then nothing is stored.
    """
    values = _row(check)
    with access.db.begin() as conn:
        validate_checks(conn, [check])
        holder = conn.execute(select(quality_checks.c.id).where(quality_checks.c.name == check.name)).scalar()
        if holder is not None and holder != check_id:
            raise CheckError(f"a check named {check.name!r} exists already: choose another name")
        if check_id is None:
            stored_id = conn.execute(insert(quality_checks).values(values).returning(quality_checks.c.id)).scalar_one()
        else:
            stored_id = conn.execute(
                update(quality_checks)
                .where(quality_checks.c.id == check_id)
                .values(**values, updated_at=func.now())
                .returning(quality_checks.c.id)
            ).scalar()
            if stored_id is None:
                raise CheckError(f"check {check.name!r} was deleted meanwhile: nothing was stored")
    return StoredCheck(stored_id, check)


def delete_check(access: DataAccess, name: str) -> bool:
    """Remove a check and its results. :returns: False when no check has that name."""
    with access.db.begin() as conn:
        result = conn.execute(delete(quality_checks).where(quality_checks.c.name == name))
    return bool(result.rowcount)


def validate_checks(conn: Connection, checks: Sequence[Check]) -> None:
    """:raises CheckError: naming the first check whose observable or reference run the database does not have."""
    names = sorted({check.observable for check in checks})
    kinds = dict(
        conn.execute(select(observables.c.name, observables.c.kind).where(observables.c.name.in_(names))).all()
    )
    fixed = sorted({run for check in checks if (run := reference_run_of(check)) is not None})
    present = set(conn.execute(select(runs.c.run).where(runs.c.run.in_(fixed), runs.c.status == "ingested")).scalars())
    for check in checks:
        kind = kinds.get(check.observable)
        if kind is None:
            raise CheckError(f"check {check.name!r}: unknown observable {check.observable!r}")
        allowed = CHECK_KINDS[check.kind]
        if kind not in allowed:
            wanted = " or ".join(allowed)
            raise CheckError(
                f"check {check.name!r}: a {check.kind} check needs a {wanted} observable; "
                f"{check.observable!r} is {kind}"
            )
        if isinstance(check, HistoryCheck) and (check.statistic == "value") != (kind == ObservableKind.SCALAR):
            need = "statistic 'value'" if kind == ObservableKind.SCALAR else "a statistic (min, max, mean, ...)"
            raise CheckError(f"check {check.name!r}: {check.observable!r} is {kind}: a history check needs {need}")
        reference = reference_run_of(check)
        if reference is not None and reference not in present:
            raise CheckError(f"check {check.name!r}: reference run {reference} does not exist")
