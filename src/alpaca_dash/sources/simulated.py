"""An AEgIS-like run generator: the real observable names, shapes and dtypes, deterministic by seed.

It powers the demo, the tests and the benchmarks. Each run's values depend only on the seed and the run number;
in follow mode a new run finishes every ``run_seconds``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from alpaca_dash.config import Settings
from alpaca_dash.domain import RunRecord
from alpaca_dash.sources.base import SourceError

SSPALS = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]"
PMT = "captorius3*acq_0*Channel_3_PMT*Y_[V]"
CCD = "5TCCD*acq_2*background_corrected*img_with_roi"
CMOS_ROI = "1TCMOS*acq_0*background_corrected*roi"
PCO = "PCO_Edge*acq_0*raw*img"
ELENA = "ELENA_Parameters"

#: runs (counted from the first run) before which an observable does not exist yet
INTRODUCED_AFTER = {PMT: 8, CMOS_ROI: 4}

_BATMAN_GROUPS: tuple[tuple[str, str, int], ...] = (
    ("HV*Electrode_{i:02d}_kV", "kV", 96),
    ("HV*Electrode_{i:02d}_readback_kV", "kV", 96),
    ("Magnet*Coil_{i:02d}_current_A", "A", 24),
    ("Timing*Trigger_{i:02d}_delay_us", "us", 48),
    ("Positrons*Accumulator_stage_{i}_pressure_mbar", "mbar", 8),
    ("Positrons*Accumulator_stage_{i}_fill_count", "", 8),
    ("Laser*Line_{i}_energy_mJ", "mJ", 6),
    ("Catch*Window_{i}_enabled", "", 12),
    ("Cryo*Sensor_{i:02d}_temperature_K", "K", 32),
)


def _batman_parameters() -> list[tuple[str, str, str]]:
    """(name, unit, dtype) of the ~330 control-system parameters."""
    params: list[tuple[str, str, str]] = []
    for pattern, unit, count in _BATMAN_GROUPS:
        dtype = "bool" if pattern.endswith("enabled") else "int64" if pattern.endswith("count") else "float64"
        params.extend((f"Batman*acq_0*{pattern.format(i=i)}", unit, dtype) for i in range(count))
    return params


BATMAN_PARAMETERS = _batman_parameters()


class SimulatedSource:
    """Simulated AEgIS runs from ``first_run`` on.

    :param history: finished runs that exist when the source is created.
    :param run_seconds: a new run finishes every this many seconds; None freezes the source at ``history`` runs.
    :param open_ended: every run from ``first_run`` on can be read, as when re-ingesting any range on demand.
    :param glitch_every: every this many runs the ELENA beam is off (4 mm off axis, a tenth of the intensity), for
        the demo's quality checks to catch; 0: never.
    :param clock: seconds since the epoch, injectable so tests control time.
    """

    kind = "simulated"

    def __init__(
        self,
        *,
        seed: int = 2026,
        first_run: int = 390000,
        history: int = 20,
        run_seconds: float | None = None,
        image_size: int = 1024,
        pco: bool = False,
        waveform_samples: int = 20000,
        open_ended: bool = False,
        glitch_every: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if history < 0:
            raise ValueError("history must be >= 0")
        self.seed = seed
        self.first_run = first_run
        self.history = history
        self.run_seconds = run_seconds
        self.image_size = image_size
        self.pco = pco
        self.waveform_samples = waveform_samples
        self.open_ended = open_ended
        self.glitch_every = glitch_every
        self._clock = clock
        self._started = clock()

    @classmethod
    def from_settings(cls, settings: Settings, *, follow: bool = True) -> SimulatedSource:
        return cls(
            seed=settings.simulated_seed,
            first_run=settings.simulated_first_run,
            history=settings.simulated_history,
            run_seconds=settings.simulated_run_seconds if follow else None,
            image_size=settings.simulated_image_size,
            pco=settings.simulated_pco,
            open_ended=not follow,
            glitch_every=settings.simulated_glitch_every,
        )

    def latest_run(self) -> int | None:
        finished = self.history
        if self.run_seconds is not None:
            finished += math.floor((self._clock() - self._started) / self.run_seconds)
        return self.first_run + finished - 1 if finished > 0 else None

    def available_runs(self, first: int, last: int) -> list[int]:
        latest = last if self.open_ended else self.latest_run()
        if latest is None:
            return []
        return list(range(max(first, self.first_run), min(last, latest) + 1))

    def read_run(self, run: int) -> RunRecord:
        latest = run if self.open_ended else self.latest_run()
        if run < self.first_run or latest is None or run > latest:
            raise SourceError(f"run {run} does not exist in the simulated source (runs {self.first_run}..{latest})")
        rng = np.random.default_rng([self.seed, run])
        values: dict[str, Any] = {}
        units: dict[str, str] = {}
        self._add_parameters(rng, values, units)
        self._add_elena(rng, run, values, units)
        self._add_waveforms(rng, run, values, units)
        self._add_images(rng, run, values, units)
        self._add_events(rng, values)
        end = self._finish_time(run)
        return RunRecord(
            run=run,
            start=datetime.fromtimestamp(end - 0.8 * (self.run_seconds or 5.0), UTC),
            end=datetime.fromtimestamp(end, UTC),
            values=values,
            units=units,
        )

    def is_glitch(self, run: int) -> bool:
        """Whether ``run`` is one whose ELENA beam is off."""
        return self.glitch_every > 0 and (run - self.first_run) % self.glitch_every == self.glitch_every - 1

    def _exists(self, observable: str, run: int) -> bool:
        return run - self.first_run >= INTRODUCED_AFTER.get(observable, 0)

    def _finish_time(self, run: int) -> float:
        step = self.run_seconds or 5.0
        return self._started + (run - (self.first_run + self.history - 1)) * step

    def _add_parameters(self, rng: np.random.Generator, values: dict[str, Any], units: dict[str, str]) -> None:
        draws = rng.standard_normal(len(BATMAN_PARAMETERS))
        for (name, unit, dtype), draw in zip(BATMAN_PARAMETERS, draws, strict=True):
            if dtype == "bool":
                values[name] = np.bool_(draw > -1.0)
            elif dtype == "int64":
                values[name] = np.int64(1000 + int(draw * 50))
            else:
                values[name] = np.float64(10.0 + draw)
            if unit:
                units[name] = unit

    def _add_elena(self, rng: np.random.Generator, run: int, values: dict[str, Any], units: dict[str, str]) -> None:
        drift = math.sin(run / 40.0)
        for field, unit, centre, spread in (
            ("H_offset_mm", "mm", 0.5 * drift, 0.2),
            ("V_offset_mm", "mm", -0.3 * drift, 0.2),
            ("H_angle_mrad", "mrad", 0.0, 0.1),
            ("V_angle_mrad", "mrad", 0.0, 0.1),
            ("Intensity_E7", "1e7", 3.0, 0.3),
        ):
            name = f"{ELENA}*{field}"
            # about one run in twenty has no reading from ELENA
            values[name] = np.float64("nan") if rng.random() < 0.05 else np.float64(rng.normal(centre, spread))
            units[name] = unit
        if self.is_glitch(run):
            values[f"{ELENA}*H_offset_mm"] = np.float64(4.0)
            values[f"{ELENA}*Intensity_E7"] = np.float64(0.3)

    def _add_waveforms(self, rng: np.random.Generator, run: int, values: dict[str, Any], units: dict[str, str]) -> None:
        n = self.waveform_samples
        t = np.linspace(-50e-9, 950e-9, n)
        lifetime = 142e-9 * (1.0 + 0.05 * rng.standard_normal())
        prompt = np.exp(-((t / 8e-9) ** 2))
        delayed = np.where(t > 0, np.exp(-np.clip(t, 0, None) / lifetime), 0.0)
        voltage = -(0.9 * prompt + 0.08 * delayed) + 0.002 * rng.standard_normal(n)
        values[f"{SSPALS}*t"] = t
        values[f"{SSPALS}*V"] = voltage
        units[f"{SSPALS}*t"] = "s"
        units[f"{SSPALS}*V"] = "V"
        if self._exists(PMT, run):
            values[f"{PMT}*t"] = t.astype(np.float32)
            values[f"{PMT}*V"] = (0.5 * voltage + 0.01 * rng.standard_normal(n)).astype(np.float32)
            units[f"{PMT}*V"] = "V"

    def _add_images(self, rng: np.random.Generator, run: int, values: dict[str, Any], units: dict[str, str]) -> None:
        size = self.image_size
        axis = np.arange(size, dtype=np.float32)
        cx, cy = size * (0.5 + 0.05 * rng.standard_normal(2))
        width = size / 12
        profile_x = np.exp(-(((axis - cx) / width) ** 2))
        profile_y = np.exp(-(((axis - cy) / width) ** 2))
        amplitude = np.float32(200 + 20 * rng.standard_normal())
        image = (amplitude * np.outer(profile_y, profile_x)).astype(np.float32)
        image += rng.standard_normal((size, size), dtype=np.float32) * np.float32(4.0)
        values[CCD] = image
        units[CCD] = "counts"
        if self._exists(CMOS_ROI, run):
            values[f"{CMOS_ROI}*signal_sum_in_roi"] = np.float64(image.sum(dtype=np.float64))
            values[f"{CMOS_ROI}*signal_max"] = np.float32(image.max())
        if self.pco:
            pco = rng.integers(90, 110, size=(5120, 5120), dtype=np.uint16)
            values[PCO] = pco

    def _add_events(self, rng: np.random.Generator, values: dict[str, Any]) -> None:
        events = int(rng.integers(50, 500))
        values["SC56_coinc*event_clock"] = np.sort(rng.integers(0, 10**9, size=events, dtype=np.uint64))
        values["SC56_coinc*event_count"] = np.int64(events)
