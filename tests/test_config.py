"""Settings read from their sources, and shown to people (``alpaca-dash config``, the admin page): values in effect,
secrets masked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from alpaca_dash.config import BadSetting, Settings, SettingsError, effective_settings, mask_secrets


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("storage_secret", "abc", "***"),
        ("storage_secret", "", ""),
        ("database_url", "postgresql://u:p%40ss@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("database_url", "postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        (
            "database_url",
            "postgresql://u@h:5432/db?options=-csearch_path%3Dx",
            "postgresql://u@h:5432/db?options=-csearch_path%3Dx",
        ),
        ("database_url", "host=h user=u password=hunter2 dbname=d", "host=h user=u password=*** dbname=d"),
        ("database_url", "host=h password='a b\\' c' dbname=d", "host=h password=*** dbname=d"),
        (
            "database_url",
            "postgresql://h/db?sslmode=require&password=pw",
            "postgresql://h/db?sslmode=require&password=***",
        ),
        ("redis_url", "redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("parquet_s3_uri", "s3://AKIA:secret@bucket/p", "s3://***@bucket/p"),
        ("parquet_s3_uri", "s3://bucket/p?access_key=AKIA&secret_key=s", "s3://bucket/p?access_key=***&secret_key=***"),
        ("parquet_s3_uri", "s3://bucket/prefix", "s3://bucket/prefix"),
        ("parquet_s3_endpoint", "http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("source_path", None, ""),
    ],
)
def test_secrets_are_masked(name: str, value: object, shown: str) -> None:
    assert mask_secrets(name, value) == shown


def test_every_setting_is_shown_with_its_value(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, storage_secret="s3cret", max_range=77)
    rows = {env: (value, help_text) for env, value, help_text in effective_settings(settings)}
    assert set(rows) == {f"ALPACA_DASH_{name.upper()}" for name in Settings.__dataclass_fields__}
    assert rows["ALPACA_DASH_STORAGE_SECRET"][0] == "***"
    assert rows["ALPACA_DASH_MAX_RANGE"][0] == "77"
    assert rows["ALPACA_DASH_DATA_DIR"][0] == str(tmp_path)
    assert all(help_text for _value, help_text in rows.values())


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``ALPACA_DASH_*`` variables but the tests' own; the config file ``tmp_path/alpaca-dash.toml``, not yet
    written."""
    for name in list(os.environ):
        if name.upper().startswith("ALPACA_DASH_") and not name.startswith("ALPACA_DASH_TEST_"):
            monkeypatch.delenv(name)
    config = tmp_path / "alpaca-dash.toml"
    monkeypatch.setenv("ALPACA_DASH_CONFIG", str(config))
    return config


def test_each_source_wins_over_the_next(clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.write_text("port = 1\nhost = 'toml'\nlog_level = 'debug'\nmax_range = 4\n")
    (tmp_path / "port").write_text("2\n")
    (tmp_path / "host").write_text("file\n")
    monkeypatch.setenv("ALPACA_DASH_PORT_FILE", str(tmp_path / "port"))
    monkeypatch.setenv("ALPACA_DASH_HOST_FILE", str(tmp_path / "host"))
    monkeypatch.setenv("ALPACA_DASH_HOST", "env")
    monkeypatch.setenv("ALPACA_DASH_MAX_RANGE", "5")
    settings = Settings(max_range=6)
    assert (settings.max_range, settings.host, settings.port, settings.log_level) == (6, "env", 2, "DEBUG")
    assert settings.follow_interval == 2.0
    assert settings.given == {"max_range", "host", "port", "log_level"}


def test_variables_are_parsed_as_pydantic_settings_did(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "alpaca_dash_port": "9_000",  # the name in any case
        "ALPACA_DASH_PRODUCTION": "on",
        "ALPACA_DASH_FOLLOW_INTERVAL": "1e1",
        "ALPACA_DASH_SOURCE_PATH": "runs",
        "ALPACA_DASH_ALPACA_KNOWN_BAD_RUNS": "[3, 5]",
        "ALPACA_DASH_TRUSTED_PROXIES": "null",  # JSON null: not set
        "ALPACA_DASH_SSO_GROUP_ROLES": '{"ops": "admin"}',
        "ALPACA_DASH_NO_SUCH_SETTING": "1",  # ignored, as it always was
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert (settings.port, settings.production, settings.follow_interval) == (9000, True, 10.0)
    assert settings.source_path == Path("runs")
    assert settings.alpaca_known_bad_runs == [3, 5]
    assert settings.trusted_proxies == []
    assert settings.sso_group_roles == {"ops": "admin"}


def test_a_list_variable_that_is_not_json_is_a_settings_error(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_DASH_TRUSTED_PROXIES", "10.0.0.0/8")
    with pytest.raises(SettingsError, match='field "trusted_proxies"') as raised:
        Settings()
    assert isinstance(raised.value.__cause__, json.JSONDecodeError)


def test_the_config_file_names_fields_in_any_case_and_only_fields(clean_env: Path) -> None:
    clean_env.write_text("PORT = 9001\n[sso_group_roles]\nops = 'editor'\n")
    assert Settings().port == 9001
    clean_env.write_text("prot = 9001\n")
    with pytest.raises(BadSetting, match="prot: Extra inputs are not permitted"):
        Settings()


def test_mappings_from_two_sources_are_merged(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As pydantic-settings merged them: even an empty mapping given to ``Settings`` keeps the environment's keys."""
    clean_env.write_text("[sso_group_roles]\nops = 'editor'\ndev = 'viewer'\n")
    monkeypatch.setenv("ALPACA_DASH_SSO_GROUP_ROLES", '{"ops": "admin"}')
    assert Settings().sso_group_roles == {"ops": "admin", "dev": "viewer"}
    assert Settings(sso_group_roles={}).sso_group_roles == {"ops": "admin", "dev": "viewer"}


@pytest.mark.parametrize(
    ("variable", "text", "value"),
    [
        ("PORT", " 80 ", 80),
        ("PORT", "8.0", 8),
        ("PRODUCTION", "Yes", True),
        ("PRODUCTION", "f", False),
        ("FOLLOW_INTERVAL", "inf", float("inf")),
        ("SOURCE_PATH", "", Path(".")),
        ("SSO_DEFAULT_ROLE", "admin", "admin"),
        ("ALPACA_KNOWN_BAD_RUNS", '["3", 4]', [3, 4]),
        ("LOG_LEVEL", "debug", "DEBUG"),
    ],
)
def test_variables_are_converted_to_their_settings_types(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, variable: str, text: str, value: object
) -> None:
    monkeypatch.setenv(f"ALPACA_DASH_{variable}", text)
    assert getattr(Settings(), variable.lower()) == value


@pytest.mark.parametrize(
    ("variable", "text", "message"),
    [
        ("PORT", "1e3", "port: Input should be a valid integer, unable to parse string as an integer"),
        ("PORT", "0", "port: Input should be greater than or equal to 1"),
        ("PORT", "70000", "port: Input should be less than or equal to 65535"),
        ("FOLLOW_INTERVAL", "nan", "follow_interval: Input should be greater than 0"),
        ("PRODUCTION", "2", "production: Input should be a valid boolean, unable to interpret input"),
        ("TIMESCALE", "OFF", "timescale: Input should be 'auto', 'off' or 'required'"),
        ("SSO_DEFAULT_ROLE", "root", "sso_default_role: Input should be 'viewer', 'editor' or 'admin'"),
        ("ALPACA_KNOWN_BAD_RUNS", '[3, "x"]', "alpaca_known_bad_runs.1: Input should be a valid integer"),
        ("SSO_GROUP_ROLES", "[]", "sso_group_roles: Input should be a valid dictionary"),
        ("REDIS_URL", "localhost:6379", "redis_url: expected redis://"),
    ],
)
def test_a_bad_value_names_its_setting_and_why(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, variable: str, text: str, message: str
) -> None:
    monkeypatch.setenv(f"ALPACA_DASH_{variable}", text)
    with pytest.raises(BadSetting) as raised:
        Settings()
    assert str(raised.value).startswith(message)


def test_a_replaced_setting_is_checked_and_counts_as_given(clean_env: Path) -> None:
    settings = Settings(host="a")
    moved = settings.replace(port="9001")
    assert (moved.port, moved.host, settings.port) == (9001, "a", 8080)
    assert moved.given == {"host", "port"}
    with pytest.raises(BadSetting, match="port: Input should be less than or equal to 65535"):
        settings.replace(port=70000)
    with pytest.raises(BadSetting, match="prot: Extra inputs are not permitted"):
        settings.replace(prot=1)
