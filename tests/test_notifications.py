"""Alarm notifications delivered to a real SMTP server (aiosmtpd) and a real HTTP receiver on loopback: one message
per run and contact point, failures recorded and retried, and a notifier killed mid-delivery sends once after its
restart."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from alpaca_dash.alarms.contact_points import ContactPoint, Email, Webhook
from alpaca_dash.alarms.notifier import deliver_due
from alpaca_dash.alarms.outbox import Notify
from alpaca_dash.alarms.receiver import LoopbackReceiver
from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.store import ParquetStore
from alpaca_dash.pipeline.ingest import ingest_range
from alpaca_dash.pipeline.quality import evaluate_run
from alpaca_dash.quality.checks import parse_checks
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import import_checks
from alpaca_dash.sources.simulated import SimulatedSource
from alpaca_dash.timescale.database import Database

H = "ELENA_Parameters*H_offset_mm"
V = "ELENA_Parameters*V_offset_mm"
RUN = 390003


class Mailbox:
    """An aiosmtpd handler keeping what it accepted; with ``hold`` set, the first DATA waits for ``release``."""

    def __init__(self) -> None:
        self.accepted: list[Any] = []
        self.hold = False
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold:
            self.hold = False
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 try again later"  # the client that sent it is gone: nothing was taken
        self.accepted.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:  # aiosmtpd checks its port by connecting to it, so it needs a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        box.release.set()
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[LoopbackReceiver]:
    """A real HTTP server on loopback that takes every POST (the demo's webhook receiver)."""
    server = LoopbackReceiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def judged_db(db: Database, store: ParquetStore, simulated: SimulatedSource) -> Database:
    ingest_range(db, store, simulated, 390000, RUN)
    checks = [
        {"kind": "scalar", "name": "H never", "observable": H, "bounds": {"alarm_high": -1e9}},
        {"kind": "scalar", "name": "V never", "observable": V, "bounds": {"alarm_high": -1e9}},
    ]
    import_checks(DataAccess(db, store, None), parse_checks(checks))  # type: ignore[arg-type]
    return db


def outbox_rows(db: Database) -> list[dict[str, Any]]:
    with db.begin() as conn:
        rows = conn.execute(text("SELECT * FROM notifications ORDER BY id")).all()
    return [dict(row._mapping) for row in rows]


def mail_settings(port: int, fresh_schema_url: str) -> Settings:
    return Settings(
        database_url=fresh_schema_url,
        notify_smtp_host="127.0.0.1",
        notify_smtp_port=port,
        notify_email_to=["shift@aegis.test"],
        notify_email_from="alpaca@aegis.test",
    )


def test_one_message_per_run_and_contact_point_grouping_its_alarms(
    judged_db: Database,
    store: ParquetStore,
    mailbox: tuple[Mailbox, int],
    receiver: LoopbackReceiver,
    fresh_schema_url: str,
) -> None:
    box, port = mailbox
    points: list[ContactPoint] = [Webhook(receiver.url), Email(mail_settings(port, fresh_schema_url))]
    notify = Notify(["webhook", "email"], window=300)
    evaluate_run(judged_db, store, RUN, notify=notify)
    evaluate_run(judged_db, store, RUN, notify=notify)  # judged again (a re-ingest): still one message each
    assert deliver_due(judged_db, points) == 2
    evaluate_run(judged_db, store, RUN, notify=notify)  # within the window after sending: not sent again
    assert deliver_due(judged_db, points) == 0

    (posted,) = receiver.received
    assert posted.payload["run"] == RUN and [a["check"] for a in posted.payload["alarms"]] == ["H never", "V never"]
    assert posted.payload["text"].startswith(f"**Run {RUN}: 2 quality checks in alarm**")
    assert posted.key == f"alpaca-dash-{outbox_rows(judged_db)[0]['id']}"
    (mail,) = box.accepted
    assert mail["Subject"] == f"Run {RUN}: 2 quality checks in alarm" and mail["To"] == "shift@aegis.test"
    assert "- H never (ELENA_Parameters*H_offset_mm): value" in mail.get_payload()
    assert [row["status"] for row in outbox_rows(judged_db)] == ["sent", "sent"]


def test_an_unreachable_contact_point_is_a_recorded_failure_retried_later(
    judged_db: Database, store: ParquetStore
) -> None:
    evaluate_run(judged_db, store, RUN, notify=Notify(["webhook"], window=300))
    assert deliver_due(judged_db, [Webhook("http://127.0.0.1:9/hook", timeout=2)]) == 0
    (row,) = outbox_rows(judged_db)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "webhook unreachable: ConnectError" in row["last_error"]
    assert deliver_due(judged_db, [Webhook("http://127.0.0.1:9/hook", timeout=2)]) == 0  # backing off: not due yet
    assert outbox_rows(judged_db)[0]["attempts"] == 1


NOTIFIER = """
import sys
from alpaca_dash.alarms.contact_points import Email
from alpaca_dash.alarms.notifier import deliver_due
from alpaca_dash.config import Settings
from alpaca_dash.timescale.database import Database
url, port = sys.argv[1], int(sys.argv[2])
settings = Settings(database_url=url, notify_smtp_host="127.0.0.1", notify_smtp_port=port,
                    notify_email_to=["shift@aegis.test"], notify_email_from="alpaca@aegis.test")
print("sent", deliver_due(Database(url), [Email(settings, timeout=30)], lease=float(sys.argv[3])), flush=True)
"""


def test_a_notifier_killed_mid_delivery_sends_the_message_once_after_restart(
    judged_db: Database, store: ParquetStore, mailbox: tuple[Mailbox, int], fresh_schema_url: str, tmp_path: Path
) -> None:
    box, port = mailbox
    evaluate_run(judged_db, store, RUN, notify=Notify(["email"], window=300))
    box.hold = True
    command = [sys.executable, "-c", NOTIFIER, fresh_schema_url, str(port), "1"]
    first = subprocess.Popen(command)
    try:
        assert box.holding.wait(60), "the notifier never reached DATA"
        first.send_signal(signal.SIGKILL)  # mid-delivery: the server has the data but has not answered
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    box.release.set()
    (row,) = outbox_rows(judged_db)
    assert row["status"] == "pending" and row["attempts"] == 1 and box.accepted == []
    time.sleep(1.5)  # the lease of the killed notifier runs out
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert "sent 1" in again.stdout
    assert len(box.accepted) == 1
    (row,) = outbox_rows(judged_db)
    assert row["status"] == "sent" and row["attempts"] == 2
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert "sent 0" in done.stdout and len(box.accepted) == 1  # never twice
