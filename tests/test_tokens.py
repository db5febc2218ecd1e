"""Personal API tokens in the database and on the command line: hashed, shown once, refused once revoked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from alpaca_dash.cli import app
from alpaca_dash.config import Settings
from alpaca_dash.queries import tokens
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.tokens import TokenError, authenticate_token, create_token, list_tokens, revoke_token
from alpaca_dash.queries.users import Role, create_user, set_disabled
from alpaca_dash.timescale.database import Database

PASSWORD = "correct horse battery"


@pytest.fixture
def access(db: Database, tmp_path: Path) -> DataAccess:
    from alpaca_dash.parquet_cache.store import ParquetStore

    return DataAccess(db, ParquetStore(tmp_path / "parquet"), Settings(database_url=db.url, data_dir=tmp_path))


def every_stored_text(access: DataAccess) -> str:
    with access.db.begin() as conn:
        return " ".join(str(row) for row in conn.execute(text("SELECT t::text FROM api_tokens t")).scalars())


def test_a_token_is_stored_hashed_and_acts_for_its_user_until_revoked(access: DataAccess) -> None:
    victor = create_user(access, "victor", PASSWORD, Role.VIEWER)
    record, token = create_token(access, victor.id, "  nightly export ")
    assert token.startswith("adt_") and len(token) == 47 and record.name == "nightly export"
    assert token not in every_stored_text(access) and token[:10] in every_stored_text(access)
    assert record.prefix == token[:10] and record.last_used_at is None
    found = authenticate_token(access, token)
    assert found is not None and found.id == victor.id and found.role is Role.VIEWER
    (listed,) = list_tokens(access, victor.id)
    assert listed.last_used_at is not None
    assert authenticate_token(access, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert authenticate_token(access, "not-a-token") is None
    revoked = revoke_token(access, victor.id, record.id)
    assert revoked.revoked_at is not None and not revoked.is_active()
    assert authenticate_token(access, token) is None
    assert list_tokens(access, victor.id) == [] and len(list_tokens(access, victor.id, include_revoked=True)) == 1


def test_expired_tokens_and_disabled_accounts_are_refused(access: DataAccess) -> None:
    alice = create_user(access, "alice", PASSWORD, Role.EDITOR)
    expiring, first = create_token(access, alice.id, "short", days=1)
    _, second = create_token(access, alice.id, "long")
    with access.db.begin() as conn:
        conn.execute(
            text("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = :id"), {"id": expiring.id}
        )
    assert authenticate_token(access, first) is None
    assert authenticate_token(access, second) is not None
    set_disabled(access, "alice", True)
    assert authenticate_token(access, second) is None
    set_disabled(access, "alice", False)
    assert authenticate_token(access, second) is not None


def test_tokens_are_per_user_and_bounded(access: DataAccess) -> None:
    alice = create_user(access, "alice", PASSWORD, Role.EDITOR)
    bob = create_user(access, "bob", PASSWORD, Role.EDITOR)
    record, _ = create_token(access, alice.id, "mine")
    with pytest.raises(TokenError, match="no token"):
        revoke_token(access, bob.id, record.id)
    for bad_name in ("", "   ", "x" * 65):
        with pytest.raises(TokenError, match="name the token"):
            create_token(access, alice.id, bad_name)
    for bad_days in (0, -1, 4000):
        with pytest.raises(TokenError, match="1 to 3650 days"):
            create_token(access, alice.id, "t", days=bad_days)
    for number in range(tokens.MAX_ACTIVE_TOKENS - 1):
        create_token(access, alice.id, f"t{number}")
    with pytest.raises(TokenError, match="20 active tokens"):
        create_token(access, alice.id, "one too many")
    assert len(list_tokens(access, alice.id)) == tokens.MAX_ACTIVE_TOKENS


@pytest.fixture
def cli_env(access: DataAccess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DataAccess:
    for name in list(os.environ):
        if name.startswith("ALPACA_DASH_") and not name.startswith("ALPACA_DASH_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALPACA_DASH_DATABASE_URL", access.db.url)
    monkeypatch.setenv("ALPACA_DASH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALPACA_DASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("COLUMNS", "300")
    return access


def test_the_tokens_commands_create_list_and_revoke(cli_env: DataAccess) -> None:
    victor = create_user(cli_env, "victor", PASSWORD, Role.VIEWER)
    runner = CliRunner()
    made = runner.invoke(app, ["tokens", "create", "victor", "--name", "grafana-sync", "--days", "30"])
    assert made.exit_code == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("adt_") and "\n" not in token  # stdout is the token alone, for `$(...)` in scripts
    assert "not shown again" in made.stderr
    found = authenticate_token(cli_env, token)
    assert found is not None and found.id == victor.id
    listed = runner.invoke(app, ["tokens", "list", "victor"])
    assert listed.exit_code == 0 and "grafana-sync" in listed.stdout and token[:10] in listed.stdout
    assert token not in listed.stdout
    (record,) = list_tokens(cli_env, victor.id)
    gone = runner.invoke(app, ["tokens", "revoke", "victor", str(record.id)])
    assert gone.exit_code == 0 and f"revoked token {record.id}" in gone.stdout
    assert authenticate_token(cli_env, token) is None
    assert "grafana-sync" not in runner.invoke(app, ["tokens", "list", "victor"]).stdout
    assert "revoked" in runner.invoke(app, ["tokens", "list", "victor", "--revoked"]).stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["tokens", "create", "nobody", "--name", "x"], "no user named 'nobody'"),
        (["tokens", "create", "victor", "--name", ""], "name the token"),
        (["tokens", "create", "victor", "--name", "x", "--days", "0"], "1 to 3650 days"),
        (["tokens", "revoke", "victor", "999"], "victor has no token 999"),
        (["tokens", "list", "nobody"], "no user named"),
    ],
)
def test_bad_tokens_commands_are_one_line(cli_env: DataAccess, args: list[str], fragment: str) -> None:
    create_user(cli_env, "victor", PASSWORD, Role.VIEWER)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr


def test_a_disabled_account_gets_no_new_token(cli_env: DataAccess) -> None:
    create_user(cli_env, "victor", PASSWORD, Role.VIEWER)
    set_disabled(cli_env, "victor", True)
    result = CliRunner().invoke(app, ["tokens", "create", "victor", "--name", "x"])
    assert result.exit_code == 1 and "disabled" in result.stderr
