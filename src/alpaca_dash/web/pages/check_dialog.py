"""The add / edit check dialog: an observable, a kind of check valid for it, and that kind's own fields.

The fields become the check's JSON form, which goes through the same validation as an imported file
(``quality.checks.parse_check``, then ``queries.checks.save_check`` against the registry and the stored runs): a
bad check is said in the dialog and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from alpaca_dash.domain import ObservableKind
from alpaca_dash.quality.checks import (
    CHECK_KINDS,
    CHECK_STATISTICS,
    Check,
    CheckError,
    HistoryCheck,
    ImageCheck,
    ReferenceCheck,
    parse_check,
)
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.checks import StoredCheck
from alpaca_dash.web.dashboard.observable_select import ObservableSelect
from alpaca_dash.web.dashboard.panel_dialog import format_bound, parse_bound

#: saves a check (a new one when the id is None) and says why not, or returns None when it was stored
SaveHandler = Callable[[Check, int | None], Awaitable[str | None]]
DeleteHandler = Callable[[StoredCheck], Awaitable[None]]

KIND_LABELS = {
    "scalar": "Scalar within bounds",
    "statistic": "Array statistic within bounds",
    "reference": "Waveform against the reference run (KS / χ²)",
    "image": "Image: hot / dead pixels against the reference, or its sum",
    "history": "Against the last good runs (k robust sigmas)",
}
#: in the order they nest
BOUND_LABELS = {"alarm_low": "Alarm low", "warn_low": "Warn low", "warn_high": "Warn high", "alarm_high": "Alarm high"}
TESTS = {"ks": "Kolmogorov-Smirnov", "chi2": "χ²"}
MEASURES = {"hot_fraction": "fraction of hot pixels", "dead_fraction": "fraction of dead pixels", "sum": "sum"}
HISTORY_STATISTICS = ("value", *CHECK_STATISTICS)
#: the fields' labels, for the JSON names in validation messages
FIELD_LABELS = {
    **BOUND_LABELS,
    "warn_p": "Warn p",
    "alarm_p": "Alarm p",
    "reference_run": "Reference run",
    "k_warn": "Warn k",
    "k_alarm": "Alarm k",
    "last_runs": "Last good runs",
}
_FIELD_NAMES = re.compile(r"\b(" + "|".join(FIELD_LABELS) + r")\b")


def readable(message: str) -> str:
    """A validation message with the fields named as the dialog labels them."""
    return _FIELD_NAMES.sub(lambda m: FIELD_LABELS[m.group(1)], message)


def whole(value: float | None) -> int | float | None:
    """A number field's value as an int where it is one (pydantic refuses 3.5 for an int field, as it should)."""
    return int(value) if value is not None and float(value).is_integer() else value


class CheckDialog:
    """One dialog per page, reused for every add and edit; ``on_save`` stores, ``on_delete`` removes."""

    def __init__(self, access: DataAccess, on_save: SaveHandler, on_delete: DeleteHandler) -> None:
        self.on_save = on_save
        self.on_delete = on_delete
        self.editing: StoredCheck | None = None
        with ui.dialog() as self.dialog, ui.card().classes("w-[40rem] max-w-full gap-2"):
            self.heading = ui.label("Add check").classes("text-h6")
            self.observable = ObservableSelect(
                access, "Observable (type to search)", on_change=self._observable_changed
            )
            self.observable.mark("check-observable")
            self.kind = ui.select(KIND_LABELS, value="scalar", label="Check", on_change=self._kind_changed)
            self.kind.classes("w-full").mark("check-kind")
            with ui.row().classes("w-full items-end gap-2 no-wrap"):
                self.name = ui.input("Name (unique)").classes("grow").mark("check-name")
                self.enabled = ui.switch("Enabled", value=True).mark("check-enabled")
            self.description = ui.input("Description (optional)").classes("w-full").mark("check-description")
            self.statistic = ui.select(list(CHECK_STATISTICS), value="mean", label="Statistic of the array")
            self.statistic.classes("w-48").mark("check-statistic")
            with ui.row().classes("w-full items-end gap-2") as self.reference_section:
                self.test = ui.select(TESTS, value="ks", label="Test").classes("w-44").mark("check-test")
                self.warn_p = ui.number("Warn p", value=0.01).classes("w-24").mark("check-warn-p")
                self.alarm_p = ui.number("Alarm p", value=0.001).classes("w-24").mark("check-alarm-p")
                self.bins = ui.number("Bins (χ²)", value=50, min=2, max=10_000, step=1, format="%d").classes("w-24")
                self.bins.mark("check-bins")
                self.counts = ui.checkbox("already a histogram").mark("check-counts")
                self.counts.tooltip("The array holds one count per bin: χ² compares its bins directly")
            with ui.row().classes("w-full items-end gap-2") as self.image_section:
                self.measure = ui.select(MEASURES, value="hot_fraction", label="Measure").classes("w-56")
                self.measure.mark("check-measure")
                self.sigma = (
                    ui.number("Sigmas (hot / dead beyond)", value=5.0, min=0).classes("w-40").mark("check-sigma")
                )
            self.reference_run = ui.number("Reference run (empty: the newest good run before)", format="%d")
            self.reference_run.classes("w-96").mark("check-reference-run")
            with ui.row().classes("w-full items-end gap-2") as self.history_section:
                self.history_statistic = ui.select(list(HISTORY_STATISTICS), value="value", label="Of")
                self.history_statistic.classes("w-32").mark("check-history-statistic")
                self.k_warn = ui.number("Warn k", value=3.0).classes("w-24").mark("check-k-warn")
                self.k_alarm = ui.number("Alarm k", value=5.0).classes("w-24").mark("check-k-alarm")
                self.last_runs = ui.number("Last good runs", value=20, step=1, format="%d").classes("w-32")
                self.last_runs.mark("check-last-runs")
            with ui.column().classes("w-full gap-0") as self.bounds_section:
                ui.label("alarm low ≤ warn low ≤ warn high ≤ alarm high; an empty bound is open").classes(
                    "text-caption text-grey"
                )
                with ui.row().classes("w-full items-end gap-2 no-wrap"):
                    self.bounds = {
                        name: ui.input(label).classes("w-28").mark(f"check-{name.replace('_', '-')}")
                        for name, label in BOUND_LABELS.items()
                    }
            self.error = ui.label().classes("text-negative whitespace-pre-line").mark("check-error")
            with ui.row().classes("w-full items-center"):
                self.delete = ui.button("Delete", icon="delete", on_click=self._ask_delete)
                self.delete.props("flat color=negative").mark("check-delete")
                ui.space()
                ui.button("Cancel", on_click=self.dialog.close).props("flat")
                ui.button("Save check", on_click=self._save).mark("check-save")
        self._kind_changed()

    async def open_new(self) -> None:
        self.editing = None
        self.heading.set_text("Add check")
        self.observable.show([])
        self._observable_changed()
        self.name.set_value("")
        self.description.set_value("")
        self.enabled.set_value(True)
        for field in self.bounds.values():
            field.set_value("")
        self.reference_run.set_value(None)
        self.delete.set_visibility(False)
        self.error.set_text("")
        self.dialog.open()

    async def open_edit(self, stored: StoredCheck) -> None:
        self.editing = stored
        check = stored.check
        self.heading.set_text(f"Edit check {check.name!r}")
        await self.observable.choose([check.observable])
        self._observable_changed()
        self.kind.set_value(check.kind)
        self.name.set_value(check.name)
        self.description.set_value(check.description)
        self.enabled.set_value(check.enabled)
        self._fill(check)
        self.delete.set_visibility(True)
        self.error.set_text("")
        self.dialog.open()

    def _fill(self, check: Check) -> None:
        bounds = getattr(check, "bounds", None)
        for name, field in self.bounds.items():
            field.set_value(format_bound(getattr(bounds, name, None)))
        if isinstance(check, ReferenceCheck):
            self.test.set_value(check.test)
            self.warn_p.set_value(check.warn_p)
            self.alarm_p.set_value(check.alarm_p)
            self.bins.set_value(check.bins)
            self.counts.set_value(check.counts)
        if isinstance(check, ImageCheck):
            self.measure.set_value(check.measure)
            self.sigma.set_value(check.sigma)
        if isinstance(check, ReferenceCheck | ImageCheck):
            self.reference_run.set_value(check.reference_run)
        if isinstance(check, HistoryCheck):
            self.history_statistic.set_value(check.statistic)
            self.k_warn.set_value(check.k_warn)
            self.k_alarm.set_value(check.k_alarm)
            self.last_runs.set_value(check.last_runs)
        if check.kind == "statistic":
            self.statistic.set_value(getattr(check, "statistic", "mean"))

    def _observable_kind(self) -> ObservableKind | None:
        chosen = self.observable.observables
        return chosen[0].kind if chosen else None

    def _observable_changed(self) -> None:
        """Offer the kinds of check (and history statistics) that apply to the chosen observable."""
        kind = self._observable_kind()
        kinds = {k: label for k, label in KIND_LABELS.items() if kind is None or kind in CHECK_KINDS[k]}
        self.kind.set_options(kinds, value=self.kind.value if self.kind.value in kinds else next(iter(kinds)))
        statistics = list(HISTORY_STATISTICS)
        if kind is ObservableKind.SCALAR:
            statistics = ["value"]
        elif kind is not None:
            statistics = list(CHECK_STATISTICS)
        value = self.history_statistic.value
        self.history_statistic.set_options(statistics, value=value if value in statistics else statistics[0])
        self._kind_changed()

    def _kind_changed(self, *_: Any) -> None:
        kind = self.kind.value
        self.statistic.set_visibility(kind == "statistic")
        self.reference_section.set_visibility(kind == "reference")
        self.image_section.set_visibility(kind == "image")
        self.reference_run.set_visibility(kind in ("reference", "image"))
        self.history_section.set_visibility(kind == "history")
        self.bounds_section.set_visibility(kind in ("scalar", "statistic", "image"))

    def definition(self) -> dict[str, Any]:
        """The check's JSON form as the fields hold it (only the chosen kind's fields).

        :raises ValueError: for a bound that is not a finite number, naming its field.
        """
        kind = self.kind.value
        names = self.observable.names
        data: dict[str, Any] = {
            "kind": kind,
            "name": (self.name.value or "").strip(),
            "observable": names[0] if names else "",
            "enabled": bool(self.enabled.value),
            "description": (self.description.value or "").strip(),
        }
        if kind in ("scalar", "statistic", "image"):
            bounds = {name: parse_bound(field.value, BOUND_LABELS[name]) for name, field in self.bounds.items()}
            data["bounds"] = {name: value for name, value in bounds.items() if value is not None}
        if kind == "statistic":
            data["statistic"] = self.statistic.value
        if kind == "reference":
            data |= {"test": self.test.value, "warn_p": self.warn_p.value, "alarm_p": self.alarm_p.value}
            data |= {"bins": whole(self.bins.value), "counts": bool(self.counts.value)}
        if kind == "image":
            data |= {"measure": self.measure.value, "sigma": self.sigma.value}
        if kind in ("reference", "image"):
            data["reference_run"] = whole(self.reference_run.value)
        if kind == "history":
            data |= {"statistic": self.history_statistic.value, "k_warn": self.k_warn.value}
            data |= {"k_alarm": self.k_alarm.value, "last_runs": whole(self.last_runs.value)}
        return data

    def build_check(self) -> Check:
        """The check the fields describe.

        :raises CheckError: saying what is wrong, with the fields named as the dialog labels them.
        """
        if not self.observable.names:
            raise CheckError("choose an observable (type part of its name)")
        try:
            return parse_check(self.definition())
        except (CheckError, ValueError) as exc:
            raise CheckError(readable(str(exc))) from None

    async def _save(self) -> None:
        try:
            check = self.build_check()
        except CheckError as exc:
            self.error.set_text(str(exc))
            return
        refusal = await self.on_save(check, self.editing.id if self.editing else None)
        if refusal is not None:
            self.error.set_text(readable(refusal))
            return
        self.dialog.close()

    def _ask_delete(self) -> None:
        stored = self.editing
        if stored is None:
            return
        with ui.dialog() as confirm, ui.card():
            ui.label(f"Delete check {stored.check.name!r} and its results on every run?")

            async def apply() -> None:
                confirm.close()
                self.dialog.close()
                await self.on_delete(stored)

            with ui.row():
                ui.button("Cancel", on_click=confirm.close).props("flat")
                ui.button("Delete", on_click=apply).props("color=negative").mark("check-delete-apply")
        confirm.open()
