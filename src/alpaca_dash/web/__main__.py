"""``python -m alpaca_dash.web``: serve with the settings from the environment (used by the browser tests)."""

from __future__ import annotations

import logging

from alpaca_dash.config import Settings
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.web.app import serve


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level)
    serve(settings, DataAccess.open(settings))


if __name__ == "__main__":
    main()
