"""A ready-made dashboard over the simulated source's observables, for the demo account and the screenshots."""

from __future__ import annotations

from alpaca_dash.content.charts.histogram import HistogramOptions
from alpaca_dash.content.charts.image import ImageOptions
from alpaca_dash.content.charts.stat import StatOptions
from alpaca_dash.content.charts.table import TableOptions
from alpaca_dash.content.spec import DashboardSpec, GridPosition, PanelSpec

SSPALS = "captorius3*acq_0*Channel_2_SSPALS*Y_[V]"
CCD = "5TCCD*acq_2*background_corrected*img_with_roi"
ELENA = "ELENA_Parameters"
CMOS_SIGNAL = "1TCMOS*acq_0*background_corrected*roi*signal_sum_in_roi"


def demo_dashboard_spec() -> DashboardSpec:
    """Stats, a waveform (V against t), a histogram, a CCD image, a table of ELENA parameters, and across runs a
    trend of the CMOS signal and its correlation with the ELENA beam offset."""
    return DashboardSpec(
        panels=[
            PanelSpec(
                id="h-offset",
                type="stat",
                title="ELENA H offset",
                observables=[f"{ELENA}*H_offset_mm"],
                options=StatOptions(decimals=3, warn_low=-0.3, warn_high=0.3),
                layout=GridPosition(x=0, y=0, w=3, h=3),
            ),
            PanelSpec(
                id="intensity",
                type="stat",
                title="ELENA intensity",
                observables=[f"{ELENA}*Intensity_E7"],
                options=StatOptions(decimals=2),
                layout=GridPosition(x=3, y=0, w=3, h=3),
            ),
            PanelSpec(
                id="sspals",
                type="line",
                title="SSPALS waveform",
                observables=[f"{SSPALS}*V"],
                x=f"{SSPALS}*t",
                layout=GridPosition(x=6, y=0, w=6, h=5),
            ),
            PanelSpec(
                id="ccd",
                type="image",
                title="5TCCD image",
                observables=[CCD],
                options=ImageOptions(colormap="inferno", z_mode="percentile", percentile_low=1, percentile_high=99.9),
                layout=GridPosition(x=0, y=3, w=3, h=6),
            ),
            PanelSpec(
                id="elena",
                type="table",
                title="ELENA parameters",
                observables=[
                    f"{ELENA}*{name}" for name in ("H_offset_mm", "V_offset_mm", "H_angle_mrad", "V_angle_mrad")
                ],
                options=TableOptions(decimals=3),
                layout=GridPosition(x=3, y=3, w=3, h=6),
            ),
            PanelSpec(
                id="sspals-hist",
                type="histogram",
                title="SSPALS amplitudes",
                observables=[f"{SSPALS}*V"],
                options=HistogramOptions(bins=80, log_y=True),
                layout=GridPosition(x=6, y=5, w=6, h=4),
            ),
            PanelSpec(
                id="cmos-trend",
                type="trend",
                title="1TCMOS signal in ROI, across runs",
                observables=[CMOS_SIGNAL],
                layout=GridPosition(x=0, y=9, w=8, h=4),
            ),
            PanelSpec(
                id="cmos-vs-offset",
                type="correlation",
                title="1TCMOS signal against ELENA H offset",
                observables=[CMOS_SIGNAL],
                x=f"{ELENA}*H_offset_mm",
                layout=GridPosition(x=8, y=9, w=4, h=4),
            ),
        ]
    )
