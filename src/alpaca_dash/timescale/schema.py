"""The tables, declared once with SQLAlchemy Core. Migrations create them; queries select from them.

The value tables are narrow: a new observable is a row in ``observables``, never DDL. They carry no foreign key to
``runs`` on purpose: a per-row FK check would halve COPY throughput, and ingest replaces a run's rows itself.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run", Integer, primary_key=True, autoincrement=False),
    Column("start_time", DateTime(timezone=True)),
    Column("end_time", DateTime(timezone=True)),
    Column("status", Text, nullable=False),
    Column("ingested_at", DateTime(timezone=True)),
    Column("source", Text, nullable=False, server_default=""),
    Column("comment", Text, nullable=False, server_default=""),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("good", Boolean, nullable=False, server_default=text("true")),
    Column("observable_count", Integer, nullable=False, server_default=text("0")),
    Column("error_count", Integer, nullable=False, server_default=text("0")),
    #: an editor set ``good`` by hand: a run whose checks reach alarm is suspect until then (migration 9)
    Column("reviewed", Boolean, nullable=False, server_default=text("false")),
)

observables = Table(
    "observables",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("path", ARRAY(Text), nullable=False),
    Column("kind", Text, nullable=False),
    Column("dtype", Text, nullable=False),
    Column("shape", ARRAY(Integer), nullable=False),
    Column("unit", Text),
    Column("first_run", Integer, nullable=False),
    #: NULL while the observable is in the newest run, so that a run bringing the same observables writes no row
    Column("last_run", Integer),
    #: every dtype its values have had, and whether a scalar value kept exact bytes: exports need not read them
    Column("dtypes", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("exact", Boolean, nullable=False, server_default=text("false")),
    #: every kind its values have had (migration 11): a run's value lives in the table of its own kind
    Column("kinds", ARRAY(Text), nullable=False, server_default=text("'{}'")),
)

#: ``value`` is float64 for queries; ``exact`` keeps the original bytes only where float64 cannot hold them
#: (int64/uint64 beyond 2**53), so every scalar comes back with its dtype and bytes.
scalars = Table(
    "scalars",
    metadata,
    Column("run", Integer, nullable=False),
    Column("observable_id", Integer, nullable=False),
    Column("value", Double, nullable=False),
    Column("dtype", SmallInteger, nullable=False),
    Column("exact", LargeBinary),
    PrimaryKeyConstraint("observable_id", "run"),
)

arrays1d = Table(
    "arrays1d",
    metadata,
    Column("run", Integer, nullable=False),
    Column("observable_id", Integer, nullable=False),
    Column("dtype", Text, nullable=False),
    Column("shape", ARRAY(BigInteger), nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("observable_id", "run"),
)

array_stats = Table(
    "array_stats",
    metadata,
    Column("run", Integer, nullable=False),
    Column("observable_id", Integer, nullable=False),
    Column("min", Double),
    Column("max", Double),
    Column("mean", Double),
    Column("std", Double),
    Column("sum", Double),
    Column("count", BigInteger, nullable=False),
    Column("nan_count", BigInteger, nullable=False),
    PrimaryKeyConstraint("observable_id", "run"),
)

arrays2d = Table(
    "arrays2d",
    metadata,
    Column("run", Integer, nullable=False),
    Column("observable_id", Integer, nullable=False),
    Column("file", Text, nullable=False),
    Column("column_name", Text, nullable=False),
    Column("dtype", Text, nullable=False),
    Column("shape", ARRAY(BigInteger), nullable=False),
    Column("nbytes", BigInteger, nullable=False),
    Column("checksum", Text, nullable=False),
    PrimaryKeyConstraint("observable_id", "run"),
)

ingest_jobs = Table(
    "ingest_jobs",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("first_run", Integer, nullable=False),
    Column("last_run", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("total", Integer, nullable=False, server_default=text("0")),
    Column("done", Integer, nullable=False, server_default=text("0")),
    Column("failed", Integer, nullable=False, server_default=text("0")),
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    Column("message", Text, nullable=False, server_default=""),
    Column("options", JSONB, nullable=False, server_default=text("'{}'")),
    Column("created_by", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
)

ingest_errors = Table(
    "ingest_errors",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("run", Integer, nullable=False),
    Column("observable", Text, nullable=False, server_default=""),
    Column("message", Text, nullable=False),
    Column("job_id", Integer, ForeignKey("ingest_jobs.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ingest_errors_run", "run"),
)

#: every ingest of a failed run by the follower (migration 13): the file's size and mtime it read, and how it went;
#: a failed run is tried again when its file no longer has the signature of its last attempt
ingest_attempts = Table(
    "ingest_attempts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("run", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("message", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ingest_attempts_run", "run"),
)

#: min, max, sum and count of each observable's finite scalar values per bucket of ``ROLLUP_RUNS`` runs, kept at
#: ingest where TimescaleDB's continuous aggregate is not licensed (migration 5)
scalar_rollup = Table(
    "scalar_rollup",
    metadata,
    Column("observable_id", Integer, nullable=False),
    Column("bucket", Integer, nullable=False),
    Column("min", Double),
    Column("max", Double),
    Column("sum", Double),
    Column("n", Integer, nullable=False),
    PrimaryKeyConstraint("observable_id", "bucket"),
)

#: each tag of each run, kept by a trigger on ``runs`` (migration 7), so a tag filter reads its newest runs by key
run_tags = Table(
    "run_tags",
    metadata,
    Column("tag", Text, nullable=False),
    Column("run", Integer, nullable=False),
    PrimaryKeyConstraint("tag", "run"),
)

#: value tables keyed by (observable_id, run): hypertables on ``run`` under TimescaleDB
VALUE_TABLES = (scalars, arrays1d, array_stats, arrays2d)

# --- users and dashboards (migration 2) ---

users = Table(
    "users",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # made by single sign-on on first sight (not a local account with a password someone chose)
    Column("sso", Boolean, nullable=False, server_default=text("false")),
)

#: failed sign-ins per key (``name:<user name>`` or ``address:<client address>``), for the login throttle
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("blocked_until", DateTime(timezone=True)),
)

dashboards = Table(
    "dashboards",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False),
    Column("visibility", Text, nullable=False, server_default="private"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("spec", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("dashboards_owner", "owner_id"),
)

#: the last few saved versions of every dashboard, restorable
dashboard_versions = Table(
    "dashboard_versions",
    metadata,
    Column("dashboard_id", Integer, ForeignKey("dashboards.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("spec", JSONB, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("dashboard_id", "version"),
)

# --- personal API tokens (migration 8) ---

#: a token is shown once; only its SHA-256 is kept (tokens are 256 random bits: a slow hash would add nothing), with
#: its first characters so that a user can tell tokens apart
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("prefix", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("api_tokens_user", "user_id"),
)

# --- quality checks and their results (migration 9) ---

#: one row per check; ``definition`` is the check's JSON (``quality.checks``), ``observable`` and ``kind`` copied out
#: of it for lookups
quality_checks = Table(
    "quality_checks",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("observable", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("definition", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("quality_checks_observable", "observable"),
)

#: each check's verdict on each run, replaced when the run is judged again
quality_results = Table(
    "quality_results",
    metadata,
    Column("run", Integer, nullable=False),
    Column("check_id", Integer, ForeignKey("quality_checks.id", ondelete="CASCADE"), nullable=False),
    Column("state", Text, nullable=False),
    Column("value", Double),
    Column("p_value", Double),
    Column("reference_run", Integer),
    Column("message", Text, nullable=False, server_default=""),
    Column("evaluated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("run", "check_id"),
    Index("quality_results_check", "check_id", "run"),
)

# --- notifications outbox (migration 10) ---

#: one message per run and contact point, written in the transaction that stores the run's results and delivered
#: after it by the notifier: ``pending`` (due at ``next_attempt_at``), ``sent`` or ``failed`` (given up)
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("run", Integer, nullable=False),
    Column("contact_point", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("alarms", JSONB, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    #: who acknowledged the alarm, and when (migration 12)
    Column("acknowledged_by", Text),
    Column("acknowledged_at", DateTime(timezone=True)),
    Index("notifications_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("notifications_run", "run", "contact_point"),
)

#: a check or an observable muted until a time: its alarms are stored but left out of messages (migration 12)
alarm_silences = Table(
    "alarm_silences",
    metadata,
    Column("id", Integer, Identity(), primary_key=True),
    Column("check_name", Text),
    Column("observable", Text),
    Column("until", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("created_by", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
