"""The adapter over ALPACA, and the only module that imports it (lazily, so the app runs without it).

ALPACA is not public, so the shape of ``ALPACA.data.finalize.generate(...)``'s result is taken from how its users
call it, and handled defensively:

    {run: {observable: value, ...}, ...}

- ``run`` is an int (a text of digits is accepted too);
- ``observable`` is a ``*``-joined name (``"captorius3*acq_0*Channel_2_SSPALS*Y_[V]*t"``) or a tuple of parts, which
  is joined with ``*`` here; a nested mapping is flattened the same way (``{"ELENA_Parameters": {"H_offset_mm": v}}``);
- ``value`` is whatever ALPACA computed (numpy scalar or array, Python number, list) and is passed on untouched for
  ingest to classify; ``None`` means "not measured" and is left out;
- keys of the run entry named ``run_start``/``run_end`` (or ``start_time``/``end_time``, any case) are the run times
  (ISO-8601 text, unix seconds or datetime), not observables.

A run missing from the result, an exception inside ALPACA, or a result of another shape is a :class:`SourceError`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from alpaca_dash.config import Settings
from alpaca_dash.domain import NAME_SEPARATOR, RunRecord
from alpaca_dash.sources.base import SourceError
from alpaca_dash.sources.files import parse_run_time

log = logging.getLogger(__name__)

START_KEYS = frozenset({"run_start", "start_time", "run_start_time"})
END_KEYS = frozenset({"run_end", "end_time", "run_end_time"})


class AlpacaSource:
    """Runs computed by ALPACA's ``generate``, one run per call.

    ALPACA has no "newest run" call: :meth:`latest_run` asks ``find_latest_run`` when one is given and otherwise
    returns None, so following new runs needs that callable (or ALPACA pushing finished runs).

    :param generate: ``ALPACA.data.finalize.generate`` or a function with the same signature and result.
    :param elog_results_filename: passed to ``generate`` as is.
    :param known_bad_runs: runs ALPACA should skip; they are also left out of :meth:`available_runs`.
    :param variables_of_interest: observables to compute; passed as is (ALPACA decides what an empty list means).
    :param directories_to_flush: ALPACA cache directories to rebuild; empty keeps every cache.
    :param find_latest_run: returns the newest finished run, or None.
    """

    kind = "alpaca"

    def __init__(
        self,
        generate: Callable[..., Any],
        *,
        elog_results_filename: str | None = None,
        known_bad_runs: Sequence[int] = (),
        variables_of_interest: Sequence[str] = (),
        directories_to_flush: Sequence[str] = (),
        speed_mode: bool = True,
        verbosing: bool = False,
        find_latest_run: Callable[[], int | None] | None = None,
    ) -> None:
        self._generate = generate
        self.elog_results_filename = elog_results_filename
        self.known_bad_runs = tuple(known_bad_runs)
        self.variables_of_interest = tuple(variables_of_interest)
        self.directories_to_flush = tuple(directories_to_flush)
        self.speed_mode = speed_mode
        self.verbosing = verbosing
        self._find_latest_run = find_latest_run

    @classmethod
    def from_settings(cls, settings: Settings, *, module_name: str | None = None, **options: Any) -> AlpacaSource:
        """Import ALPACA's ``finalize`` module and wrap its ``generate``.

        :param settings: the application settings; their ``alpaca_*`` fields give the defaults.
        :param module_name: the module holding ``generate`` (default: ``settings.alpaca_module``).
        :param options: keyword arguments of :class:`AlpacaSource`, overriding the settings.
        :raises SourceError: when the module cannot be imported or has no ``generate``.
        """
        module_name = module_name or settings.alpaca_module
        options = {
            "elog_results_filename": settings.alpaca_elog_results_filename,
            "known_bad_runs": settings.alpaca_known_bad_runs,
            "variables_of_interest": settings.alpaca_variables_of_interest,
            **options,
        }
        try:
            module = importlib.import_module(module_name)
        # ALPACA may fail at import for its own reasons (config, data paths), not only with ImportError
        except Exception as exc:
            raise SourceError(
                f"ALPACA is not importable here ({module_name}: {type(exc).__name__}: {exc}); "
                "install it in this environment or use the 'files' or 'simulated' source"
            ) from exc
        generate = getattr(module, "generate", None)
        if not callable(generate):
            raise SourceError(f"{module_name} has no generate() function; is this the right ALPACA version?")
        return cls(generate, **options)

    def latest_run(self) -> int | None:
        """The newest finished run according to ``find_latest_run``, or None without it.

        :raises SourceError: when ``find_latest_run`` fails.
        """
        if self._find_latest_run is None:
            return None
        try:
            return self._find_latest_run()
        except Exception as exc:
            raise SourceError(f"finding ALPACA's latest run failed: {type(exc).__name__}: {exc}") from exc

    def available_runs(self, first: int, last: int) -> list[int]:
        """Every run from ``first`` to ``last`` but the known bad ones: ALPACA cannot list runs without processing."""
        bad = set(self.known_bad_runs)
        return [run for run in range(first, last + 1) if run not in bad]

    def read_run(self, run: int) -> RunRecord:
        """Ask ALPACA for one run and flatten its observables.

        :raises SourceError: when the run is a known bad one, ALPACA fails, or it returns nothing for the run.
        """
        if run in self.known_bad_runs:
            raise SourceError(f"run {run} is listed as a known bad run for ALPACA")
        try:
            result = self._generate(
                run,
                run,
                self.elog_results_filename,
                list(self.known_bad_runs),
                self.verbosing,
                variables_of_interest=list(self.variables_of_interest),
                directories_to_flush=list(self.directories_to_flush),
                speed_mode=self.speed_mode,
            )
        except Exception as exc:  # anything ALPACA raises fails this run only
            raise SourceError(f"run {run}: ALPACA failed: {type(exc).__name__}: {exc}") from exc
        return translate_run(run, find_run_entry(result, run))


def find_run_entry(result: Any, run: int) -> Mapping[Any, Any]:
    """The observables of ``run`` in a ``generate`` result, whose run keys may be ints or texts.

    :raises SourceError: when the result is not a mapping or has no mapping for the run.
    """
    if not isinstance(result, Mapping):
        raise SourceError(f"run {run}: ALPACA returned {type(result).__name__}, expected a mapping of runs")
    entry = result.get(run, result.get(str(run)))
    if entry is None:
        entry = next((value for key, value in result.items() if _as_run_number(key) == run), None)
    if entry is None:
        raise SourceError(f"run {run}: ALPACA returned no data for it")
    if not isinstance(entry, Mapping):
        raise SourceError(f"run {run}: ALPACA returned {type(entry).__name__} for it, expected a mapping")
    return entry


def translate_run(run: int, entry: Mapping[Any, Any]) -> RunRecord:
    """A run record from one run's entry: run times taken out, observable keys flattened to ``*``-joined names."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    times: dict[str, datetime | None] = {"start": None, "end": None}
    for key, value in entry.items():
        if isinstance(key, str) and key.lower() in START_KEYS | END_KEYS:
            times["start" if key.lower() in START_KEYS else "end"] = _parse_time(run, key, value)
            continue
        _flatten_into(values, errors, _name_parts(key), value)
    return RunRecord(run=run, start=times["start"], end=times["end"], values=values, errors=errors)


def _flatten_into(values: dict[str, Any], errors: dict[str, str], parts: tuple[str, ...], value: Any) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten_into(values, errors, (*parts, *_name_parts(key)), inner)
        return
    if value is None:
        return
    name = NAME_SEPARATOR.join(parts)
    if name in values:  # e.g. "a*b" next to ("a", "b"); keeping either would hide the other
        del values[name]
        errors[name] = "ALPACA returned two different entries with this name"
    elif name not in errors:
        values[name] = value


def _name_parts(key: Any) -> tuple[str, ...]:
    if isinstance(key, (tuple, list)):
        return tuple(str(part) for part in key)
    return (str(key),)


def _parse_time(run: int, key: str, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_run_time(value)
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        log.warning("run %d: ignoring ALPACA's %s %r: %s", run, key, value, exc)
        return None


def _as_run_number(key: Any) -> int | None:
    try:
        return int(key)
    except (TypeError, ValueError):
        return None
