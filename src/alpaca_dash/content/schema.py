"""The JSON schema of a dashboard file, with each chart type's own options: what an editor or a script can check a
dashboard against before importing it (``alpaca-dash``'s import validates with the same models)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import Field, create_model

from alpaca_dash.content.registry import chart_types
from alpaca_dash.content.spec import MAX_PANELS, DashboardExport, DashboardSpec, PanelSpec


def dashboard_file_schema() -> dict[str, Any]:
    """The schema of an exported dashboard file, its panels a union discriminated by ``type`` over the registered
    chart types (the models themselves take one options model per type, checked when a panel is made)."""
    variants = [
        create_model(
            f"{chart.name.title()}Panel",
            __base__=PanelSpec,
            type=(Literal[chart.name], ...),  # type: ignore[arg-type]
            options=(chart.options, chart.options()),
        )
        for chart in chart_types()
    ]
    panel = Annotated[Union[tuple(variants)], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
    spec = create_model(
        "DashboardSpecSchema",
        __base__=DashboardSpec,
        panels=(list[panel], Field(default_factory=list, max_length=MAX_PANELS)),  # type: ignore[valid-type]
    )
    file = create_model("DashboardFile", __base__=DashboardExport, spec=(spec, ...))
    schema: dict[str, Any] = file.model_json_schema()
    schema["title"] = "Alpaca Dashboard dashboard file"
    return schema


if __name__ == "__main__":  # python -m alpaca_dash.content.schema > docs/dashboard.schema.json
    print(json.dumps(dashboard_file_schema(), indent=2))
