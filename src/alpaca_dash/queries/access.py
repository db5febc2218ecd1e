"""The handle every read goes through: the database and the Parquet sidecar, opened once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache import ParquetStore, open_store
from alpaca_dash.queries.observable_cache import ObservableCache
from alpaca_dash.timescale.database import Database


@dataclass(frozen=True)
class DataAccess:
    """What the read side needs; the web layer holds one and passes it to ``queries.*`` functions."""

    db: Database
    store: ParquetStore
    settings: Settings
    #: observables looked up for display (``observables.find_observables``)
    observable_cache: ObservableCache = field(default_factory=ObservableCache, compare=False, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> DataAccess:
        """Connect (starting the embedded database if none is configured) and bring the schema up to date."""
        db = Database.from_settings(settings)
        try:
            if migrate:
                db.migrate(timescale=settings.timescale)
            else:
                db.check_schema()
            return cls(db, open_store(settings), settings)
        except BaseException:
            db.dispose()
            raise

    def close(self) -> None:
        self.db.dispose()
