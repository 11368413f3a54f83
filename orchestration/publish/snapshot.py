"""The published DuckDB file: a whole copy of the marts for readers, built beside the old one.

DuckDB allows one writing process or many reading ones, never both: a BI tool holding the build
file would block the next refresh, and a refresh would break every open dashboard. Readers get
their own file instead, ``<warehouse dir>/published/pitwall.duckdb``:

- every base table of ``marts`` (the public contract), ``raw.ingested_files`` (so readers see
  which files were set aside, and why), and ``meta.publication`` (when, by which run, row counts);
  no views (staging and intermediate read raw tables the copy does not hold), no raw data;
- table and column descriptions from the dbt project as DuckDB comments (BI tools show them);
- written with storage version ``v1.0.0`` (:data:`STORAGE_VERSION`), which DuckDB 0.10 and every
  later release read, where the build file's 2.0 format needs DuckDB 2.0: BI drivers bundle older
  DuckDBs (checked: Python duckdb 0.10.3, 1.0.0, 1.1.3, 1.2.2, 1.3.2, 1.4.3, 1.5.6 and 2.0.0 open it;
  0.9.2 does not);
- checked table by table against the build file (row count and a hash of every row) before it
  replaces the old copy in one rename (see files.py);
- built from a copy of the previous publication when there is one (same storage version, little
  free space inside). A table whose rows did not change is kept, a table with a ``session_id``
  whose changes touch a few sessions has only those sessions' rows replaced, any other is
  rewritten. One new event on top of years of history then costs what is new, not a full copy.
  Which sessions changed: the build file's rows of each session (count and hash) against those the
  previous copy recorded in ``meta.publication_sessions`` when it was published;
- checked, after such an update, on the replaced sessions only (their rows against the build file's,
  and the table's row count) when the previous copy is *sealed*: the very file a publication
  renamed into place, not written to since (``files.seal``: inode, size, modification and change
  times, recorded beside it after the rename). Otherwise the whole table is checked against the
  build file, and rewritten if that check fails (the record did not describe the copy: the file
  was edited). The whole-table check of ``fct_laps`` reads every lap of every season
  (docs/decisions.md, publication).

Nothing here knows about Dagster.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from ..warehouse.sql import quote_ident, quote_literal, relation, table_columns
from . import files

STORAGE_VERSION = "v1.0.0"
MARTS_SCHEMA = "marts"
EXTRA_TABLES: tuple[tuple[str, str], ...] = (("raw", "ingested_files"),)
META_SCHEMA = "meta"
META_TABLE = "publication"

# Descriptions: {(schema, table): (table description, {column: description})}
Descriptions = Mapping[tuple[str, str], tuple[str | None, Mapping[str, str]]]

META_DESCRIPTION = (
    "This copy's publication: one row per table it holds, with its row count, when it was "
    "published (UTC) and by which refresh run."
)
SESSIONS_TABLE = "publication_sessions"
SESSIONS_DESCRIPTION = (
    "Row count and hash of each session's rows, per published table with a session_id, as this copy "
    "holds them: the next publication compares the build file's sessions with these to replace only "
    "the sessions that changed."
)
SESSIONS_COLUMNS = {
    "table_schema": "Schema of the published table.",
    "table_name": "Name of the published table.",
    "session_id": "The session (null for rows without one).",
    "row_count": "Rows of the session in the table.",
    "row_hash": "Sum of DuckDB's hash() of each of those rows.",
}
META_COLUMNS = {
    "table_schema": "Schema of the published table.",
    "table_name": "Name of the published table.",
    "row_count": "Rows in the table in this copy (equal to the build file's when it was published).",
    "published_at_utc": "When this copy was published, UTC.",
    "run_id": "The Dagster run that published it (empty when published outside Dagster).",
    "storage_version": "DuckDB storage version of this file.",
}

# No network, ever: extensions are neither installed nor loaded behind the scenes.
SCRATCH_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class PublishError(RuntimeError):
    """The copy does not match the build file, or could not be written."""


@dataclass(frozen=True)
class TableCopy:
    schema: str
    name: str
    rows: int
    columns: int
    action: str = "written"  # written | kept | updated (the changed sessions only)
    # What was read to check the copy: "whole table", "changed sessions" (an update of a sealed copy,
    # see above) or "sealed record" (kept: a sealed copy's record matches the build file).
    checked: str = "whole table"
    # {session_id: (rows, hash)} of a table with a session column, as checksum() per session:
    # what the Parquet files by season are checked against without reading the table again.
    sessions: Mapping[object, tuple[int, int]] | None = field(default=None, compare=False, repr=False)
    sessions_updated: int = 0  # how many sessions an update replaced

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def described(self) -> str:
        """The action for people: `updated (3 sessions)`, `kept`, `written`."""
        return f"updated ({self.sessions_updated} sessions)" if self.action == "updated" else self.action


class _Copied(NamedTuple):
    """What _copy_table did to one table of the copy."""

    source: tuple[int, int]  # the build file's checksum of the table
    action: str  # written | kept | updated
    sessions: dict[object, tuple[int, int]] | None  # the source's checksum per session, if it has sessions
    checked: str | None  # how the copy was checked here; None: the caller checks it whole
    sessions_updated: int = 0


@dataclass(frozen=True)
class Snapshot:
    """A staged copy: written and checked, not yet renamed into place."""

    staged: Path
    target: Path
    tables: tuple[TableCopy, ...]
    published_at: datetime
    run_id: str
    storage_version: str
    seconds: float
    reused_previous: bool = False
    previous_sealed: bool = False  # the previous copy was untouched since its publication

    @property
    def marts(self) -> tuple[TableCopy, ...]:
        return tuple(t for t in self.tables if t.schema == MARTS_SCHEMA)


def scratch_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config=SCRATCH_CONFIG)
    con.execute("SET enable_progress_bar = false")  # no bar drawn on a terminal during a long copy
    return con


def tables_to_publish(con: duckdb.DuckDBPyConnection, alias: str) -> list[tuple[str, str]]:
    """Every base table of marts, then the extra tables that exist, in a stable order."""
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary",
        [alias],
    ).fetchall()
    present = {(s, t) for s, t in rows}
    marts = sorted((s, t) for s, t in present if s == MARTS_SCHEMA)
    if not marts:
        raise PublishError(f"the build file has no table in schema {MARTS_SCHEMA!r}: nothing to publish")
    return marts + [key for key in EXTRA_TABLES if key in present]


def checksum(con: duckdb.DuckDBPyConnection, qualified: str) -> tuple[int, int]:
    """(rows, sum of a hash of every row): equal for two tables holding the same rows."""
    rows, digest = con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {qualified} AS t").fetchall()[0]
    return int(rows), int(digest)


def _comment_statements(
    alias: str, schema: str, table: str, columns: Iterable[str], descriptions: Descriptions
) -> list[str]:
    table_description, column_descriptions = descriptions.get((schema, table), (None, {}))
    target = relation(alias, schema, table)
    # NULL where there is no description: a table kept from the previous copy loses a removed one.
    statements = [
        f"COMMENT ON TABLE {target} IS " + (quote_literal(table_description.strip()) if table_description else "NULL")
    ]
    for column in columns:
        text = (column_descriptions or {}).get(column)
        statements.append(
            f"COMMENT ON COLUMN {target}.{quote_ident(column)} IS " + (quote_literal(text.strip()) if text else "NULL")
        )
    return statements


# A previous copy with more free space than this (deleted rows, dropped tables) is not reused:
# the next copy starts from scratch, so the published file never grows far beyond its data.
MAX_FREE_FRACTION = 0.25
# A table whose changed sessions hold more than this share of its rows is rewritten whole.
MAX_UPDATED_FRACTION = 0.25
SESSION_COLUMN = "session_id"


def previous_copy_reusable(target: Path, storage_version: str) -> bool:
    """The current published file can start the next copy: same storage version, little free space."""
    if not target.exists():
        return False
    con = scratch_connection()
    try:
        con.execute(f"ATTACH {quote_literal(str(target))} AS prev (READ_ONLY)")
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'prev'").fetchall()[0][0]
        free, total = con.execute(
            "SELECT free_blocks, total_blocks FROM pragma_database_size() WHERE database_name = 'prev'"
        ).fetchall()[0]
        has_meta = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'prev' AND schema_name = ? AND table_name = ?",
            [META_SCHEMA, META_TABLE],
        ).fetchall()[0][0]
        con.execute("DETACH prev")
    except duckdb.Error:
        return False  # unreadable: write a fresh copy
    finally:
        con.close()
    version = dict(tags or {}).get("storage_version", "")
    return bool(has_meta) and version.startswith(storage_version) and (not total or free / total <= MAX_FREE_FRACTION)


SEALED_COPY, COPY = "sealed copy", "copy"


def _attach_previous(con: duckdb.DuckDBPyConnection, target: Path, staged: Path, storage_version: str) -> str | None:
    """Attach as ``pub``, at `staged`, a copy of the previous publication to start from; returns
    SEALED_COPY or COPY (the current file was sealed, its record trusted, or not), or None: nothing
    to start from (no previous file, another storage version, too much free space)."""
    if not previous_copy_reusable(target, storage_version):
        return None
    sealed = files.is_sealed(target)
    shutil.copyfile(target, staged)
    sealed = sealed and files.is_sealed(target)  # and nobody wrote to it during the copy
    con.execute(f"ATTACH {quote_literal(str(staged))} AS pub")
    return SEALED_COPY if sealed else COPY


def _session_checksums(con: duckdb.DuckDBPyConnection, qualified: str) -> dict[object, tuple[int, int]]:
    """checksum() per session: {session_id: (rows, sum of a hash of every row)}."""
    return {
        k: (int(n), int(h))
        for k, n, h in con.execute(
            f"SELECT {SESSION_COLUMN}, count(*), coalesce(sum(hash(t)), 0) FROM {qualified} AS t GROUP BY ALL"
        ).fetchall()
    }


def _recorded_session_checksums(
    con: duckdb.DuckDBPyConnection,
) -> dict[tuple[str, str], dict[object, tuple[int, int]]]:
    """What the previous copy (attached as pub) recorded of its tables' sessions; {} when nothing."""
    try:
        rows = con.execute(
            f"SELECT table_schema, table_name, session_id, row_count, row_hash "
            f"FROM {relation('pub', META_SCHEMA, SESSIONS_TABLE)}"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    recorded: dict[tuple[str, str], dict[object, tuple[int, int]]] = {}
    for schema, table, session, n, digest in rows:
        recorded.setdefault((schema, table), {})[session] = (int(n), int(digest))
    return recorded


def _recorded_keys(sessions: dict[object, tuple[int, int]]) -> dict[object, tuple[int, int]]:
    return {None if k is None else str(k): v for k, v in sessions.items()}


def _record_session_checksums(con: duckdb.DuckDBPyConnection, copies: list[TableCopy]) -> None:
    """meta.publication_sessions of the new copy: every verified table's sessions."""
    target = relation("pub", META_SCHEMA, SESSIONS_TABLE)
    con.execute(
        f"CREATE TABLE {target} (table_schema VARCHAR, table_name VARCHAR, session_id VARCHAR, "
        "row_count BIGINT, row_hash HUGEINT)"
    )
    for copy in copies:
        if copy.sessions:
            sessions = _recorded_keys(copy.sessions)
            keys = list(sessions)
            # Hashes are sums of 64-bit hashes (HUGEINT): passed as text, cast in DuckDB.
            con.execute(
                f"INSERT INTO {target} SELECT ?, ?, unnest(?), unnest(?), CAST(unnest(?) AS HUGEINT)",
                [copy.schema, copy.name, keys, [sessions[k][0] for k in keys], [str(sessions[k][1]) for k in keys]],
            )


def _update_sessions(
    con: duckdb.DuckDBPyConnection, source: str, copy: str, sessions: list, check: bool = False
) -> tuple[tuple[int, int], int] | None:
    """Replace the copy's rows of `sessions` with the source's. With `check`: returns what the copy
    then holds, (checksum() of those sessions' rows, row count of the whole table)."""
    con.execute("CREATE OR REPLACE TEMP TABLE changed_sessions (k VARCHAR)")
    con.executemany("INSERT INTO changed_sessions VALUES (?)", [[str(k)] for k in sessions])
    changed = f"CAST({SESSION_COLUMN} AS VARCHAR) IN (SELECT k FROM changed_sessions)"
    con.execute(f"DELETE FROM {copy} WHERE {changed}")
    con.execute(f"INSERT INTO {copy} SELECT * FROM {source} WHERE {changed}")
    held = None
    if check:
        ((rows, digest),) = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {copy} AS t WHERE {changed}"
        ).fetchall()
        ((total,),) = con.execute(f"SELECT count(*) FROM {copy}").fetchall()
        held = (int(rows), int(digest)), int(total)
    con.execute("DROP TABLE changed_sessions")
    return held


def _copy_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    reuse: bool,
    recorded: dict[object, tuple[int, int]] | None = None,
    sealed: bool = False,
) -> _Copied:
    """Bring pub.<schema>.<table> to the rows of src's. `recorded`: the previous copy's
    sessions as it recorded them (else they are read from the copy itself, in this transaction);
    `sealed`: the copy is the very file that record describes."""
    source, copy = relation("src", schema, table), relation("pub", schema, table)
    columns = table_columns(con, "src", schema, table)
    reuse = reuse and table_columns(con, "pub", schema, table) == columns
    if SESSION_COLUMN in {name for name, _ in columns}:
        # One pass over each table gives its checksum (the sum of the sessions') and what changed.
        new = _session_checksums(con, source)
        expected = (sum(n for n, _ in new.values()), sum(h for _, h in new.values()))
        if reuse:
            old = recorded if recorded is not None else _session_checksums(con, copy)
            # compared with session ids as meta.publication_sessions holds them (text)
            fresh = _recorded_keys(new) if recorded is not None else new
            # A sealed copy holds what its record says; an unsealed one is checked whole by the caller.
            trusted = sealed and recorded is not None
            if fresh == old:
                # Checked by the sealed record, or by the copy's own rows read just now (no record).
                how = "sealed record" if trusted else "whole table" if recorded is None else None
                return _Copied(expected, "kept", new, how)
            changed = [k for k in fresh.keys() | old.keys() if fresh.get(k) != old.get(k)]
            # What the build file holds of the changed sessions: (rows, hash).
            wanted = (sum(fresh.get(k, (0, 0))[0] for k in changed), sum(fresh.get(k, (0, 0))[1] for k in changed))
            # A changed row without a session cannot be replaced by session: the table is rewritten.
            if None not in changed and wanted[0] <= MAX_UPDATED_FRACTION * max(expected[0], 1):
                held = _update_sessions(con, source, copy, changed, check=trusted)
                # The replaced sessions hold the build file's rows and no other session was lost or
                # doubled: with the rest as the sealed record says, the table is the build file's.
                checked = held == (wanted, expected[0])
                return _Copied(expected, "updated", new, "changed sessions" if checked else None, len(changed))
    else:
        new = None
        expected = checksum(con, source)
        if reuse and checksum(con, copy) == expected:
            return _Copied(expected, "kept", new, "whole table")
    _rewrite(con, schema, table)
    return _Copied(expected, "written", new, None)


def _rewrite(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    copy = relation("pub", schema, table)
    con.execute(f"DROP TABLE IF EXISTS {copy}")
    con.execute(f"CREATE TABLE {copy} AS SELECT * FROM {relation('src', schema, table)}")


def _publish_tables(con: duckdb.DuckDBPyConnection, reuse: bool, sealed: bool, descriptions: Descriptions) -> list:
    """Every table of `src` to publish, brought up to date in `pub` (started from a previous copy when
    `reuse`), with the per-session record the next publication starts from: the TableCopy of each."""
    tables = tables_to_publish(con, "src")
    recorded = _recorded_session_checksums(con) if reuse else {}
    _drop_unpublished(con, tables)
    copies = [
        _publish_table(con, schema, table, reuse, recorded.get((schema, table)), sealed, descriptions)
        for schema, table in tables
    ]
    _record_session_checksums(con, copies)
    for statement in _comment_statements("pub", META_SCHEMA, SESSIONS_TABLE, SESSIONS_COLUMNS, descriptions):
        con.execute(statement)
    return copies


def _drop_unpublished(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> None:
    """What the previous copy holds and this one must not: tables no longer published, old metadata;
    the schemas of the tables to publish."""
    for schema, table in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'pub'"
    ).fetchall():
        if (schema, table) not in tables:
            con.execute(f"DROP TABLE {relation('pub', schema, table)}")
    for schema in sorted({s for s, _ in tables} | {META_SCHEMA}):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS pub.{quote_ident(schema)}")


def _publish_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    reuse: bool,
    record,
    sealed: bool,
    descriptions: Descriptions,
) -> TableCopy:
    """Bring `pub`'s copy of one table up to date with `src` (_copy_table), check it, describe it."""
    source, action, sessions, checked, updated = _copy_table(con, schema, table, reuse, record, sealed)
    copy = relation("pub", schema, table)
    # Checked whole, unless _copy_table checked it: kept on its own rows' checksums (taken in
    # this transaction), or kept or updated by the recorded sessions of a sealed copy.
    copied = source if checked else checksum(con, copy)
    if source != copied and action != "written":
        # The record did not describe the copy (e.g. the file was edited): rewrite the table.
        _rewrite(con, schema, table)
        action, updated, copied = "written", 0, checksum(con, copy)
    if source != copied:
        raise PublishError(f"{schema}.{table}: copy has {copied[0]} rows / hash {copied[1]}, build file {source}")
    columns = [name for name, _ in table_columns(con, "pub", schema, table)]
    for statement in _comment_statements("pub", schema, table, columns, descriptions):
        con.execute(statement)
    return TableCopy(schema, table, copied[0], len(columns), action, checked or "whole table", sessions, updated)


def _write_publication_record(
    con: duckdb.DuckDBPyConnection,
    copies: list[TableCopy],
    published_at: datetime,
    run_id: str,
    storage_version: str,
    descriptions: Descriptions,
) -> None:
    """meta.publication of the copy: one row per table published, with the run and the time."""
    meta = relation("pub", META_SCHEMA, META_TABLE)
    con.execute(
        f"CREATE TABLE {meta} (table_schema VARCHAR, table_name VARCHAR, row_count BIGINT, "
        "published_at_utc TIMESTAMP, run_id VARCHAR, storage_version VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO {meta} VALUES (?, ?, ?, ?, ?, ?)",
        [[c.schema, c.name, c.rows, published_at, run_id, storage_version] for c in copies],
    )
    for statement in _comment_statements("pub", META_SCHEMA, META_TABLE, META_COLUMNS, descriptions):
        con.execute(statement)


def build_snapshot(
    build: Path,
    target: Path,
    *,
    run_id: str = "",
    descriptions: Descriptions | None = None,
    storage_version: str = STORAGE_VERSION,
) -> Snapshot:
    """Copy the published tables of `build` into a hidden file beside `target` and check them.

    The build file is attached read-only for the whole copy, so no writer can change it midway.
    The staged file has no WAL (DETACH checkpoints it) and is flushed to disk; `commit` renames it.
    """
    started = time.perf_counter()
    build = Path(build)
    if not build.exists():
        raise PublishError(f"no warehouse at {build}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = files.temporary_sibling(target)
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    descriptions = {
        (META_SCHEMA, META_TABLE): (META_DESCRIPTION, META_COLUMNS),
        (META_SCHEMA, SESSIONS_TABLE): (SESSIONS_DESCRIPTION, SESSIONS_COLUMNS),
        **(descriptions or {}),
    }
    con = scratch_connection()
    try:
        con.execute(f"ATTACH {quote_literal(str(build))} AS src (READ_ONLY)")
        start = _attach_previous(con, target, staged, storage_version)
        reuse, sealed = start is not None, start == SEALED_COPY
        if not reuse:
            con.execute(
                f"ATTACH {quote_literal(str(staged))} AS pub (STORAGE_VERSION {quote_literal(storage_version)})"
            )
        con.execute("BEGIN TRANSACTION")
        copies = _publish_tables(con, reuse, sealed, descriptions)
        _write_publication_record(con, copies, published_at, run_id, storage_version, descriptions)
        con.execute("COMMIT")
        con.execute("DETACH pub")  # checkpoints: everything in the file, no WAL left
        con.execute("DETACH src")
    except Exception:
        con.close()
        files.discard(staged)
        raise
    con.close()
    if staged.with_name(staged.name + ".wal").exists():  # a WAL would not travel with the rename: a torn copy
        files.discard(staged)
        raise PublishError(f"{staged} kept a write-ahead log after DETACH")
    return Snapshot(
        staged=staged,
        target=target,
        tables=tuple(copies),
        published_at=published_at,
        run_id=run_id,
        storage_version=storage_version,
        seconds=time.perf_counter() - started,
        reused_previous=reuse,
        previous_sealed=sealed,
    )


def storage_version_of(path: Path) -> str:
    """The storage version DuckDB reports for a database file (e.g. 'v1.0.0+')."""
    con = scratch_connection()
    try:
        con.execute(f"ATTACH {quote_literal(str(path))} AS f (READ_ONLY)")
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'f'").fetchall()[0][0]
        con.execute("DETACH f")
    finally:
        con.close()
    return dict(tags or {}).get("storage_version", "")
