"""The alarm history (the notifications outbox as users see it), acknowledgements and silences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from alpaca_dash.alarms.outbox import MAX_ATTEMPTS, MAX_BACKOFF_SECONDS
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.timescale.schema import alarm_silences, notifications, observables, quality_checks

MAX_SILENCE_HOURS = 24 * 30
#: how a failed delivery is retried, for pages that say it
RETRY_POLICY = (
    f"retried with backoff (2 s, doubling up to {MAX_BACKOFF_SECONDS / 60:g} minutes), "
    f"given up after {MAX_ATTEMPTS} attempts"
)


class AlarmError(ValueError):
    """A silence or acknowledgement that is refused, with the reason."""


@dataclass(frozen=True)
class Notification:
    id: int
    run: int
    contact_point: str
    status: str
    subject: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class Silence:
    id: int
    check_name: str | None
    observable: str | None
    until: datetime
    reason: str
    created_by: str


def list_notifications(access: DataAccess, *, limit: int = 200) -> list[Notification]:
    """The newest messages first, whatever their state (pending, sent, failed with the reason)."""
    columns = [notifications.c[name] for name in Notification.__dataclass_fields__]
    query = select(*columns).order_by(notifications.c.id.desc()).limit(limit)
    with access.db.begin() as conn:
        return [Notification(*row) for row in conn.execute(query)]


def acknowledge(access: DataAccess, notification_id: int, user_name: str) -> Notification:
    """Record that ``user_name`` has seen the alarm. :raises AlarmError: for an unknown message."""
    with access.db.begin() as conn:
        found = conn.execute(
            update(notifications)
            .where(notifications.c.id == notification_id)
            .values(acknowledged_by=user_name, acknowledged_at=datetime.now(UTC))
            .returning(notifications.c.id)
        ).first()
    if found is None:
        raise AlarmError(f"no alarm message {notification_id}")
    columns = [notifications.c[name] for name in Notification.__dataclass_fields__]
    with access.db.begin() as conn:
        return Notification(*conn.execute(select(*columns).where(notifications.c.id == notification_id)).one())


def add_silence(
    access: DataAccess,
    *,
    check: str | None = None,
    observable: str | None = None,
    hours: float,
    reason: str = "",
    created_by: str = "",
) -> Silence:
    """Mute a check or an observable for ``hours``.

    :raises AlarmError: naming neither or both, an unknown check or observable, or a duration out of (0, 30 days].
    """
    if (check is None) == (observable is None):
        raise AlarmError("silence either a check or an observable")
    if not 0 < hours <= MAX_SILENCE_HOURS:
        raise AlarmError(f"a silence lasts more than 0 and at most {MAX_SILENCE_HOURS} hours, not {hours:g}")
    column, name = (quality_checks.c.name, check) if check is not None else (observables.c.name, observable)
    until = datetime.now(UTC) + timedelta(hours=hours)
    with access.db.begin() as conn:
        if conn.execute(select(column).where(column == name)).first() is None:
            kind = "check" if check is not None else "observable"
            raise AlarmError(f"unknown {kind} {name!r}")
        row = conn.execute(
            alarm_silences.insert()
            .values(check_name=check, observable=observable, until=until, reason=reason[:500], created_by=created_by)
            .returning(*alarm_silences.c["id", "check_name", "observable", "until", "reason", "created_by"])
        ).one()
    return Silence(*row)


def list_silences(access: DataAccess, *, active_only: bool = True) -> list[Silence]:
    query: Any = select(*alarm_silences.c["id", "check_name", "observable", "until", "reason", "created_by"])
    if active_only:
        query = query.where(alarm_silences.c.until > datetime.now(UTC))
    with access.db.begin() as conn:
        return [Silence(*row) for row in conn.execute(query.order_by(alarm_silences.c.until))]


def remove_silence(access: DataAccess, silence_id: int) -> bool:
    with access.db.begin() as conn:
        return bool(conn.execute(delete(alarm_silences).where(alarm_silences.c.id == silence_id)).rowcount)


@dataclass(frozen=True)
class DeliveryFailure:
    """A message a contact point did not take: retried at ``next_attempt_at``, or given up (``failed``)."""

    id: int
    run: int
    contact_point: str
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime
    created_at: datetime

    @property
    def retrying(self) -> bool:
        return self.status == "pending"


def list_delivery_failures(access: DataAccess, *, limit: int = 20) -> list[DeliveryFailure]:
    """The newest messages whose last delivery failed, with the reason: still retried, or given up."""
    columns = [notifications.c[name] for name in DeliveryFailure.__dataclass_fields__]
    query = (
        select(*columns)
        .where(notifications.c.last_error != "", notifications.c.status.in_(["pending", "failed"]))
        .order_by(notifications.c.id.desc())
        .limit(limit)
    )
    with access.db.begin() as conn:
        return [DeliveryFailure(*row) for row in conn.execute(query)]
