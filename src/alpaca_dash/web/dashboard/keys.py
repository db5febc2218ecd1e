"""Keys on the dashboard: ← / → step runs, L toggles live, R pins the shown run as reference, ? lists the keys.

NiceGUI's keyboard element ignores keys typed into inputs, selects, buttons and text areas, so no key acts while
someone types in a field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.events import KeyEventArguments

Action = Callable[[], Awaitable[None]]
KEYS = {
    "← / →": "previous / next run",
    "L": "live: follow the newest run, on or off",
    "R": "pin the shown run as the reference",
    "?": "show these keys",
}


class DashboardKeys:
    """Listens for the dashboard's keys; ``pin`` is None for those who cannot change the dashboard."""

    def __init__(self, *, previous: Action, next_run: Action, toggle_live: Callable[[], object], pin: Action | None):
        self.actions: dict[str, Callable[[], object]] = {
            "ArrowLeft": previous,
            "ArrowRight": next_run,
            "l": toggle_live,
            "L": toggle_live,
            "?": self.show_help,
        }
        if pin is not None:
            self.actions.update({"r": pin, "R": pin})
        with ui.dialog() as self.help, ui.card():
            ui.label("Keys").classes("text-h6")
            for key, what in KEYS.items():
                with ui.row().classes("items-center gap-3 no-wrap"):
                    ui.label(key).classes("text-weight-bold w-16")
                    ui.label(what)
        self.keyboard = ui.keyboard(on_key=self._key)

    def show_help(self) -> None:
        self.help.open()

    async def _key(self, event: KeyEventArguments) -> None:
        modified = event.modifiers.ctrl or event.modifiers.meta or event.modifiers.alt
        if not event.action.keydown or event.action.repeat or modified:
            return
        action = self.actions.get(str(event.key.name))
        if action is None:
            return
        result = action()
        if isinstance(result, Awaitable):
            await result
