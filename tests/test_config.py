"""Settings shown to people (``alpaca-dash config``, the admin page): values in effect, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpaca_dash.config import Settings, effective_settings, mask_secrets


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
    assert set(rows) == {f"ALPACA_DASH_{name.upper()}" for name in Settings.model_fields}
    assert rows["ALPACA_DASH_STORAGE_SECRET"][0] == "***"
    assert rows["ALPACA_DASH_MAX_RANGE"][0] == "77"
    assert rows["ALPACA_DASH_DATA_DIR"][0] == str(tmp_path)
    assert all(help_text for _value, help_text in rows.values())
