"""Run sources behind one protocol; :func:`open_source` builds the configured one."""

from __future__ import annotations

from alpaca_dash.config import Settings, SourceKind
from alpaca_dash.sources.base import RunSource, SourceError

__all__ = ["RunSource", "SourceError", "open_source"]


def open_source(settings: Settings, kind: SourceKind | None = None, *, follow: bool = True) -> RunSource:
    """The source named by ``kind`` (default: the configured one), built from the settings.

    :param follow: for the simulated source, new runs keep finishing (follow) or any run can be read (on demand).

    :raises SourceError: when the source cannot be used here (no folder for ``files``, no ALPACA for ``alpaca``).
    """
    kind = kind or settings.source
    if kind == "simulated":
        from alpaca_dash.sources.simulated import SimulatedSource

        return SimulatedSource.from_settings(settings, follow=follow)
    if kind == "files":
        from alpaca_dash.sources.files import FileSource

        if settings.source_path is None:
            raise SourceError("the files source needs a folder: set ALPACA_DASH_SOURCE_PATH or pass --path")
        return FileSource(settings.source_path, settle_seconds=settings.source_settle_seconds)
    from alpaca_dash.sources.alpaca import AlpacaSource

    return AlpacaSource.from_settings(settings)
