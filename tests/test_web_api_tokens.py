"""Scripts with a personal token against the real server: the export and the read API, with the user's role.

The server runs in a subprocess (``web/testserver.py``); the requests are real HTTP, as a script sends them.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import httpx
import numpy as np
import pyarrow.parquet as pq

from alpaca_dash.export import read_arrays
from alpaca_dash.queries.observables import get_observables, list_observables
from alpaca_dash.queries.tokens import create_token, revoke_token
from alpaca_dash.queries.users import Role, create_user, set_disabled
from alpaca_dash.queries.values import load_value
from alpaca_dash.sources.simulated import CCD, ELENA
from alpaca_dash.web.export_route import export_url

if TYPE_CHECKING:
    from web_fixtures import BrowserSite

pytest_plugins = ["web_fixtures"]
PASSWORD = "correct horse battery"
FIRST_RUN, SEEDED_RUNS = 390000, 4  # what browser_site seeds
SCALAR = f"{ELENA}*H_offset_mm"
LAST_RUN = FIRST_RUN + SEEDED_RUNS - 1


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_script_exports_and_reads_with_a_viewer_token(browser_site: BrowserSite) -> None:
    access = browser_site.access
    victor = create_user(access, "victor", PASSWORD, Role.VIEWER)
    record, token = create_token(access, victor.id, "script")
    with httpx.Client(base_url=browser_site.url, timeout=30) as client:
        url = export_url([SCALAR, CCD], f"{FIRST_RUN}-{LAST_RUN}")
        assert client.get(url).status_code == 401
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200, response.text
        table = pq.read_table(io.BytesIO(response.content))
        assert table.column("run").to_pylist() == list(range(FIRST_RUN, LAST_RUN + 1))
        scalar, ccd = get_observables(access, [SCALAR, CCD])
        stored = load_value(access, ccd, FIRST_RUN + 1)
        image = read_arrays(table, CCD)[1]
        assert stored is not None and image is not None and image.tobytes() == stored.tobytes()

        names = client.get("/api/observables", params={"search": "h_offset"}, headers=bearer(token)).json()
        assert [o["name"] for o in names["observables"]] == [SCALAR]
        assert names["observables"][0]["kind"] == "scalar" and names["observables"][0]["dtype"] == "float64"
        assert names["more"] == 0 and names["next"] is None
        elena = [o.name for o in list_observables(access) if ELENA.lower() in o.name.lower()]  # the whole registry
        page = client.get("/api/observables", params={"search": "elena", "limit": 2}, headers=bearer(token)).json()
        assert [o["name"] for o in page["observables"]] == elena[:2]
        assert page["more"] == len(elena) - 2 and page["next"] == elena[1]
        params = {"search": "elena", "after": page["next"]}
        rest = client.get("/api/observables", params=params, headers=bearer(token)).json()
        assert [o["name"] for o in rest["observables"]] == elena[2:] and rest["more"] == 0 and rest["next"] is None

        runs = client.get("/api/runs", params={"limit": 2}, headers=bearer(token)).json()["runs"]
        assert [r["run"] for r in runs] == [LAST_RUN, LAST_RUN - 1] and runs[0]["status"] == "ingested"
        assert runs[0]["start_time"] is not None and runs[0]["good"] is True

        trend = client.get(
            "/api/trend", params={"observable": SCALAR, "runs": f"{FIRST_RUN}-{LAST_RUN}"}, headers=bearer(token)
        ).json()
        assert trend["runs"] == list(range(FIRST_RUN, LAST_RUN + 1))
        expected = [float(load_value(access, scalar, run)) for run in trend["runs"]]  # type: ignore[arg-type]
        assert np.allclose(trend["values"], expected) and len(trend["start_time"]) == SEEDED_RUNS
        summed = client.get(
            "/api/trend", params={"observable": CCD, "runs": str(FIRST_RUN), "statistic": "sum"}, headers=bearer(token)
        ).json()
        assert summed["statistic"] == "sum" and len(summed["values"]) == 1

        revoke_token(access, victor.id, record.id)
        refused = client.get("/api/runs", headers=bearer(token))
        assert refused.status_code == 401 and "revoked" in refused.text
        assert client.get(url, headers=bearer(token)).status_code == 401


def test_tokens_of_disabled_accounts_and_bad_tokens_are_refused(browser_site: BrowserSite) -> None:
    access = browser_site.access
    _, token = create_token(access, browser_site.users["alice"], "alice's")
    with httpx.Client(base_url=browser_site.url, timeout=30) as client:
        assert client.get("/api/observables", headers=bearer(token)).status_code == 200
        set_disabled(access, "alice", True)
        assert client.get("/api/observables", headers=bearer(token)).status_code == 401
        set_disabled(access, "alice", False)
        assert client.get("/api/observables", headers=bearer(token)).status_code == 200
        for header in ("Bearer adt_not-a-token", f"Bearer {token}x", "bearer " + token[:-2]):
            response = client.get("/api/runs", headers={"Authorization": header})
            assert response.status_code == 401, header
            assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        for header in ("Bearer", "Basic YWxpY2U6eA==", token):
            assert client.get("/api/runs", headers={"Authorization": header}).status_code == 401, header
        page = client.get("/runs", headers=bearer(token))  # a token opens the API, not the pages
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert client.get("/api/images/abc.png", headers=bearer(token)).status_code == 401  # nor other API routes


def test_the_read_api_refuses_bad_input_with_one_line(browser_site: BrowserSite) -> None:
    _, token = create_token(browser_site.access, browser_site.users["bob"], "bob's")
    cases: list[tuple[str, dict[str, str | int], int, str]] = [
        ("/api/trend", {"runs": "1-2"}, 400, "name an observable"),
        ("/api/trend", {"observable": SCALAR, "runs": "5-1"}, 400, "reversed"),
        ("/api/trend", {"observable": "No*such", "runs": "1-2"}, 404, "unknown observable"),
        ("/api/trend", {"observable": CCD, "runs": "1-2"}, 400, "choose one of"),
        ("/api/trend", {"observable": CCD, "runs": "1-2", "statistic": "median"}, 400, "unknown statistic"),
        ("/api/runs", {"limit": 0}, 400, "limit must be"),
        ("/api/observables", {"limit": 0}, 400, "limit must be 1 to 10000"),
        ("/api/observables", {"limit": 10_001}, 400, "limit must be 1 to 10000"),
        ("/api/runs", {"runs": "x"}, 400, "bad run range"),
    ]
    with httpx.Client(base_url=browser_site.url, timeout=30) as client:
        for path, params, status, fragment in cases:
            response = client.get(path, params=params, headers=bearer(token))
            assert response.status_code == status and fragment in response.text, (path, params, response.text)
            assert "\n" not in response.text.strip()
