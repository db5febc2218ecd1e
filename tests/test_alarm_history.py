"""Silences leave a muted check's or observable's alarms out of messages; users acknowledge alarms on /alarms, where
a failing contact point shows its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from nicegui import ui
from nicegui.testing.user import User
from polling import wait_until

from alpaca_dash.alarms.contact_points import Webhook
from alpaca_dash.alarms.notifier import deliver_due
from alpaca_dash.alarms.outbox import Notify
from alpaca_dash.pipeline.quality import evaluate_run
from alpaca_dash.quality.checks import parse_checks
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.alarms import AlarmError, add_silence, list_notifications, list_silences, remove_silence
from alpaca_dash.queries.checks import import_checks

pytest_plugins = ["web_fixtures"]
LogIn = Callable[..., Awaitable[None]]
SLOW = 100
H = "ELENA_Parameters*H_offset_mm"
V = "ELENA_Parameters*V_offset_mm"
RUN = 390003
NOTIFY = Notify(["webhook"], window=300)


@pytest.fixture
def alarming(seeded_access: DataAccess) -> DataAccess:
    checks = [
        {"kind": "scalar", "name": "H never", "observable": H, "bounds": {"alarm_high": -1e9}},
        {"kind": "scalar", "name": "V never", "observable": V, "bounds": {"alarm_high": -1e9}},
    ]
    import_checks(seeded_access, parse_checks(checks))
    return seeded_access


def test_silences_mute_a_check_or_an_observable(alarming: DataAccess) -> None:
    access = alarming
    with pytest.raises(AlarmError, match="unknown check 'nope'"):
        add_silence(access, check="nope", hours=1)
    with pytest.raises(AlarmError, match="at most 720 hours"):
        add_silence(access, observable=H, hours=1000)
    with pytest.raises(AlarmError, match="either a check or an observable"):
        add_silence(access, hours=1)
    add_silence(access, check="H never", hours=1, reason="magnet work", created_by="alice")
    evaluate_run(access.db, access.store, RUN, notify=NOTIFY)
    (message,) = list_notifications(access)
    assert message.subject == f"Run {RUN}: 1 quality check in alarm"  # V only
    silence = add_silence(access, observable=V, hours=1)
    evaluate_run(access.db, access.store, RUN - 1, notify=NOTIFY)
    assert len(list_notifications(access)) == 1  # both muted: no message for that run
    assert remove_silence(access, silence.id)
    assert [s.check_name for s in list_silences(access)] == ["H never"]


async def test_alarm_history_shows_failures_and_takes_acknowledgements(
    web_user: User, alarming: DataAccess, accounts: dict[str, int], log_in: LogIn
) -> None:
    evaluate_run(alarming.db, alarming.store, RUN, notify=NOTIFY)
    deliver_due(alarming.db, [Webhook("http://127.0.0.1:9/hook", timeout=2)])
    await log_in(web_user, "alice")
    await web_user.open("/alarms")
    await web_user.should_see(marker="alarm-history", retries=SLOW)
    (table,) = web_user.find(marker="alarm-history").elements
    assert isinstance(table, ui.table)
    await wait_until(lambda: len(table.rows) == 1, "the alarm listed")
    assert table.rows[0]["status"] == "pending" and "webhook unreachable" in table.rows[0]["last_error"]
    table.selected = [table.rows[0]]
    web_user.find(marker="alarm-ack").click()
    await web_user.should_see(f"Alarm {table.rows[0]['id']} acknowledged.", retries=SLOW)
    (message,) = list_notifications(alarming)
    assert message.acknowledged_by == "alice" and message.acknowledged_at is not None

    web_user.find(marker="silence-name").type("no such check")
    web_user.find(marker="silence-add").click()
    await web_user.should_see("unknown check 'no such check'", retries=SLOW)
    assert list_silences(alarming) == []
