"""Quality checks over the simulated source's observables, for the demo: they pass on ordinary simulated runs and
fail on the runs whose ELENA beam is off (``ALPACA_DASH_SIMULATED_GLITCH_EVERY``)."""

from __future__ import annotations

from alpaca_dash.quality.checks import Check, parse_checks

SSPALS_V = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]*V"
CCD = "5TCCD*acq_2*background_corrected*img_with_roi"
ELENA = "ELENA_Parameters"


def demo_checks() -> list[Check]:
    """A bounded scalar, two array statistics and a history check (no reference test: the simulated waveforms differ
    from run to run by more than a KS test at 2e4 samples lets pass)."""
    return parse_checks(
        [
            {
                "kind": "scalar",
                "name": "ELENA H offset",
                "observable": f"{ELENA}*H_offset_mm",
                "description": "The beam within 1.5 mm of the axis",
                "bounds": {"alarm_low": -1.5, "warn_low": -1.0, "warn_high": 1.0, "alarm_high": 1.5},
            },
            {
                "kind": "history",
                "name": "ELENA intensity",
                "observable": f"{ELENA}*Intensity_E7",
                "description": "Within 5 robust sigmas of the last 20 good runs",
                "k_warn": 3,
                "k_alarm": 5,
                "last_runs": 20,
            },
            {
                "kind": "statistic",
                "name": "SSPALS NaNs",
                "observable": SSPALS_V,
                "statistic": "nan_count",
                "bounds": {"alarm_high": 0},
            },
            {
                "kind": "statistic",
                "name": "CCD peak",
                "observable": CCD,
                "statistic": "max",
                "bounds": {"alarm_low": 100, "warn_low": 150, "warn_high": 280, "alarm_high": 320},
            },
        ]
    )
