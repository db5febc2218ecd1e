"""Screenshot of the demo dashboard for the README: ``python -m bench.p4_screenshot [PATH]`` (docs/screenshot.png)."""

from __future__ import annotations

import sys
from pathlib import Path

from alpaca_dash.queries.demo_dashboard import demo_dashboard_spec

from bench.common import resolve_targets, temporary_schema
from bench.p4_dashboard import FIRST_RUN, bench_site
from bench.screenshots import painted_dashboard, save

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"
#: enough runs for the trend and correlation panels to show something
RUNS = 60


def take_screenshot(path: Path, *, theme: str = "light") -> None:
    spec = demo_dashboard_spec()
    target = resolve_targets(None, timescale=False)[0]
    with (
        temporary_schema(target.url, "shot") as url,
        bench_site(url, spec, samples=20_000, title="Demo", runs=RUNS) as (site, dashboard_id),
    ):
        query = f"run={FIRST_RUN + RUNS - 1}&theme={theme}"
        with painted_dashboard(
            site, dashboard_id, query, panels=len(spec.panels), images=1, width=1440, height=1180
        ) as page:
            page.get_by_role("button", name="Observables").click()
            page.get_by_label("Search observables").fill("SSPALS")
            page.wait_for_timeout(1500)
            save(page, path)


if __name__ == "__main__":
    take_screenshot(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH)
