"""Alarm history: every message sent (or failing, with the reason) to the contact points, acknowledgement by a user,
and silences that mute a check or an observable for a time."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from alpaca_dash.queries import users as user_queries
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.alarms import (
    AlarmError,
    Notification,
    Silence,
    acknowledge,
    add_silence,
    list_notifications,
    list_silences,
    remove_silence,
)
from alpaca_dash.queries.users import User
from alpaca_dash.web.auth import require_user
from alpaca_dash.web.live import LiveRuns
from alpaca_dash.web.pages.quality_run import column
from alpaca_dash.web.theme import frame
from alpaca_dash.web.threads import in_thread
from alpaca_dash.web.time_text import utc_text

READ_ONLY = "Viewers cannot acknowledge or silence alarms."
HISTORY_COLUMNS = [
    column("id", "#", "right"),
    column("run", "Run", "right"),
    column("contact_point", "To"),
    column("status", "Status"),
    column("subject", "Alarms"),
    column("attempts", "Attempts", "right"),
    column("last_error", "Last error"),
    column("created", "Raised (UTC)"),
    column("acknowledged", "Acknowledged"),
]
SILENCE_COLUMNS = [
    column("id", "#", "right"),
    column("what", "Muted"),
    column("until", "Until (UTC)"),
    column("by", "By"),
]


def history_row(n: Notification) -> dict[str, Any]:
    acknowledged = f"{n.acknowledged_by} {utc_text(n.acknowledged_at)}" if n.acknowledged_by else ""
    return {
        "id": n.id,
        "run": n.run,
        "contact_point": n.contact_point,
        "status": n.status,
        "subject": n.subject,
        "attempts": n.attempts,
        "last_error": n.last_error,
        "created": utc_text(n.created_at),
        "acknowledged": acknowledged,
    }


def silence_row(s: Silence) -> dict[str, Any]:
    what = f"check {s.check_name}" if s.check_name else f"observable {s.observable}"
    return {
        "id": s.id,
        "what": what + (f" ({s.reason})" if s.reason else ""),
        "until": utc_text(s.until),
        "by": s.created_by,
    }


class AlarmsView:
    def __init__(self, access: DataAccess, user: User) -> None:
        self.access = access
        self.user = user
        self.history = ui.table(columns=HISTORY_COLUMNS, rows=[], row_key="id", selection="single").classes("w-full")
        self.history.mark("alarm-history").props('no-data-label="No alarm has been notified yet."')
        if user.can_edit:
            ui.button("Acknowledge", icon="done", on_click=self.acknowledge).mark("alarm-ack")
        ui.label("Silences").classes("text-h6")
        self.silences = ui.table(columns=SILENCE_COLUMNS, rows=[], row_key="id", selection="single").classes("w-full")
        self.silences.mark("alarm-silences").props('no-data-label="Nothing is silenced."')
        if user.can_edit:
            with ui.row().classes("items-end gap-2"):
                self.kind = ui.select({"check": "Check", "observable": "Observable"}, value="check").props("dense")
                self.name = ui.input("Name").props("dense").classes("w-72").mark("silence-name")
                self.hours = ui.number("Hours", value=2, min=0.1, max=720).props("dense").classes("w-24")
                self.reason = ui.input("Reason").props("dense").classes("w-64").mark("silence-reason")
                ui.button("Silence", icon="notifications_off", on_click=self.silence).mark("silence-add")
                ui.button("Remove silence", on_click=self.unsilence).props("outline").mark("silence-remove")

    async def refresh(self) -> None:
        found = await in_thread(list_notifications, self.access)
        self.history.rows = [history_row(n) for n in found]
        self.silences.rows = [silence_row(s) for s in await in_thread(list_silences, self.access)]

    async def _may_edit(self) -> bool:
        fresh = await in_thread(user_queries.get_user, self.access, self.user.id)
        if fresh is None or fresh.disabled or not fresh.can_edit:  # checked here, not only by hiding buttons
            ui.notify(READ_ONLY, type="warning")
            return False
        return True

    async def acknowledge(self) -> None:
        if not self.history.selected:
            ui.notify("Choose an alarm first.", type="warning")
            return
        if not await self._may_edit():
            return
        chosen = int(self.history.selected[0]["id"])
        try:
            await in_thread(acknowledge, self.access, chosen, self.user.name)
        except AlarmError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(f"Alarm {chosen} acknowledged.", type="positive")
        await self.refresh()

    async def silence(self) -> None:
        if not await self._may_edit():
            return
        name = (self.name.value or "").strip()
        target = {"check": name} if self.kind.value == "check" else {"observable": name}
        try:
            await in_thread(
                add_silence,
                self.access,
                **target,
                hours=float(self.hours.value or 0),
                reason=self.reason.value or "",
                created_by=self.user.name,
            )
        except AlarmError as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(f"{self.kind.value} {name} silenced.", type="positive")
        await self.refresh()

    async def unsilence(self) -> None:
        if not self.silences.selected or not await self._may_edit():
            return
        await in_thread(remove_silence, self.access, int(self.silences.selected[0]["id"]))
        await self.refresh()


def register(access: DataAccess, live_runs: LiveRuns | None = None) -> None:
    @ui.page("/alarms")
    async def alarms_index(theme: str | None = None) -> None:
        user = await require_user(access)
        if user is None:
            return
        with frame("Alarms", user, theme=theme, live_runs=live_runs):
            view = AlarmsView(access, user)
        await view.refresh()
