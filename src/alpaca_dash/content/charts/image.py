"""The image panel: a 2D array drawn to PNG at the panel's size, alone or compared with the reference run's."""

from __future__ import annotations

import io
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from alpaca_dash.content.data import Download, PanelContent, PanelData, Size, Target
from alpaca_dash.content.downloads import matrix_csv, run_stem
from alpaca_dash.content.image_compare import compared_image_option, image_option
from alpaca_dash.content.images import ZMode
from alpaca_dash.content.options import ChartOptions, Unit
from alpaca_dash.content.registry import ChartType
from alpaca_dash.content.spec import PanelSpec
from alpaca_dash.domain import ObservableKind

Colormap = Literal["viridis", "inferno", "magma", "gray", "coolwarm"]
#: how an image panel shows the reference run: beside the shown run's image, or subtracted from it
ReferenceView = Literal["side", "difference"]
Percent = Annotated[float, Field(ge=0, le=100)]


class ImageOptions(ChartOptions):
    unit: Unit = ""
    colormap: Colormap = "viridis"
    z_mode: ZMode = "auto"
    z_low: float | None = None
    z_high: float | None = None
    percentile_low: Percent = 1.0
    percentile_high: Percent = 99.0
    log_z: bool = False
    colorbar: bool = True
    reference_view: ReferenceView = "side"

    @model_validator(mode="after")
    def _check_ranges(self) -> ImageOptions:
        if self.percentile_low >= self.percentile_high:
            raise ValueError("percentile_low must be below percentile_high")
        if self.z_low is not None and self.z_high is not None and self.z_low >= self.z_high:
            raise ValueError("z_low must be below z_high")
        return self


def load_image(data: PanelData, spec: PanelSpec, target: Target, size: Size) -> PanelContent:
    options = spec.options_as(ImageOptions)
    observable = data.observables(spec.observables)[spec.observables[0]]
    value = data.value(observable, target.run)
    unit = options.unit or observable.unit or ""
    reference = target.compared
    if reference is None:
        option = image_option(options, [(value, "")], unit, size, data.publish_image, zoom=target.zoom)
        return PanelContent("ready", option)
    option = compared_image_option(
        options,
        value,
        unit,
        size,
        data.publish_image,
        run=target.run,
        reference=reference,
        load_reference=lambda: data.other_run_value(observable, reference),
        zoom=target.zoom,
    )
    return PanelContent("ready", option)


def image_file(data: PanelData, spec: PanelSpec, target: Target, fmt: str) -> Download:
    """The shown run's whole image: ``.npy`` (dtype and shape kept) or a CSV matrix, a line per row."""
    value = data.value(data.observables(spec.observables)[spec.observables[0]], target.run)
    stem = run_stem(spec, target)
    if fmt == "npy":
        out = io.BytesIO()
        np.save(out, value, allow_pickle=False)
        return Download(f"{stem}.npy", out.getvalue(), "application/octet-stream")
    return Download(f"{stem}.csv", matrix_csv(value), "text/csv")


CHART = ChartType(
    "image",
    "Image",
    (ObservableKind.ARRAY2D,),
    (4, 5),
    ImageOptions,
    load_image,
    takes_reference=True,
    download=image_file,
    download_formats=("npy", "csv"),
    zooms=True,
)
