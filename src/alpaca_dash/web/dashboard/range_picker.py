"""The run range of the trend panels: presets (last 50 / 200 / 1000 runs) or a custom ``a-b``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from alpaca_dash.content.across_runs import DEFAULT_RUNS, RUN_PRESETS, resolve_runs
from alpaca_dash.run_range import RunRangeError

CUSTOM = "custom"


def check_runs_text(text: str | None, *, max_runs: int) -> tuple[str | None, str]:
    """The range text to keep (None for the default) and a message when the asked one is refused."""
    if text is None or not text.strip():
        return None, ""
    try:
        resolve_runs(text, None, max_runs=max_runs)
    except RunRangeError as exc:
        return None, str(exc)
    return text.strip(), ""


class RangePicker:
    """Calls ``on_change(text)`` with a checked range text (``lastN`` or ``a-b``)."""

    def __init__(self, text: str | None, max_runs: int, on_change: Callable[[str | None], Awaitable[None]]) -> None:
        self.max_runs = max_runs
        self.on_change = on_change
        preset = text if text in RUN_PRESETS else (CUSTOM if text else DEFAULT_RUNS)
        with ui.row().classes("items-center gap-1 no-wrap"):
            self.preset = ui.select({**RUN_PRESETS, CUSTOM: "Custom…"}, value=preset, label="Trend runs")
            self.preset.props("dense outlined").classes("w-40").mark("runs-preset")
            self.preset.on_value_change(self._preset_changed)
            self.custom = ui.input("Runs", value=text if preset == CUSTOM else "", placeholder="390100-390180")
            self.custom.props("dense outlined").classes("w-40").mark("runs-custom")
            self.custom.on("keydown.enter", self._custom_entered)
            self.custom.on("blur", self._custom_entered)
            self.custom.set_visibility(preset == CUSTOM)
            self.message = ui.label().classes("text-negative")

    async def _preset_changed(self, event: Any) -> None:
        self.custom.set_visibility(event.value == CUSTOM)
        if event.value != CUSTOM:
            self.message.set_text("")
            await self.on_change(None if event.value == DEFAULT_RUNS else str(event.value))

    async def _custom_entered(self) -> None:
        text = (self.custom.value or "").strip()
        if not text:
            return
        kept, message = check_runs_text(text, max_runs=self.max_runs)
        self.message.set_text(message)
        if kept is not None:
            await self.on_change(kept)
