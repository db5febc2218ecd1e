"""The notifications outbox: messages written in the transaction that stores a run's results, claimed by the
notifier with a lease, then marked sent or retried with backoff.

A message is claimed by moving its ``next_attempt_at`` a lease ahead: a notifier killed mid-delivery leaves it due
again when the lease runs out, and the next notifier sends it (at least once). Within the grouping window a run has
one message per contact point: a pending one takes the run's newest alarms, a sent one is never sent again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from alpaca_dash.timescale.database import Database

MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Message:
    """One outbox row as its contact point sends it."""

    id: int
    run: int
    subject: str
    body: str
    alarms: list[dict[str, Any]]


@dataclass(frozen=True)
class Notify:
    """Where a run's alarms are told: the contact points' names and the grouping window in seconds."""

    contact_points: Sequence[str]
    window: float


MAX_BACKOFF_SECONDS = 600.0

_LATEST = text(
    "SELECT id, status FROM notifications WHERE run = :run AND contact_point = :point "
    "AND created_at > now() - :window * interval '1 second' ORDER BY id DESC LIMIT 1 FOR UPDATE"
)
_SILENCED = text("SELECT check_name, observable FROM alarm_silences WHERE until > now()")
_INSERT = text(
    "INSERT INTO notifications (run, contact_point, status, subject, body, alarms) "
    "VALUES (:run, :point, 'pending', :subject, :body, CAST(:alarms AS jsonb))"
)
_REGROUP = text(
    "UPDATE notifications SET subject = :subject, body = :body, alarms = CAST(:alarms AS jsonb) WHERE id = :id"
)
_CLAIM = text(
    "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = now() + :lease * interval '1 second' "
    "WHERE id = (SELECT id FROM notifications WHERE status = 'pending' AND contact_point = ANY(:points) "
    "AND next_attempt_at <= now() ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, run, contact_point, subject, body, alarms, attempts"
)
_SENT = text("UPDATE notifications SET status = 'sent', sent_at = now(), last_error = '' WHERE id = :id")
_RETRY = text(
    "UPDATE notifications SET status = CASE WHEN attempts >= :max THEN 'failed' ELSE 'pending' END, "
    "last_error = :error, next_attempt_at = now() + :delay * interval '1 second' WHERE id = :id"
)


def enqueue(conn: Connection, run: int, points: Sequence[str], alarms: list[dict[str, Any]], *, window: float) -> None:
    """Write (or regroup) the run's message to each contact point, in the caller's transaction; alarms of a silenced
    check or observable are left out, and no alarms make no message."""
    silenced = conn.execute(_SILENCED).all()
    checks = {row.check_name for row in silenced if row.check_name}
    observables = {row.observable for row in silenced if row.observable}
    alarms = [a for a in alarms if a["check"] not in checks and a["observable"] not in observables]
    if not alarms or not points:
        return
    subject = f"Run {run}: {len(alarms)} quality check{'s' if len(alarms) > 1 else ''} in alarm"
    body = "\n".join(f"- {a['check']} ({a['observable']}): {a['message']}" for a in alarms)
    values = {"run": run, "subject": subject, "body": body, "alarms": json.dumps(alarms)}
    for point in points:
        latest = conn.execute(_LATEST, {"run": run, "point": point, "window": window}).first()
        if latest is None:
            conn.execute(_INSERT, {**values, "point": point})
        elif latest.status == "pending":
            conn.execute(_REGROUP, {**values, "id": latest.id})


def claim(db: Database, points: Sequence[str], *, lease: float) -> tuple[str, Message, int] | None:
    """The oldest due message to one of ``points``, leased for ``lease`` seconds: (contact point, message, attempt)."""
    with db.begin() as conn:
        row = conn.execute(_CLAIM, {"points": list(points), "lease": lease}).first()
    if row is None:
        return None
    return row.contact_point, Message(row.id, row.run, row.subject, row.body, list(row.alarms)), row.attempts


def mark_sent(db: Database, message_id: int) -> None:
    with db.begin() as conn:
        conn.execute(_SENT, {"id": message_id})


def mark_failed(db: Database, message_id: int, attempt: int, error: str) -> None:
    """Record the failure; retried after a backoff doubling from 2 s up to 10 minutes, given up after
    :data:`MAX_ATTEMPTS`."""
    delay = min(2.0**attempt, MAX_BACKOFF_SECONDS)
    with db.begin() as conn:
        conn.execute(_RETRY, {"id": message_id, "error": error[:2000], "delay": delay, "max": MAX_ATTEMPTS})
