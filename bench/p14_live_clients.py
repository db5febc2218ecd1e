"""P14: 200 live clients at the websocket level, spread over two web instances, while runs arrive.

The scale-out layout of ``tests/scale_out_site.py`` (two ``serve --no-ingest`` instances behind Debian's nginx with
the sticky upstream, NiceGUI storage in Redis, one ``follow`` worker, the sidecar on moto's S3). Chromium logs in
once; then each client is a page of the live dashboard fetched over HTTP with that session and its own routing
cookie (so nginx spreads them over the instances) and a python-socketio client on the page's websocket, as
NiceGUI's browser code connects it (implicit handshake). The benchmark LISTENs on the runs channel itself: a run's
commit time is when its NOTIFY arrives here. A client has a run when a message mentioning it arrives (the page's URL
and run field change with the run shown). Each instance's ``/metrics`` says how many panel contents it computed
while the runs arrived: once per run and instance, not once per client.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import socketio
from playwright.async_api import async_playwright

from alpaca_dash.timescale.notify import JUDGED_PREFIX, run_channel

from bench.common import Options, Section, format_table, temporary_schema

# the layout is the scale-out test's own, so that the benchmark measures what the test proves
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from scale_out_site import PASSWORD, UPSTREAM_HEADER, USER, ScaleOutSite, scale_out_site

CLIENTS = 200
RUNS = 5
RUN_SECONDS = 4.0
CONNECT_BATCH = 10
TARGET_P95 = 1.0
_CLIENT_ID = re.compile(r"""["']client_id["']:\s*["']([^"']+)""")
_NEXT_MESSAGE = re.compile(r"""["']next_message_id["']:\s*(\d+)""")


async def login_cookies(site: ScaleOutSite) -> dict[str, str]:
    """The session of one login through nginx, made by Chromium (the login form speaks over the websocket)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = await browser.new_context(ignore_https_errors=True)
        page = await context.new_page()
        await page.goto(site.url + "/login")
        await page.get_by_label("Username").fill(USER)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(re.compile(r"/$|/dashboard"), timeout=60_000)
        cookies = {c["name"]: c["value"] for c in await context.cookies() if c["name"] != "alpaca_route"}
        await browser.close()
    return cookies


class LiveClient:
    def __init__(self, number: int, cookies: dict[str, str]) -> None:
        self.number = number
        self.cookies = {**cookies, "alpaca_route": f"p14-client-{number}"}
        #: (wall-clock time, text) of every message, matched against the committed runs afterwards
        self.messages: list[tuple[float, str]] = []
        self.upstream = ""
        self.landed = ""
        self.disconnects = 0
        # as NiceGUI's browser code does: a dropped websocket reconnects, and the server sends what it missed
        self.sio = socketio.AsyncClient(ssl_verify=False, reconnection=True, reconnection_delay=0.5)
        self.sio.on("*", self._message)
        self.sio.on("disconnect", self._disconnected)

    async def _disconnected(self, *args: Any) -> None:
        self.disconnects += 1

    async def _message(self, event: str, data: Any = None) -> None:
        self.messages.append((time.time(), f"{event} {data}"))

    def received(self, run: int, after: float) -> float | None:
        """When the first message mentioning ``run`` arrived (not before ``after``, a while before its commit)."""
        text = str(run)
        return next((at for at, message in self.messages if at >= after and text in message), None)

    async def connect(self, session: aiohttp.ClientSession, site: ScaleOutSite) -> None:
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        url = f"{site.url}/dashboard/{site.dashboard_id}?live=1"
        async with session.get(url, headers={"Cookie": header}, ssl=False) as response:
            html = await response.text()
            self.upstream = response.headers.get(UPSTREAM_HEADER, "")
            #: where the page request ended: a redirect to the login page means the instance saw no signed-in session
            self.landed = response.url.path
        found, following = _CLIENT_ID.search(html), _NEXT_MESSAGE.search(html)
        assert found is not None and following is not None, f"no NiceGUI page at {url}: {html[:300]}"
        query = (
            f"client_id={found[1]}&next_message_id={following[1]}&implicit_handshake=true"
            f"&document_id=p14-doc-{self.number}&tab_id=p14-tab-{self.number}&old_tab_id="
        )
        await self.sio.connect(
            f"{site.url}?{query}",
            headers={"Cookie": header},
            transports=["websocket"],
            socketio_path="/_nicegui_ws/socket.io",
            wait_timeout=60,
        )


async def contents_computed(site: ScaleOutSite, session: aiohttp.ClientSession, cookies: dict[str, str]) -> list[int]:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    counts = []
    for instance in site.instances:
        async with session.get(f"http://127.0.0.1:{instance.port}/metrics", headers={"Cookie": header}) as response:
            text = await response.text()
        match = re.search(r"^alpaca_dash_panel_contents_computed_total (\d+)$", text, re.MULTILINE)
        assert match is not None, text
        counts.append(int(match[1]))
    return counts


def listen_for_runs(database_url: str, runs: int) -> dict[int, float]:
    """Run number to the wall-clock time its commit's NOTIFY arrived, for the next ``runs`` runs (in a thread of
    its own, so that the clients' messages do not delay it)."""
    committed: dict[int, float] = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'LISTEN "{run_channel(conn)}"')
        for notice in conn.notifies(timeout=RUN_SECONDS * (runs + 3)):
            if notice.payload.startswith(JUDGED_PREFIX):
                continue  # a run's quality results stored, on the same channel; a bare number is a commit
            committed[int(notice.payload)] = time.time()
            if len(committed) >= runs:
                break
    return committed


async def measure(site: ScaleOutSite, database_url: str) -> dict[str, Any]:
    cookies = await login_cookies(site)
    clients = [LiveClient(n, cookies) for n in range(CLIENTS)]
    async with aiohttp.ClientSession() as session:
        for start in range(0, CLIENTS, CONNECT_BATCH):
            await asyncio.gather(*(c.connect(session, site) for c in clients[start : start + CONNECT_BATCH]))
        await asyncio.sleep(RUN_SECONDS)  # every page has drawn its first run
        before = await contents_computed(site, session, cookies)
        committed = await asyncio.to_thread(listen_for_runs, database_url, RUNS)
        await asyncio.sleep(3.0)  # the last run's updates on their way
        after = await contents_computed(site, session, cookies)
        drops = sum(c.disconnects for c in clients)
        await asyncio.gather(*(c.sio.disconnect() for c in clients), return_exceptions=True)
    latencies: list[float] = []
    missed: dict[int, list[int]] = {}
    for run, at in committed.items():
        for client in clients:
            received = client.received(run, after=at - RUN_SECONDS / 2)
            if received is None:
                missed.setdefault(run, []).append(client.number)
            else:
                latencies.append(received - at)
    for run, numbers in missed.items():
        print(f"run {run}: missed by clients {numbers}", file=sys.stderr)
    sent_away = [c.number for c in clients if c.landed != f"/dashboard/{site.dashboard_id}"]
    print(f"clients whose page request ended elsewhere (the login page): {sent_away}", file=sys.stderr)
    silent = [c for c in clients if not c.messages]
    print(f"clients that got no message at all: {[c.number for c in silent]}", file=sys.stderr)
    per_instance: defaultdict[str, int] = defaultdict(int)
    for client in clients:
        per_instance[client.upstream] += 1
    return {
        "runs": len(committed),
        "expected": len(committed) * CLIENTS,
        "delivered": len(latencies),
        "latencies": latencies,
        "per_instance": dict(per_instance),
        "computed": [a - b for a, b in zip(after, before, strict=True)],
        "disconnects": drops,
        "sent_away": len(sent_away),
    }


def run(options: Options) -> Section:
    target = options.targets[0]
    with temporary_schema(target.url, "p14") as url, tempfile.TemporaryDirectory(prefix="bench-p14-") as tmp:
        with scale_out_site(url, Path(tmp), run_seconds=RUN_SECONDS, log_level="WARNING") as site:
            result = asyncio.run(measure(site, url))
    latencies = sorted(result["latencies"])
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    spread = ", ".join(f"{n} on {upstream or '?'}" for upstream, n in sorted(result["per_instance"].items()))
    computed = result["computed"]
    verdict = "once per run and instance" if all(c <= result["runs"] for c in computed) else "more than once per run"
    rows = [
        ["live clients (socket.io, not browsers)", f"{CLIENTS} ({spread})"],
        ["runs committed while they watched", str(result["runs"])],
        ["updates delivered", f"{result['delivered']} of {result['expected']}"],
        ["websocket drops while watching (clients reconnect, as browsers do)", str(result["disconnects"])],
        ["pages sent to the login page instead (the session not yet loaded there)", str(result["sent_away"])],
        ["commit to update, median", f"{statistics.median(latencies):.3f} s" if latencies else "-"],
        ["commit to update, p95", f"{p95:.3f} s ({'meets' if p95 < TARGET_P95 else 'misses'} < {TARGET_P95:g} s)"],
        ["commit to update, max", f"{latencies[-1]:.3f} s" if latencies else "-"],
        [
            "panel contents computed per instance (1 panel)",
            f"{', '.join(map(str, computed))} for {result['runs']} runs: {verdict}",
        ],
    ]
    body = (
        f"A live dashboard of one stat panel, {CLIENTS} socket.io clients over two instances, a run every "
        f"{RUN_SECONDS:g} s from the follow worker; see `bench/p14_live_clients.py`.\n\n"
        f"{format_table(['measure', 'value'], rows)}\n"
    )
    return Section("P14", "200 live clients on two instances", body)
