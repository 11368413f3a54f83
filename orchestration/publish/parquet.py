"""Parquet files of the marts, for tools that read Parquet: ``<published dir>/parquet/<mart>.parquet``,
one file per mart, except the session-level facts in :data:`BY_SEASON` (``fct_laps``, ~10 million
rows at 20 seasons, ``fct_weather``, ``bridge_session_result_drivers`` and ``fct_session_results``,
~0.4-0.6 million each), written one file per season in the hive layout
``parquet/<mart>/season=<season>/data.parquet``: DuckDB, pyarrow, Spark and most BI tools read the
folder as one table with a ``season`` column, and a new event rewrites its season's file, not all of
history (20 seasons: 8 s for the whole fct_laps file; 0.7 s for the whole fct_session_results file
against 0.05 s for one season's). A mart with a ``season`` column of its own (fct_session_results)
leaves it out of the files: the folder names give it back, and Spark refuses a column found in both.

Each file is written from the staged DuckDB copy under a hidden temporary name, checked against it
(row count and a hash of every row, read back), and renamed over the old file: a reader sees a whole file, the
old or the new. The file's footer records that checksum (key-value metadata ``pitwall_checksum``); a
later publication keeps a file whose footer records the checksum of the rows it would write, without
reading the rows again (at 20 seasons, 19 season files of 20 after one new event), and rewrites one without it. The
set of files is not swapped as one (each file is replaced on its own, within milliseconds of the
others); a reader that needs every table from the same refresh reads the DuckDB copy.

Types: as DuckDB writes them, except HUGEINT (a sum of integers in dbt) which Parquet has no type
for and DuckDB would write as DOUBLE: it is written as BIGINT, with a strict cast (a value out of
range fails the publication rather than being rounded).

Nothing here knows about Dagster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..warehouse.sql import quote_ident, quote_literal, relation, table_columns
from . import files
from .snapshot import MARTS_SCHEMA, PublishError, checksum

PARQUET_DIR_NAME = "parquet"
COMPRESSION = "zstd"
NARROWED_TYPES = {"HUGEINT": "BIGINT", "UHUGEINT": "UBIGINT"}
# Marts written one file per season; the season of a row is its session's (marts.dim_sessions).
BY_SEASON = ("fct_laps", "fct_weather", "bridge_session_result_drivers", "fct_session_results")
SEASONS_TABLE, SESSION_COLUMN, SEASON_COLUMN = "dim_sessions", "session_id", "season"
PARTITION_FILE_NAME = "data.parquet"
CHECKSUM_KEY = "pitwall_checksum"  # "<rows>:<hash>" in the footer of every file written here


@dataclass(frozen=True)
class StagedParquet:
    table: str
    staged: Path
    target: Path
    rows: int
    bytes: int
    kept: bool = False  # the file in place already held these rows (checked): not rewritten
    season: int | None = None  # the season of a file of a mart written by season


def _select_list(columns: list[tuple[str, str]]) -> str:
    parts = []
    for name, data_type in columns:
        narrowed = NARROWED_TYPES.get(data_type)
        parts.append(
            f"CAST({quote_ident(name)} AS {narrowed}) AS {quote_ident(name)}" if narrowed else quote_ident(name)
        )
    return ", ".join(parts)


def stage_marts(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    tables: Iterable[str],
    folder: Path,
    unchanged: Iterable[str] = (),
    session_checksums: Mapping[str, Mapping[object, tuple[int, int]]] | None = None,
) -> list[StagedParquet]:
    """Write `alias`.marts.<table> for each table to a hidden file in `folder`; check each one.

    A table in `unchanged` (its rows equal the previous publication's) keeps its file in place when
    that file's footer records its rows' checksum; otherwise it is rewritten. `session_checksums`
    ({table: {session_id: (rows, hash)}}, as the DuckDB copy found them) spares a mart written by
    season a pass over its rows to checksum each season.
    """
    folder.mkdir(parents=True, exist_ok=True)
    unchanged = set(unchanged)
    session_checksums = session_checksums or {}
    staged: list[StagedParquet] = []
    try:
        for table in tables:
            own = table_columns(con, alias, MARTS_SCHEMA, table)
            columns = file_columns(table, own)
            select = f"SELECT {_select_list(columns)} FROM {relation(alias, MARTS_SCHEMA, table)}"
            if table in BY_SEASON:
                # The per-session checksums hash the table's own columns: usable when the file
                # holds every one of them (no season left out), none narrowed.
                narrowed = any(data_type in NARROWED_TYPES for _, data_type in columns)
                sessions = session_checksums.get(table) if columns == own and not narrowed else None
                if columns != own:
                    _check_own_seasons(con, alias, table)
                _stage_by_season(con, alias, table, select, folder / table, staged, sessions)
            else:
                _stage_file(con, table, select, folder / f"{table}.parquet", table in unchanged, staged)
    except Exception:
        files.discard(*(s.staged for s in staged if not s.kept))
        raise
    return staged


def file_columns(table: str, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns of a mart's Parquet files: all of them, except the season of a mart written by
    season (its folder names carry it)."""
    return [c for c in columns if c[0] != SEASON_COLUMN] if table in BY_SEASON else columns


def _check_own_seasons(con: duckdb.DuckDBPyConnection, alias: str, table: str) -> None:
    """The season a mart's rows carry is their session's (the folder a reader takes it from)."""
    sessions = relation(alias, MARTS_SCHEMA, SEASONS_TABLE)
    differing = con.execute(
        f"SELECT count(*) FROM {relation(alias, MARTS_SCHEMA, table)} t "
        f"JOIN {sessions} s USING ({quote_ident(SESSION_COLUMN)}) "
        f"WHERE t.{quote_ident(SEASON_COLUMN)} IS DISTINCT FROM s.{quote_ident(SEASON_COLUMN)}"
    ).fetchall()[0][0]
    if differing:
        raise PublishError(f"{table}: {differing} rows whose {SEASON_COLUMN} is not their session's in {SEASONS_TABLE}")


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    table: str,
    select: str,
    target: Path,
    may_keep: bool,
    staged: list[StagedParquet],
    season: int | None = None,
    expected: tuple[int, int] | None = None,
) -> None:
    """Stage the rows of `select` (whose checksum is `expected`, when known) for `target`: kept when
    the footer of the file in place records that checksum (checked only when `may_keep`), else
    written to a temporary sibling and read back."""
    expected = expected or checksum(con, f"({select})")
    if may_keep and target.exists() and recorded_checksum(con, target) == expected:
        staged.append(
            StagedParquet(table, target, target, expected[0], target.stat().st_size, kept=True, season=season)
        )
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = files.temporary_sibling(target)
    staged.append(StagedParquet(table, tmp, target, 0, 0, season=season))  # so a failure below removes it
    recorded = quote_literal(f"{expected[0]}:{expected[1]}")
    con.execute(
        f"COPY ({select}) TO {quote_literal(str(tmp))} "
        f"(FORMAT parquet, COMPRESSION {COMPRESSION}, KV_METADATA {{{CHECKSUM_KEY}: {recorded}}})"
    )
    # The file read back against the table: row count and a hash of every row (same types).
    written = checksum(con, _read(tmp))
    if written != expected:
        raise PublishError(f"{target.name}: {written[0]} rows / hash {written[1]}, table {expected}")
    staged[-1] = StagedParquet(table, tmp, target, written[0], tmp.stat().st_size, season=season)


def recorded_checksum(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, int] | None:
    """The checksum a file's footer records (it was written only after the file was read back and
    matched), or None: no such key, or not a readable Parquet file."""
    try:
        values = con.execute(
            "SELECT decode(value) FROM parquet_kv_metadata(?) WHERE decode(key) = ?", [str(path), CHECKSUM_KEY]
        ).fetchall()
        rows, digest = values[0][0].split(":")
        return int(rows), int(digest)
    except (duckdb.Error, IndexError, ValueError):
        return None


def _read(path: Path) -> str:
    # The file's own columns only: a season folder name must not add a `season` column here.
    return f"read_parquet({quote_literal(str(path))}, hive_partitioning = false)"


def _stage_by_season(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    table: str,
    select: str,
    folder: Path,
    staged: list[StagedParquet],
    sessions: Mapping[object, tuple[int, int]] | None = None,
) -> None:
    """One file per season of `table`; a season's file in place is kept when its footer records that
    season's rows' checksum (one new event rewrites one season). A season's checksum is the
    sum of its sessions' (`sessions`, when given) or comes from one pass over the table."""
    seasons_of = (
        f"(SELECT {quote_ident(SESSION_COLUMN)}, {quote_ident(SEASON_COLUMN)} "
        f"FROM {relation(alias, MARTS_SCHEMA, SEASONS_TABLE)})"
    )
    if sessions is not None:
        season_of = dict(con.execute(f"SELECT * FROM {seasons_of}").fetchall())
        sums: dict[int | None, list[int]] = {}
        for session, (n, digest) in sessions.items():
            total = sums.setdefault(season_of.get(session), [0, 0])
            total[0] += n
            total[1] += digest
        seasons = sorted(
            ((season, n, digest) for season, (n, digest) in sums.items()), key=lambda row: (row[0] is None, row[0] or 0)
        )
    else:
        # Every season's checksum in one pass over the table (hash(t): the mart's columns only).
        seasons = con.execute(
            f"SELECT s.{quote_ident(SEASON_COLUMN)}, count(*), coalesce(sum(hash(t)), 0) FROM ({select}) t "
            f"LEFT JOIN {seasons_of} s USING ({quote_ident(SESSION_COLUMN)}) GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    missing = sum(n for season, n, _ in seasons if season is None)
    if missing:
        raise PublishError(f"{table}: {missing} rows whose {SESSION_COLUMN} has no season in {SEASONS_TABLE}")
    for season, n, digest in seasons:
        rows = (
            f"{select} WHERE {quote_ident(SESSION_COLUMN)} IN (SELECT {quote_ident(SESSION_COLUMN)} "
            f"FROM {seasons_of} WHERE {quote_ident(SEASON_COLUMN)} = {int(season)})"
        )
        target = folder / f"{SEASON_COLUMN}={int(season)}" / PARTITION_FILE_NAME
        _stage_file(con, table, rows, target, True, staged, season=int(season), expected=(int(n), int(digest)))


def commit(staged: list[StagedParquet], folder: Path) -> list[Path]:
    """Rename each staged file into place; remove the files of marts (and seasons) that no longer exist."""
    for item in staged:
        if not item.kept:
            files.commit(item.staged, item.target)
            files.fsync_dir(item.target.parent)
    current = {item.target for item in staged}
    removed = []
    for path in [*folder.glob("*.parquet"), *folder.glob(f"*/{SEASON_COLUMN}=*/{PARTITION_FILE_NAME}")]:
        if path not in current:
            path.unlink(missing_ok=True)
            removed.append(path)
    for season_folder in folder.glob(f"*/{SEASON_COLUMN}=*"):
        _remove_if_empty(season_folder)
    for mart_folder in folder.iterdir():
        if mart_folder.is_dir():
            _remove_if_empty(mart_folder)
    files.fsync_dir(folder)
    return removed


def reader_path(folder: Path, table: str) -> str:
    """What a reader passes to read_parquet for a mart: its file, or the glob of its season files."""
    if table in BY_SEASON:
        return str(folder / table / f"{SEASON_COLUMN}=*" / PARTITION_FILE_NAME)
    return str(folder / f"{table}.parquet")


def staging_folders(folder: Path) -> list[Path]:
    """Every folder a publication stages files in (for the leftovers of one that died)."""
    return [folder, *(p for p in folder.glob("*") if p.is_dir()), *folder.glob(f"*/{SEASON_COLUMN}=*")]


def _remove_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass  # not empty (or gone)
