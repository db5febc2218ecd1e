"""The login throttle: failed sign-ins counted per user name and per client address, in the database (so every web
instance sees the same counts). After a few free failures a key is blocked for a while that doubles with each further
failure, up to a quarter of an hour; a success clears the name's count. Unknown names are counted like known ones,
so the throttle tells nobody which accounts exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from alpaca_dash.queries.access import DataAccess

#: failures before a key is blocked: few per name, more per address (a lab behind one NAT address)
FREE_FAILURES = {"name": 5, "address": 20}
MAX_BLOCK_SECONDS = 900
#: failures older than this are forgotten
WINDOW_SECONDS = 900
#: keys are cut to this length (a login name field can hold anything)
MAX_KEY = 200


@dataclass(frozen=True)
class ThrottleKeys:
    name: str
    address: str

    def keys(self) -> list[tuple[str, int]]:
        """(key, free failures) for the name and the address."""
        return [
            (f"name:{self.name}"[:MAX_KEY], FREE_FAILURES["name"]),
            (f"address:{self.address}"[:MAX_KEY], FREE_FAILURES["address"]),
        ]


def _clean(value: str) -> str:
    return value.replace("\x00", "\\0")


def blocked_for(access: DataAccess, who: ThrottleKeys) -> int:
    """Seconds (rounded up) until the name and the address may try again; 0 when neither is blocked."""
    keys = [_clean(key) for key, _free in who.keys()]
    with access.db.begin() as conn:
        seconds = conn.execute(
            text(
                "SELECT coalesce(max(extract(epoch FROM blocked_until - now())), 0) FROM login_failures "
                "WHERE key = ANY(:keys) AND blocked_until > now()"
            ),
            {"keys": keys},
        ).scalar_one()
    return int(-(-float(seconds) // 1))


def record_failure(access: DataAccess, who: ThrottleKeys) -> None:
    """Count one failed sign-in against the name and the address, and forget long-past failures of others."""
    with access.db.begin() as conn:
        for key, free in who.keys():
            conn.execute(
                text(
                    "INSERT INTO login_failures AS f (key, failures, last_at) VALUES (:key, 1, now()) "
                    "ON CONFLICT (key) DO UPDATE SET "
                    "failures = CASE WHEN f.last_at < now() - :window * interval '1 second' THEN 1 "
                    "ELSE f.failures + 1 END, last_at = now()"
                ),
                {"key": _clean(key), "window": WINDOW_SECONDS},
            )
            conn.execute(
                text(
                    "UPDATE login_failures SET blocked_until = now() + interval '1 second' * "
                    "least(power(2, least(failures - :free, 20)), :most) WHERE key = :key AND failures > :free"
                ),
                {"key": _clean(key), "free": free, "most": MAX_BLOCK_SECONDS},
            )
        conn.execute(
            text(
                "DELETE FROM login_failures WHERE last_at < now() - :window * interval '1 second' "
                "AND (blocked_until IS NULL OR blocked_until < now())"
            ),
            {"window": WINDOW_SECONDS},
        )


def record_success(access: DataAccess, who: ThrottleKeys) -> None:
    """A correct password clears the name's failures (not the address's: one's own account must not reset it)."""
    name_key = who.keys()[0][0]
    with access.db.begin() as conn:
        conn.execute(text("DELETE FROM login_failures WHERE key = :key"), {"key": _clean(name_key)})
