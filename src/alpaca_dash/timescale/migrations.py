"""Versioned schema migrations, applied in order under an advisory lock and recorded in ``schema_migrations``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from alpaca_dash.domain import SUPPORTED_DTYPES
from alpaca_dash.timescale import schema, sql_views
from alpaca_dash.timescale.capabilities import Capabilities
from alpaca_dash.timescale.database import driver_connection
from alpaca_dash.timescale.rollup import create_rollup
from alpaca_dash.timescale.schema_version import current_version

log = logging.getLogger(__name__)

#: runs per TimescaleDB chunk of the value tables
CHUNK_RUNS = 1000
#: compress chunks whose runs are this far behind the newest run (Timescale licence only)
COMPRESS_AFTER_RUNS = 5000
MIGRATION_LOCK = 0x414C5041  # "ALPA"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection, Capabilities], None]


def _create_core_tables(conn: Connection, caps: Capabilities) -> None:
    core = [
        schema.runs,
        schema.observables,
        schema.scalars,
        schema.arrays1d,
        schema.array_stats,
        schema.arrays2d,
        schema.ingest_jobs,
        schema.ingest_errors,
    ]
    schema.metadata.create_all(conn, tables=core, checkfirst=False)
    # waveforms are mostly noise: compressing them costs ingest time and saves little
    conn.execute(text("ALTER TABLE arrays1d ALTER COLUMN data SET STORAGE EXTERNAL"))
    for table in schema.VALUE_TABLES:
        if caps.timescale:
            conn.execute(
                text(
                    "SELECT create_hypertable(CAST(:table AS regclass), 'run', "
                    "chunk_time_interval => :chunk, if_not_exists => true, migrate_data => true)"
                ),
                {"table": table.name, "chunk": CHUNK_RUNS},
            )
        else:
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {table.name}_run_brin ON {table.name} USING brin (run)"))
    if caps.timescale_community:
        _enable_compression_and_rollups(conn)


def _enable_compression_and_rollups(conn: Connection) -> None:
    """Compression of old value chunks and a per-1000-run rollup of scalars; only under the Timescale licence."""
    conn.execute(
        text(
            "CREATE OR REPLACE FUNCTION alpaca_newest_run() RETURNS integer LANGUAGE sql STABLE AS "
            "$$ SELECT coalesce(max(run), 0) FROM runs $$"
        )
    )
    for table in (schema.scalars, schema.array_stats):
        conn.execute(
            text("SELECT set_integer_now_func(CAST(:table AS regclass), 'alpaca_newest_run')"),
            {"table": table.name},
        )
        conn.execute(
            text(
                f"ALTER TABLE {table.name} SET (timescaledb.compress, "
                "timescaledb.compress_segmentby = 'observable_id', timescaledb.compress_orderby = 'run')"
            )
        )
        conn.execute(
            text("SELECT add_compression_policy(CAST(:table AS regclass), CAST(:after AS integer))"),
            {"table": table.name, "after": COMPRESS_AFTER_RUNS},
        )
    conn.execute(
        text(
            "CREATE MATERIALIZED VIEW scalar_rollup_1000 WITH (timescaledb.continuous) AS "
            "SELECT observable_id, time_bucket(1000, run) AS bucket, min(value) AS min, max(value) AS max, "
            "avg(value) AS mean, count(*) AS n FROM scalars GROUP BY observable_id, bucket WITH NO DATA"
        )
    )
    conn.execute(
        text(
            "SELECT add_continuous_aggregate_policy('scalar_rollup_1000', start_offset => NULL, "
            "end_offset => 1, schedule_interval => INTERVAL '1 minute')"
        )
    )


def _create_user_tables(conn: Connection, caps: Capabilities) -> None:
    tables = [schema.users, schema.dashboards, schema.dashboard_versions]
    schema.metadata.create_all(conn, tables=tables, checkfirst=False)


def _create_sql_views(conn: Connection, caps: Capabilities) -> None:
    """Views by observable name for Grafana and psql users (documented in docs/sql-views.md)."""
    conn.execute(
        text(
            "CREATE OR REPLACE VIEW scalar_values AS "
            "SELECT s.run, o.name AS observable, s.value, r.start_time, r.end_time, r.good "
            "FROM scalars s JOIN observables o ON o.id = s.observable_id JOIN runs r ON r.run = s.run"
        )
    )
    conn.execute(
        text(
            "CREATE OR REPLACE VIEW array_statistics AS "
            "SELECT a.run, o.name AS observable, o.kind, a.min, a.max, a.mean, a.std, a.sum, a.count, a.nan_count, "
            "r.start_time, r.end_time, r.good "
            "FROM array_stats a JOIN observables o ON o.id = a.observable_id JOIN runs r ON r.run = a.run"
        )
    )
    conn.execute(
        text(
            "CREATE OR REPLACE VIEW observable_tree AS "
            "SELECT name, array_to_string(path, ' / ') AS hierarchy, kind, dtype, shape, unit, first_run, last_run "
            "FROM observables"
        )
    )


def _cover_trends(conn: Connection, caps: Capabilities) -> None:
    """Make a trend an index-only scan: the scalars key carries the value, and bad runs have a tiny index.

    Ingest writes run after run, so one observable's values lie one per heap page all over the table; without the
    value in the key a 100k-run trend touches tens of thousands of pages (bench P3: 272 ms, and 21 ms with it).
    """
    conn.execute(
        text(
            "ALTER TABLE scalars DROP CONSTRAINT scalars_pkey, "
            "ADD CONSTRAINT scalars_pkey PRIMARY KEY (observable_id, run) INCLUDE (value)"
        )
    )
    conn.execute(text("CREATE INDEX IF NOT EXISTS runs_bad ON runs (run) WHERE NOT good"))


def _grafana_views(conn: Connection, caps: Capabilities) -> None:
    """A dtype and a time for every run in the views (the start, else the end, else the ingest time), a ``run_list``
    view for template variables, and indexes for time filters."""
    _add_kinds_column(conn)  # the views read it
    sql_views.create_views(conn)
    sql_views.index_run_times(conn)


def _scale_to_years(conn: Connection, caps: Capabilities) -> None:
    """Indexes and registry columns that keep ingest, the tree, search, exports and the runs table flat at 1e6 runs.

    ``last_run`` NULL means "in the newest run": a run that brings the same observables writes no registry row.
    ``dtypes`` and ``exact`` say what a scalar's values are without reading them (exports).
    """
    conn.execute(
        text(
            "ALTER TABLE observables ADD COLUMN IF NOT EXISTS dtypes text[] NOT NULL DEFAULT '{}', "
            "ADD COLUMN IF NOT EXISTS exact boolean NOT NULL DEFAULT false, ALTER COLUMN last_run DROP NOT NULL"
        )
    )
    for table in ("scalars", "arrays1d", "arrays2d"):
        dtype = "dtype" if table != "scalars" else f"(ARRAY{list(SUPPORTED_DTYPES)!r})[dtype + 1]"
        conn.execute(
            text(
                f"UPDATE observables o SET dtypes = ARRAY(SELECT DISTINCT unnest(o.dtypes || d.dtypes)), "
                f"exact = o.exact OR d.exact FROM (SELECT observable_id, array_agg(DISTINCT {dtype}) AS dtypes, "
                f"bool_or({'exact IS NOT NULL' if table == 'scalars' else 'false'}) AS exact FROM {table} "
                "GROUP BY observable_id) d WHERE d.observable_id = o.id"
            )
        )
    conn.execute(
        text(
            "UPDATE observables SET last_run = NULL "
            "WHERE last_run >= (SELECT max(run) FROM runs WHERE status = 'ingested')"
        )
    )
    conn.execute(text("CREATE INDEX observables_open ON observables (id) WHERE last_run IS NULL"))
    _add_kinds_column(conn)
    sql_views.create_views(conn)  # observable_tree fills in the NULL last runs
    conn.execute(text('CREATE INDEX observables_name_c ON observables (name COLLATE "C")'))
    conn.execute(text("CREATE INDEX runs_tags ON runs USING gin (tags)"))
    conn.execute(text("CREATE INDEX runs_with_errors ON runs (run) WHERE error_count > 0"))
    conn.execute(text("CREATE INDEX runs_not_ingested ON runs (run) WHERE status <> 'ingested'"))
    if has_trigrams(conn):
        conn.execute(text("CREATE INDEX observables_name_trgm ON observables USING gin (name gin_trgm_ops)"))
        conn.execute(text("CREATE INDEX runs_comment_trgm ON runs USING gin (comment gin_trgm_ops)"))
    if not caps.timescale:
        for value_table in schema.VALUE_TABLES:
            conn.execute(text(f"ALTER INDEX {value_table.name}_run_brin SET (autosummarize = on)"))
    if caps.timescale_community:  # real-time: buckets not materialised yet are computed from the values
        conn.execute(text("ALTER MATERIALIZED VIEW scalar_rollup_1000 SET (timescaledb.materialized_only = false)"))
    else:
        create_rollup(driver_connection(conn))


def has_trigrams(conn: Connection) -> bool:
    """Whether pg_trgm is there (created in ``public`` when the server has it and we may): substring search indexes.

    Without it name and comment searches scan their tables: still correct, only slower on large registries.
    """
    if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() is not None:
        return True
    available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar()
    in_public = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).scalar()
    if available is None or in_public is None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except DBAPIError as exc:  # no privilege, or another session created it at the same moment
        log.info("pg_trgm not created (%s); searches will scan", exc.orig)
    return conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() is not None


def _index_run_tags(conn: Connection, caps: Capabilities) -> None:
    """``run_tags`` (tag, run): the newest runs with a tag are one backward range of its key, however rare the tag.

    The GIN index on ``runs.tags`` finds a tag's runs but not in run order, so the planner walks the runs key backwards
    hoping to meet 200 tagged runs soon: 1.5 s at 1e6 runs for a tag no run has. A trigger keeps the table in step with
    every writer of ``runs.tags`` (the runs page, the API, psql).
    """
    conn.execute(text("CREATE TABLE run_tags (tag text NOT NULL, run integer NOT NULL, PRIMARY KEY (tag, run))"))
    conn.execute(text("INSERT INTO run_tags SELECT DISTINCT unnest(tags), run FROM runs"))
    conn.execute(text("ANALYZE run_tags"))  # the planner's first tag filter must know how rare tags are
    conn.execute(
        text(
            "CREATE FUNCTION alpaca_copy_run_tags() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'UPDATE' THEN DELETE FROM run_tags WHERE run = OLD.run AND tag = ANY(OLD.tags); END IF; "
            "INSERT INTO run_tags SELECT DISTINCT t, NEW.run FROM unnest(NEW.tags) AS t ON CONFLICT DO NOTHING; "
            "RETURN NULL; END $$"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER runs_copy_tags AFTER INSERT OR UPDATE OF tags ON runs "
            "FOR EACH ROW EXECUTE FUNCTION alpaca_copy_run_tags()"
        )
    )


def _create_token_table(conn: Connection, caps: Capabilities) -> None:
    schema.metadata.create_all(conn, tables=[schema.api_tokens], checkfirst=False)


def _create_quality_tables(conn: Connection, caps: Capabilities) -> None:
    """Quality checks and their results; ``runs.reviewed`` says an editor set the good flag by hand, so that a run
    whose checks reach alarm is suspect until then."""
    schema.metadata.create_all(conn, tables=[schema.quality_checks, schema.quality_results], checkfirst=False)
    conn.execute(text("ALTER TABLE runs ADD COLUMN IF NOT EXISTS reviewed boolean NOT NULL DEFAULT false"))


def _create_notifications(conn: Connection, caps: Capabilities) -> None:
    schema.metadata.create_all(conn, tables=[schema.notifications], checkfirst=False)


def _add_kinds_column(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE observables ADD COLUMN IF NOT EXISTS kinds text[] NOT NULL DEFAULT '{}'"))


#: the value table of each kind
_KIND_TABLES = (("scalar", "scalars"), ("array1d", "arrays1d"), ("array2d", "arrays2d"))


def _kinds_per_run(conn: Connection, caps: Capabilities) -> None:
    """Every kind an observable's values have had, so that a run whose kind differs from the newest run's is read
    from its own table (the registry kept one kind, and such runs could not be read); failed runs are not good.

    The values already lie in the table of their own kind: only the registry learns of them.
    """
    _add_kinds_column(conn)
    for kind, table in _KIND_TABLES:
        conn.execute(
            text(
                f"UPDATE observables o SET kinds = o.kinds || '{kind}'::text "
                f"WHERE NOT '{kind}' = ANY(o.kinds) AND (o.kind = '{kind}' "
                f"OR EXISTS (SELECT 1 FROM {table} v WHERE v.observable_id = o.id))"
            )
        )
    conn.execute(text("UPDATE runs SET good = false WHERE status <> 'ingested' AND good"))
    sql_views.create_views(conn)


def _create_silences(conn: Connection, caps: Capabilities) -> None:
    """Silences, and who acknowledged a notified alarm."""
    schema.metadata.create_all(conn, tables=[schema.alarm_silences], checkfirst=False)
    conn.execute(
        text(
            "ALTER TABLE notifications ADD COLUMN IF NOT EXISTS acknowledged_by text, "
            "ADD COLUMN IF NOT EXISTS acknowledged_at timestamptz"
        )
    )


def _create_ingest_attempts(conn: Connection, caps: Capabilities) -> None:
    schema.metadata.create_all(conn, tables=[schema.ingest_attempts], checkfirst=False)


def _add_sign_in_guards(conn: Connection, caps: Capabilities) -> None:
    """Accounts made by SSO are marked (so SSO never takes over a local account), and failed sign-ins are counted."""
    conn.execute(text("ALTER TABLE users ADD COLUMN IF NOT EXISTS sso boolean NOT NULL DEFAULT false"))
    schema.metadata.create_all(conn, tables=[schema.login_failures], checkfirst=False)


MIGRATIONS: list[Migration] = [
    Migration(1, "runs, observables, value tables, ingest jobs and errors", _create_core_tables),
    Migration(2, "users, dashboards and dashboard versions", _create_user_tables),
    Migration(3, "SQL views by observable name for Grafana and psql", _create_sql_views),
    Migration(4, "covering key for scalar trends, index of bad runs", _cover_trends),
    Migration(5, "views with dtype and run time, run_list view, indexes on run times", _grafana_views),
    Migration(6, "flat at years of runs: open registry rows, search and filter indexes, rollup", _scale_to_years),
    Migration(7, "run_tags: the newest runs of a tag by key", _index_run_tags),
    Migration(8, "personal API tokens, stored hashed", _create_token_table),
    Migration(9, "quality checks and their results per run", _create_quality_tables),
    Migration(10, "notifications outbox: one message per run and contact point", _create_notifications),
    Migration(11, "every kind of each observable in the registry; failed runs are not good", _kinds_per_run),
    Migration(12, "alarm silences and acknowledgements", _create_silences),
    Migration(13, "ingest attempts of failed runs, with their file's size and mtime", _create_ingest_attempts),
    Migration(14, "accounts made by SSO, failed sign-ins for the login throttle", _add_sign_in_guards),
]


def migrate(conn: Connection, caps: Capabilities, *, target: int | None = None) -> list[Migration]:
    """Apply every pending migration up to ``target`` (default: the newest) in this transaction.

    :returns: the migrations applied, oldest first.
    """
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
    )
    done = current_version(driver_connection(conn))
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= done or (target is not None and migration.version > target):
            continue
        log.info("applying migration %d: %s", migration.version, migration.name)
        migration.apply(conn, caps)
        conn.execute(
            text("INSERT INTO schema_migrations (version, name) VALUES (:v, :n)"),
            {"v": migration.version, "n": migration.name},
        )
        applied.append(migration)
    return applied


def newest_version() -> int:
    """The version of the newest migration: :data:`~alpaca_dash.timescale.schema_version.SCHEMA_VERSION`."""
    return MIGRATIONS[-1].version
