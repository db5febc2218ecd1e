"""A session's server-side storage (``app.storage.user``) loaded once per process before any request reads it.

NiceGUI's request middleware creates a session's storage on the session's first request in this process and awaits
its load (from Redis, or from its file). It registers the storage before the load has finished, so a second request of
the same session that arrives meanwhile finds it registered and reads it empty: not signed in, sent to the login
page, which by then sees the user and navigates back. Behind nginx with several instances this is what a browser
meets on an instance that has not seen its session yet, when several of its requests arrive at once (bench P14:
the clients of the first batch on the other instance got the login page's redirect instead of the dashboard).

Here every request of a session whose storage is still loading waits for that one load, and the storage is
registered only once it holds what was stored.
"""

from __future__ import annotations

import asyncio

from nicegui.storage import USER_PREFIX, Storage


def load_user_storage_once(storage: Storage) -> None:
    """Make ``storage`` load each session's user storage once, with every request of the session waiting for it."""
    loading: dict[str, asyncio.Future[None]] = {}

    async def load(session_id: str) -> None:
        stored = Storage._create_persistent_dict(f"{USER_PREFIX}{session_id}")
        await stored.initialize()
        storage._users.setdefault(session_id, stored)

    async def create_user_storage(session_id: str) -> None:
        pending = loading.get(session_id)
        if pending is None:
            pending = loading[session_id] = asyncio.ensure_future(load(session_id))
            pending.add_done_callback(lambda _: loading.pop(session_id, None))
        await asyncio.shield(pending)  # a request given up on does not cancel the load the others wait for

    storage._create_user_storage = create_user_storage  # type: ignore[method-assign]
