"""The one place settings are read: environment (prefix ``ALPACA_DASH_``), files named by ``ALPACA_DASH_<NAME>_FILE``
(secrets), then an optional TOML file, then defaults.

``Settings`` is a frozen dataclass read by a loader of our own, not a pydantic model: pydantic-settings cost every
command 20-35 ms and pydantic's model 0.06 s more, a sixth of a one-run ingest process (issue 16, bench cli). Values
are read as pydantic-settings 2.16 read them, so nothing changed for users (tests/test_config.py).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_type_hints
from urllib.parse import quote

from alpaca_dash.domain import Role
from alpaca_dash.setting_values import BadValue, Bounds, convert, is_collection
from alpaca_dash.setting_values import SettingsError as SettingsError

SourceKind = Literal["simulated", "files", "alpaca"]

ENV_PREFIX = "ALPACA_DASH_"
CONFIG_FILE_ENV = "ALPACA_DASH_CONFIG"
DEFAULT_CONFIG_FILE = Path("config/alpaca-dash.toml")
MASK = "***"
#: settings whose whole value is a secret
_SECRET_NAME = re.compile(r"secret|password|token|credential", re.IGNORECASE)
#: the password of a URL's user info (postgresql://user:pw@host, redis://:pw@host), or an S3 URI's keys
_URL_PASSWORD = re.compile(r"(?P<keep>://[^:/@]*):[^/]*@|(?P<s3>s3://)[^/]+@", re.IGNORECASE)
#: password=... in a libpq key/value string, and secret query parameters (?password=, &secret_key=, &access_key=)
_PARAMETER = re.compile(
    r"(?P<key>(?:^|[\s?&])[\w.-]*(?:password|secret|key|token)[\w.-]*\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s&]*)",
    re.IGNORECASE,
)


class BadSetting(SettingsError):
    """A setting whose value is not of its type, outside its bounds, or unknown (``name`` says which)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def setting(
    default: Any, *, description: str, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> Any:
    """A field of :class:`Settings`: its default (a list or mapping is copied for each instance), its help, bounds."""
    metadata = {"help": description, "bounds": Bounds(ge=ge, gt=gt, le=le)}
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=functools.partial(type(default), default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting of the application, with its default and what it is for.

    ``Settings(**values)`` reads the sources (:func:`read_sources`), ``values`` on top of them, and checks every
    value against its type and bounds.

    :raises BadSetting: a setting has a bad value, or a source names a setting that does not exist.
    :raises SettingsError: a source cannot be read.
    :raises tomllib.TOMLDecodeError: the config file is not TOML.
    """

    if not TYPE_CHECKING:  # hidden from mypy, which checks the keywords against the fields of the generated one

        def __init__(self, **values: Any) -> None:
            given = read_sources(_types(), values)
            unknown = sorted(set(given) - set(_types()))
            for name, kind in _types().items():
                field = _FIELDS[name]
                value = given[name] if name in given else _default(field)
                object.__setattr__(self, name, _checked(name, kind, field, value))
            if unknown:
                raise BadSetting(unknown[0], "Extra inputs are not permitted")
            object.__setattr__(self, "_given", frozenset(given))

    database_url: str = setting(
        "",
        description="PostgreSQL/TimescaleDB URL (postgresql://user@host:port/db). Empty starts an embedded "
        "PostgreSQL in DATA_DIR/postgres, which needs no server.",
    )
    database_password: str = setting(
        "", description="Password of the database user when it is not in the URL (from a file: DATABASE_PASSWORD_FILE)."
    )
    data_dir: Path = setting(Path("data"), description="Folder for the embedded database and the Parquet sidecar.")
    parquet_dir: Path | None = setting(
        None, description="Root of the 2D-array Parquet sidecar. Default: DATA_DIR/parquet."
    )
    parquet_s3_uri: str = setting(
        "", description="s3://bucket/prefix for the sidecar on S3-compatible storage instead of a folder (scale-out)."
    )
    parquet_s3_endpoint: str = setting(
        "", description="http(s)://host:port of the S3-compatible service; empty for AWS."
    )
    parquet_s3_access_key: str = setting(
        "", description="Access key of the sidecar's S3 storage; empty: the AWS_* variables or ~/.aws files."
    )
    parquet_s3_secret_key: str = setting("", description="Secret key that goes with PARQUET_S3_ACCESS_KEY.")
    timescale: Literal["auto", "off", "required"] = setting(
        "auto",
        description="Use TimescaleDB hypertables when the extension is available (auto), never (off), "
        "or refuse to start without it (required).",
    )
    source: SourceKind = setting("simulated", description="Where runs come from: simulated, files or alpaca.")
    source_path: Path | None = setting(None, description="Folder of run files (run_<number>.h5 or .npz) for 'files'.")
    simulated_seed: int = setting(2026, description="Seed of the simulated source; the same seed gives the same runs.")
    simulated_first_run: int = setting(390000, description="First run number of the simulated source.")
    simulated_history: int = setting(20, description="How many finished runs the simulated source has at start.")
    simulated_run_seconds: float = setting(5.0, gt=0, description="A new simulated run finishes every N seconds.")
    simulated_pco: bool = setting(False, description="Add a 5120x5120 uint16 PCO Edge image to each simulated run.")
    simulated_glitch_every: int = setting(
        0,
        ge=0,
        description="Every Nth simulated run has its ELENA beam off, to break quality checks (demo: 7); 0: never.",
    )
    simulated_image_size: int = setting(1024, ge=8, le=8192, description="Side of the simulated CCD images, in pixels.")
    alpaca_module: str = setting("ALPACA.data.finalize", description="Module whose generate() the alpaca source calls.")
    alpaca_elog_results_filename: str | None = setting(None, description="e-log results file passed to ALPACA.")
    alpaca_known_bad_runs: list[int] = setting([], description="Runs ALPACA should skip.")
    alpaca_variables_of_interest: list[str] = setting(
        [], description="Observables to ask ALPACA for; empty asks for everything."
    )
    elog_url_template: str = setting(
        "", description="e-log address of a run, {run} replaced by its number (runs table link); empty: no link."
    )
    follow_interval: float = setting(2.0, gt=0, description="Seconds between two looks for a newer finished run.")
    source_settle_seconds: float = setting(
        2.0,
        ge=0,
        description="A run file is ingested once its size and mtime have not changed for this long (seconds); "
        "0 when ALPACA renames finished files into place.",
    )
    follow_retries: int = setting(
        3, ge=0, le=100, description="A failed run is ingested again when its file changes, at most this many times."
    )
    notify_webhook_token_url: str = setting(
        "",
        description="Contact point: a webhook (Mattermost or Slack incoming webhook URL, which carries its token) "
        "that gets one JSON POST per run in alarm; empty: none.",
    )
    notify_smtp_host: str = setting("", description="Contact point: SMTP server for alarm e-mails; empty: none.")
    notify_smtp_port: int = setting(25, ge=1, le=65535, description="Port of the SMTP server.")
    notify_smtp_user: str = setting("", description="SMTP login; empty: send without logging in.")
    notify_smtp_password: str = setting("", description="Password of the SMTP login.")
    notify_smtp_starttls: bool = setting(False, description="Upgrade the SMTP connection with STARTTLS before login.")
    notify_email_from: str = setting("alpaca-dash@localhost", description="Sender address of alarm e-mails.")
    notify_email_to: list[str] = setting([], description="Recipients of alarm e-mails.")
    notify_group_seconds: float = setting(
        300.0, gt=0, description="Grouping window: a run's alarms make one message per contact point within it."
    )
    max_range: int = setting(20000, ge=1, description="Largest number of runs one ingest or export may cover.")
    max_download_bytes: int = setting(
        2 * 1024**3, ge=1, description="Largest data download the dashboard makes (its estimate before it starts)."
    )
    host: str = setting("127.0.0.1", description="Address the web server listens on.")
    port: int = setting(8080, ge=1, le=65535, description="Port the web server listens on.")
    storage_secret: str = setting(
        "", description="Secret that signs session cookies. Empty: a per-data-dir random one."
    )
    node_modules: Path | None = setting(
        None, description="node_modules holding the grid library (npm ci). Default: ./node_modules or the checkout's."
    )
    redis_url: str = setting(
        "", description="redis://host:port/db for NiceGUI's storage, shared by scaled-out web instances; empty: local."
    )
    redis_password: str = setting("", description="Password of the Redis server when it is not in REDIS_URL.")
    log_level: str = setting("INFO", description="Python logging level.")
    production: bool = setting(
        False,
        description="Production mode: the session cookie is https-only and SameSite=Lax, and the app refuses to "
        "start without STORAGE_SECRET.",
    )
    sso_user_header: str = setting(
        "", description="Header naming the signed-in user set by a trusted proxy (X-Forwarded-User); empty: off."
    )
    sso_groups_header: str = setting(
        "X-Forwarded-Groups", description="Header with the user's comma-separated groups, set by the trusted proxy."
    )
    trusted_proxies: list[str] = setting(
        [],
        description="Peer addresses (CIDRs) whose SSO headers are believed; headers from anyone else are ignored.",
    )
    sso_group_roles: dict[str, str] = setting(
        {},
        description="Group to role (viewer, editor, admin) for users created on first sight; the highest wins.",
    )
    sso_default_role: Role = setting(
        Role.VIEWER, description="Role of a user first seen through SSO whose groups map to no role."
    )
    sso_local_accounts: Literal["refuse", "link"] = setting(
        "refuse",
        description="An SSO name equal to a local account's name: refuse (403) or link (sign into that account).",
    )

    @property
    def redis_url_with_password(self) -> str:
        """``redis_url`` with ``redis_password`` in it, when the password is given apart."""
        if not self.redis_password or not self.redis_url or "@" in self.redis_url.split("//", 1)[-1].split("/", 1)[0]:
            return self.redis_url
        scheme, rest = self.redis_url.split("://", 1)
        return f"{scheme}://:{quote(self.redis_password, safe='')}@{rest}"

    @property
    def parquet_root(self) -> Path:
        """The sidecar root, resolved from ``parquet_dir`` or ``data_dir``."""
        return (self.parquet_dir or self.data_dir / "parquet").resolve()

    @property
    def given(self) -> frozenset[str]:
        """The settings some source gave (the others have their defaults)."""
        return frozenset(self.__dict__.get("_given", ()))

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (checked as a source's values are), the sources not read again."""
        copy = object.__new__(Settings)
        copy.__dict__.update(self.__dict__)
        for name, value in changes.items():
            if name not in _FIELDS:
                raise BadSetting(name, "Extra inputs are not permitted")
            copy.__dict__[name] = _checked(name, _types()[name], _FIELDS[name], value)
        copy.__dict__["_given"] = self.given | changes.keys()
        return copy


def _libpq_url(value: str) -> str:
    if value:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        try:
            conninfo_to_dict(value)
        except psycopg.ProgrammingError as exc:
            raise BadValue(
                f"{mask_secrets('url', exc)}; expected postgresql://user@host:port/database or key=value pairs"
            ) from None
    return value


def _redis_url(value: str) -> str:
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise BadValue("expected redis://[:password@]host:port/db, rediss://... or unix:///path")
    return value


def _s3_uri(value: str) -> str:
    if value and not re.match(r"s3://[^/]+", value):
        raise BadValue("expected s3://bucket/prefix")
    return value


def _endpoint(value: str) -> str:
    if value and not re.match(r"https?://[^/]+", value):
        raise BadValue("expected http(s)://host:port")
    return value


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise BadValue("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


#: what a setting's value must be beyond its type
_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "database_url": _libpq_url,
    "redis_url": _redis_url,
    "parquet_s3_uri": _s3_uri,
    "parquet_s3_endpoint": _endpoint,
    "log_level": _log_level,
}
_FIELDS = {field.name: field for field in dataclasses.fields(Settings)}


@functools.cache
def _types() -> dict[str, Any]:
    """Each setting's type, by name, in the order of the fields."""
    hints = get_type_hints(Settings, localns={"Role": Role, "Path": Path, "SourceKind": SourceKind})
    return {name: hints[name] for name in _FIELDS}


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def _checked(name: str, kind: Any, field: dataclasses.Field[Any], value: Any) -> Any:
    """``value`` as the setting's type, within its bounds and passed by its validator (defaults too, as
    pydantic-settings did: ``log_level``'s upper case)."""
    try:
        value = convert(kind, value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            field.metadata["bounds"].check(value)
        validator = _VALIDATORS.get(name)
        return value if validator is None else validator(value)
    except BadValue as exc:
        raise BadSetting(f"{name}.{exc.where}" if exc.where else name, exc.reason) from None


def config_file() -> Path:
    """The TOML file settings are read from (it need not exist)."""
    return Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))


def read_sources(fields: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings given, by field name: ``values``, then the environment, then files named by ``*_FILE``
    variables, then the config file. The first source that has a setting wins; mappings are merged key by key.

    Names are matched to fields whatever their case; other names are kept for validation to refuse.

    :raises SettingsError: a list or mapping variable is not JSON, or a ``*_FILE`` cannot be read.
    :raises tomllib.TOMLDecodeError: the config file is not TOML.
    """
    from alpaca_dash.secret_files import read_secret_files

    config = _read_config_file(config_file())  # before the others, so its error comes first as it did
    sources = (
        _by_field_name(values, fields),
        _read_environment(fields),
        read_secret_files(fields, ENV_PREFIX),
        _by_field_name(config, fields),
    )
    merged: dict[str, Any] = {}
    for source in sources:
        merged = _merge(source, merged)
    return merged


def _read_environment(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``ALPACA_DASH_<NAME>`` variables, their names in any case (of two that differ only in case, the later in the
    environment wins). List and mapping settings are JSON; JSON ``null`` leaves the setting to the next source."""
    environment = {name.lower(): text for name, text in os.environ.items()}
    values: dict[str, Any] = {}
    for name, kind in fields.items():
        text = environment.get(f"{ENV_PREFIX}{name}".lower())
        if text is None:
            continue
        if not is_collection(kind):
            values[name] = text  # converted as pydantic did: "yes" and "off" for booleans, "9_000" for numbers
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:  # the wording pydantic-settings had, which people may have met
            raise SettingsError(f'error parsing value for field "{name}" from source "EnvSettingsSource"') from exc
        if value is not None:
            values[name] = value
    return values


def _read_config_file(path: Path) -> dict[str, Any]:
    path = path.expanduser()
    if not path.is_file():  # missing, or a folder: no settings from it
        return {}
    import tomllib

    with path.open("rb") as file:
        return tomllib.load(file)


def _by_field_name(values: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """``values`` under the names of their fields, matched whatever their case (of two names that differ only in
    case, the first wins); names of no field are kept as they are."""
    first: dict[str, str] = {}
    for key in values:
        first.setdefault(key.lower(), key)
    names = list(fields)
    named = {name: values[first[name.lower()]] for name in names if name.lower() in first}
    lowered = {name.lower() for name in names}
    named.update({key: value for key, value in values.items() if key.lower() not in lowered})
    return named


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s values on top; where both have a mapping, the two are merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def describe_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for the README and ``--help``."""
    rows = []
    for name, field in _FIELDS.items():
        value = _default(field)
        default = "" if value is None else str(value)
        rows.append((f"ALPACA_DASH_{name.upper()}", default, field.metadata["help"]))
    return rows


def mask_secrets(name: str, value: object) -> str:
    """``value`` as text with its secrets replaced by ``***``: a secret setting whole, passwords and keys in URLs."""
    text = "" if value is None else str(value)
    if _SECRET_NAME.search(name):
        return MASK if text else ""
    text = _URL_PASSWORD.sub(lambda m: f"{m['keep']}:{MASK}@" if m["keep"] else f"{m['s3']}{MASK}@", text)
    return _PARAMETER.sub(lambda m: f"{m['key']}{MASK}", text)


def effective_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """(environment variable, value in effect with secrets masked, help) for every setting, to show to people."""
    rows = []
    for env, _default, help_text in describe_settings():
        name = env.removeprefix("ALPACA_DASH_").lower()
        rows.append((env, mask_secrets(name, getattr(settings, name)), help_text))
    return rows
