"""Where the warehouse lives: a DuckDB file (the default) or a PostgreSQL database, behind one seam.

`target()` picks one from the environment: ``PITWALL_TARGET`` (``duckdb`` or ``postgres``), then
``PITWALL_WAREHOUSE`` (the DuckDB file) or the PostgreSQL URL (``PITWALL_POSTGRES_URL``, else the
local server of ``pitwall db start``). Everything that differs between the two for the Python side
is here: the run lock, how ingestion writes, how dbt is pointed at it, how the CLI queries it, how
the build record is written, how readers get the refresh. The SQL of the dbt models differs only in
dbt_project/macros/cross_db.sql.

Ingestion always parses with DuckDB. On DuckDB it works inside the warehouse file itself; on
PostgreSQL it works in an in-memory DuckDB holding a copy of the manifest and empty raw tables, and
`PostgresTarget.write_ingestion` then moves the run's rows and the manifest to PostgreSQL in one
transaction (COPY), deleting first the rows of the files read again. No Dagster import here.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb

from . import settings
from .runlock import WarehouseBusy, warehouse_lock
from .sql import quote_ident, relation, table_columns


class QueryError(RuntimeError):
    """A statement the warehouse refused (either engine's error, with its message)."""


Reader = Callable[[str], tuple[list[str], list[tuple]]]


# Readers' connections: no file access from SQL (COPY TO, read_csv, ATTACH), no extension
# downloads, and no SET to undo either.
READ_ONLY_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


class _Queries:
    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        """(columns, rows) of `sql`, on a read-only connection of its own."""
        with self.reader() as read:
            return read(sql)


class DuckDBTarget(_Queries):
    """The warehouse as one DuckDB file."""

    name = "duckdb"
    dbt_target = "dev"

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(os.path.abspath(os.fspath(path)))

    def __str__(self) -> str:
        return str(self.path)

    # Where the orchestration keeps the record of the last build (build_state.py).
    state_schema = "meta"

    def exists(self) -> bool:
        return self.path.exists()

    def dbt_schema(self, schema: str) -> str:
        """The schema dbt builds `schema`'s models in (macros/generate_schema_name.sql)."""
        return schema

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """A read-only connection for the time of the block: `read(sql) -> (columns, rows)`."""
        try:
            con = duckdb.connect(str(self.path), read_only=True, config=READ_ONLY_CONFIG)
        except duckdb.Error as exc:
            raise QueryError(str(exc)) from exc

        def read(sql: str) -> tuple[list[str], list[tuple]]:
            try:
                cursor = con.execute(sql)
                return [d[0] for d in cursor.description or []], cursor.fetchall()
            except duckdb.Error as exc:
                raise QueryError(str(exc)) from exc

        try:
            yield read
        finally:
            con.close()

    def execute(self, statements: Sequence[str]) -> None:
        """The statements in one transaction."""
        con = duckdb.connect(str(self.path))
        try:
            con.execute("BEGIN TRANSACTION")
            for statement in statements:
                con.execute(statement)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            raise QueryError(str(exc)) from exc
        finally:
            con.close()

    @property
    def scratch_dir(self) -> Path:
        """Where ingestion's group streams go: beside the warehouse, on the same disk."""
        return self.path.parent

    def lock(self, what: str):
        return warehouse_lock(self.path, what)

    def open_ingestion(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.path))

    def prepare_ingestion(self, con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
        """The manifest and the raw tables are the file's own: nothing to bring in."""

    def write_ingestion(self, con: duckdb.DuckDBPyConnection, tables: Sequence[str], replaced: list[str]) -> None:
        """The run wrote into the file itself: its transaction's commit is the write."""

    def row_counts(self, con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict[str, int]:
        return {t: con.execute(f"SELECT count(*) FROM raw.{quote_ident(t)}").fetchone()[0] for t in tables}

    def dbt_env(self) -> dict[str, str]:
        return {settings.WAREHOUSE_ENV: str(self.path)}

    def publish(self, run_id: str = "", descriptions=None):
        """The readers' copy: a DuckDB file and Parquet files in <warehouse dir>/published/ (publish/)."""
        from ..publish import publish

        return publish(self.path, settings.published_dir(self.path), run_id=run_id, descriptions=descriptions)

    def published_at(self) -> datetime:
        """When readers last got a refresh (the published copy's time; the epoch when there is none)."""
        copy = settings.published_warehouse_path(self.path)
        if not copy.exists():
            return datetime.fromtimestamp(0, UTC)
        return datetime.fromtimestamp(copy.stat().st_mtime, UTC)


class PostgresTarget(_Queries):
    """The warehouse as a PostgreSQL database (``postgresql://`` URL of a role that may write)."""

    name = "postgres"
    dbt_target = "postgres"

    def __init__(self, url: str):
        self.url = url
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"not a postgresql:// URL: {self}")
        self._parts = parts

    def __str__(self) -> str:
        """The URL without its password (for messages and logs)."""
        p = self._parts
        user = f"{p.username}@" if p.username else ""
        return f"postgresql://{user}{p.hostname or ''}{f':{p.port}' if p.port else ''}{p.path}"

    @property
    def scratch_dir(self) -> Path:
        return Path(tempfile.gettempdir())

    # Readers see `marts` and `meta` (the publication's); what the pipeline keeps for itself is
    # in build_* schemas: dbt's models (profiles.yml: schema `build`) and the build record.
    state_schema = "build_meta"

    def exists(self) -> bool:
        return True

    def dbt_schema(self, schema: str) -> str:
        return f"build_{schema}"

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        import psycopg2

        try:
            conn = self.connect("pitwall: read")
        except psycopg2.Error as exc:
            raise QueryError(str(exc).strip()) from exc
        conn.set_session(readonly=True, autocommit=True)

        def read(sql: str) -> tuple[list[str], list[tuple]]:
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    if cur.description is None:
                        return [], []
                    return [d[0] for d in cur.description], cur.fetchall()
            except psycopg2.Error as exc:
                raise QueryError(str(exc).strip()) from exc

        try:
            yield read
        finally:
            conn.close()

    def execute(self, statements: Sequence[str]) -> None:
        import psycopg2

        conn = self.connect("pitwall: build record")
        try:
            with conn, conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        except psycopg2.Error as exc:
            raise QueryError(str(exc).strip()) from exc
        finally:
            conn.close()

    def connect(self, application: str = "pitwall"):
        import psycopg2

        return psycopg2.connect(self.url, application_name=application[:63])

    # ------------------------------------------------------------------------------------ run lock

    @contextmanager
    def lock(self, what: str) -> Iterator[None]:
        """One writer at a time, across machines: a session advisory lock on the server, held by a
        connection kept open for the run (the server releases it when the connection ends, however
        the process ends). Re-entrant within a process, like the DuckDB file's lock."""
        with _pg_guard:
            held = _pg_held.get(self.url)
            if held:
                held[1] += 1
            else:
                conn = self.connect(f"pitwall: {what} (pid {os.getpid()})")
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
                    if not cur.fetchone()[0]:
                        cur.execute(
                            "SELECT a.application_name, a.backend_start FROM pg_locks l "
                            "JOIN pg_stat_activity a USING (pid) "
                            "WHERE l.locktype = 'advisory' AND l.objid = %s AND l.granted",
                            [ADVISORY_KEY],
                        )
                        holder = cur.fetchone()
                        conn.close()
                        who = holder[0] if holder else "another run"
                        raise WarehouseBusy(
                            f"{what} did not start: the warehouse {self} is being written by {who}. Nothing was "
                            "changed; run it again when that one has finished.",
                            {"what": who},
                        )
                _pg_held[self.url] = [conn, 1]
        try:
            yield
        finally:
            with _pg_guard:
                held = _pg_held[self.url]
                held[1] -= 1
                if not held[1]:
                    del _pg_held[self.url]
                    held[0].close()

    # ----------------------------------------------------------------------------------- ingestion

    def open_ingestion(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(":memory:")

    def prepare_ingestion(self, con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
        """Give the in-memory DuckDB (its raw schema just made) what the run decides from: the
        columns PostgreSQL's raw tables have beyond the kinds' own, and the whole manifest."""
        conn = self.connect("pitwall: ingestion")
        try:
            with conn.cursor() as cur:
                pg_columns = _pg_columns(cur, "raw")
                for table in tables:
                    mine = {c for c, _ in table_columns(con, "raw", table)}
                    for column in pg_columns.get(table, []):
                        if column not in mine:
                            added = f"{relation('raw', table)} ADD COLUMN {quote_ident(column)} VARCHAR"
                            con.execute(f"ALTER TABLE {added}")
                if "ingested_files" in pg_columns:
                    with tempfile.NamedTemporaryFile(suffix=".csv") as fh:
                        columns = [c for c, _ in table_columns(con, "raw", "ingested_files")]
                        cur.copy_expert(
                            f"COPY raw.ingested_files ({', '.join(map(quote_ident, columns))}) TO STDOUT "
                            "WITH (FORMAT csv, HEADER true)",
                            fh,
                        )
                        fh.flush()
                        con.execute(
                            "INSERT INTO raw.ingested_files SELECT * FROM read_csv($f, header = true, "
                            "auto_detect = false, columns = $c, allow_quoted_nulls = false)",
                            {"f": fh.name, "c": dict(table_columns(con, "raw", "ingested_files"))},
                        )
        finally:
            conn.close()

    def write_ingestion(self, con: duckdb.DuckDBPyConnection, tables: Sequence[str], replaced: list[str]) -> None:
        """In one PostgreSQL transaction: the raw tables made or widened to the run's columns, the rows
        of `replaced` files deleted, the run's rows copied in, the manifest replaced by the run's."""
        conn = self.connect("pitwall: ingestion")
        try:
            with conn, conn.cursor() as cur, tempfile.TemporaryDirectory() as scratch:
                cur.execute("CREATE SCHEMA IF NOT EXISTS raw")
                pg_columns = _pg_columns(cur, "raw")
                for table in [*tables, "ingested_files"]:
                    columns = table_columns(con, "raw", table)
                    if table not in pg_columns:
                        spec = ", ".join(f"{quote_ident(c)} {_PG_TYPES.get(t, 'text')}" for c, t in columns)
                        cur.execute(f"CREATE TABLE raw.{quote_ident(table)} ({spec})")
                    else:
                        for column, type_ in columns:
                            if column not in pg_columns[table]:
                                cur.execute(
                                    f"ALTER TABLE raw.{quote_ident(table)} ADD COLUMN {quote_ident(column)} "
                                    f"{_PG_TYPES.get(type_, 'text')}"
                                )
                    if table == "ingested_files":
                        cur.execute("TRUNCATE raw.ingested_files")
                    elif replaced:
                        cur.execute(f"DELETE FROM raw.{quote_ident(table)} WHERE _file_path = ANY(%s)", [replaced])
                    if not con.execute(f"SELECT count(*) FROM raw.{quote_ident(table)}").fetchone()[0]:
                        continue
                    path = Path(scratch) / f"{table}.csv"
                    con.execute(f"COPY raw.{quote_ident(table)} TO '{path}' (HEADER, FORMAT csv)")
                    names = ", ".join(quote_ident(c) for c, _ in columns)
                    with open(path, "rb") as fh:
                        copy = f"COPY raw.{quote_ident(table)} ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)"
                        cur.copy_expert(copy, fh)
                    # Fresh statistics: without them the planner nested-loops over the raw tables.
                    cur.execute(f"ANALYZE raw.{quote_ident(table)}")
        finally:
            conn.close()

    def published_at(self) -> datetime:
        """When readers last got a refresh (meta.publication; the epoch when there is none)."""
        try:
            _, rows = self.query("SELECT max(published_at_utc) FROM meta.publication")
        except QueryError:
            rows = [[None]]
        return rows[0][0].replace(tzinfo=UTC) if rows[0][0] else datetime.fromtimestamp(0, UTC)

    def row_counts(self, con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict[str, int]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                existing = _pg_columns(cur, "raw")
                counts = {}
                for table in tables:
                    if table in existing:
                        cur.execute(f"SELECT count(*) FROM raw.{quote_ident(table)}")
                        counts[table] = cur.fetchone()[0]
                return counts
        finally:
            conn.close()

    # --------------------------------------------------------------------------------- publication

    def publish(self, run_id: str = "", descriptions=None) -> PostgresPublication:
        """Make the build readers' in one step: copy dbt's `build_marts` and the manifest into new
        schemas (`marts_next`, `meta_next`, invisible to readers), grant the reader role, then in one
        short transaction swap them with `marts` and `meta`. A reader's query sees the refresh
        before or after, whole; a run killed before the swap leaves the published schemas as they
        were (its leftovers are dropped by the next one)."""
        started = time.perf_counter()
        reader = os.environ.get("PITWALL_POSTGRES_READER_ROLE", "pitwall_reader")
        conn = self.connect(f"pitwall: publication {run_id[:8]}")
        try:
            with conn, conn.cursor() as cur:
                cur.execute("DROP SCHEMA IF EXISTS marts_next CASCADE; DROP SCHEMA IF EXISTS meta_next CASCADE")
                cur.execute("CREATE SCHEMA marts_next; CREATE SCHEMA meta_next")
                cur.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
                    [BUILD_MARTS],
                )
                tables = [r[0] for r in cur.fetchall()]
                if not tables:
                    raise RuntimeError(f"nothing to publish: no table in {BUILD_MARTS} of {self} (run dbt build first)")
                copies = []
                for table in tables:
                    cur.execute(f"CREATE TABLE {relation('marts_next', table)} AS TABLE {relation(BUILD_MARTS, table)}")
                    copies.append(("marts", table, cur.rowcount))
                cur.execute("CREATE TABLE meta_next.ingested_files AS TABLE raw.ingested_files")
                copies.append(("meta", "ingested_files", cur.rowcount))
                published_at = datetime.now(UTC).replace(tzinfo=None)
                cur.execute(
                    "CREATE TABLE meta_next.publication (table_schema text, table_name text, row_count bigint, "
                    "published_at_utc timestamp, run_id text, storage_version text)"
                )
                cur.executemany(
                    "INSERT INTO meta_next.publication VALUES (%s, %s, %s, %s, %s, %s)",
                    [(schema, table, rows, published_at, run_id, "postgres") for schema, table, rows in copies],
                )
                for (schema, table), (text, columns) in (descriptions or {}).items():
                    schema = "meta" if schema == "raw" else schema  # the manifest is published in meta
                    if (schema, table) in {(s, t) for s, t, _ in copies}:
                        cur.execute(f"COMMENT ON TABLE {schema}_next.{quote_ident(table)} IS %s", [text])
                        for column, comment in columns.items():
                            cur.execute(
                                f"COMMENT ON COLUMN {relation(schema + '_next', table, column)} IS %s", [comment]
                            )
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [reader])
                if cur.fetchone():
                    for schema in ("marts_next", "meta_next"):
                        cur.execute(
                            f"GRANT USAGE ON SCHEMA {schema} TO {quote_ident(reader)}; "
                            f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {quote_ident(reader)}"
                        )
            with conn, conn.cursor() as cur:
                cur.execute(
                    "DROP SCHEMA IF EXISTS marts CASCADE; DROP SCHEMA IF EXISTS meta CASCADE; "
                    "ALTER SCHEMA marts_next RENAME TO marts; ALTER SCHEMA meta_next RENAME TO meta"
                )
        finally:
            conn.close()
        return PostgresPublication(tuple(copies), published_at, run_id, time.perf_counter() - started)

    # ------------------------------------------------------------------------------------- queries

    def dbt_env(self) -> dict[str, str]:
        """profiles.yml's `postgres` output reads these; libpq reads PGOPTIONS. The models' chains of
        CTEs and views leave the planner with estimates of one row where there are thousands, and it
        then nests loops over whole views (a test of int_endurance_checkpoints_scored on the IMSA
        archive: over 6 minutes, 2 s without nested loops): dbt's sessions plan without them."""
        p = self._parts
        options = " ".join(filter(None, [os.environ.get("PGOPTIONS", ""), "-c enable_nestloop=off"]))
        return {
            "PGOPTIONS": options,
            "PITWALL_PG_HOST": p.hostname or "127.0.0.1",
            "PITWALL_PG_PORT": str(p.port or 5432),
            "PITWALL_PG_USER": unquote(p.username or ""),
            "PITWALL_PG_PASSWORD": unquote(p.password or ""),
            "PITWALL_PG_DATABASE": p.path.lstrip("/") or "postgres",
        }


# dbt's marts on PostgreSQL (profiles.yml: schema `build`; macros/generate_schema_name.sql).
BUILD_MARTS = "build_marts"


@dataclass(frozen=True)
class PostgresPublication:
    tables: tuple[tuple[str, str, int], ...]  # (schema, table, rows) as readers now see them
    published_at: datetime
    run_id: str
    seconds: float


# The run lock's key (pg_try_advisory_lock): any constant of our own; one warehouse per database.
ADVISORY_KEY = 0x7069_7477  # "pitw"
_pg_guard = threading.Lock()
_pg_held: dict[str, list] = {}  # URL -> [the connection holding the lock, depth]

# DuckDB column types of the raw schema -> PostgreSQL's.
_PG_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "TIMESTAMP": "timestamp",
    "DOUBLE": "double precision",
}


def _pg_columns(cur, schema: str) -> dict[str, list[str]]:
    cur.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
        "ORDER BY table_name, ordinal_position",
        [schema],
    )
    columns: dict[str, list[str]] = {}
    for table, column in cur.fetchall():
        columns.setdefault(table, []).append(column)
    return columns


Target = DuckDBTarget | PostgresTarget


def target(name: str | None = None, warehouse: str | os.PathLike[str] | None = None, reader: bool = False) -> Target:
    """The warehouse to work on: `name` (else PITWALL_TARGET, else duckdb); for DuckDB `warehouse`
    (else PITWALL_WAREHOUSE, else the default file); for PostgreSQL PITWALL_POSTGRES_URL, else the
    local server of `pitwall db start` (`reader`: as the read-only role)."""
    if settings.target_name(name) == "duckdb":
        return DuckDBTarget(warehouse or settings.warehouse_path())
    from . import postgres

    return PostgresTarget(postgres.url(postgres.local_server(), reader=reader))


def identity() -> str:
    """The warehouse the environment names, as a short stable text (no password): a run tag."""
    from .postgres import PostgresError

    try:
        return str(target())[-200:]  # Dagster tag values are limited in length
    except PostgresError:  # no local server yet: the runs then fail on it, one at a time
        return "postgres"


def as_target(warehouse) -> Target:
    """A target given as itself or as a DuckDB file's path."""
    if isinstance(warehouse, DuckDBTarget | PostgresTarget):
        return warehouse
    return DuckDBTarget(warehouse)
