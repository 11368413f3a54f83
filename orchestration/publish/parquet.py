"""One Parquet file per mart, ``<published dir>/parquet/<mart>.parquet``, for tools that read Parquet.

Each file is written from the staged DuckDB copy under a hidden temporary name, checked against it
(row count and a hash of every row), and renamed over the old file: a reader sees a whole file, the old or the new. The
set of files is not swapped as one (each file is replaced on its own, within milliseconds of the
others); a reader that needs every table from the same refresh reads the DuckDB copy.

Types: as DuckDB writes them, except HUGEINT (a sum of integers in dbt) which Parquet has no type
for and DuckDB would write as DOUBLE: it is written as BIGINT, with a strict cast (a value out of
range fails the publication rather than being rounded).

Nothing here knows about Dagster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import files
from .snapshot import MARTS_SCHEMA, PublishError, fingerprint, quote_ident, quote_literal, relation, table_columns

PARQUET_DIR_NAME = "parquet"
COMPRESSION = "zstd"
NARROWED_TYPES = {"HUGEINT": "BIGINT", "UHUGEINT": "UBIGINT"}


@dataclass(frozen=True)
class StagedParquet:
    table: str
    staged: Path
    target: Path
    rows: int
    bytes: int
    kept: bool = False  # the file in place already held these rows (checked): not rewritten


def _select_list(con: duckdb.DuckDBPyConnection, alias: str, schema: str, table: str) -> str:
    parts = []
    for name, data_type in table_columns(con, alias, schema, table):
        narrowed = NARROWED_TYPES.get(data_type)
        parts.append(f"CAST({quote_ident(name)} AS {narrowed}) AS {quote_ident(name)}" if narrowed else quote_ident(name))
    return ", ".join(parts)


def stage_marts(
    con: duckdb.DuckDBPyConnection, alias: str, tables: Iterable[str], folder: Path, unchanged: Iterable[str] = ()
) -> list[StagedParquet]:
    """Write `alias`.marts.<table> for each table to a hidden file in `folder`; check each one.

    A table in `unchanged` (its rows equal the previous publication's) keeps its file in place when
    that file still holds exactly its rows (row count and hash read back); otherwise it is rewritten.
    """
    folder.mkdir(parents=True, exist_ok=True)
    unchanged = set(unchanged)
    staged: list[StagedParquet] = []
    try:
        for table in tables:
            target = folder / f"{table}.parquet"
            source = relation(alias, MARTS_SCHEMA, table)
            select = f"SELECT {_select_list(con, alias, MARTS_SCHEMA, table)} FROM {source}"
            expected = fingerprint(con, f"({select})")
            if table in unchanged and target.exists():
                try:
                    in_place = fingerprint(con, f"read_parquet({quote_literal(str(target))})")
                except duckdb.Error:
                    in_place = None
                if in_place == expected:
                    staged.append(StagedParquet(table, target, target, expected[0], target.stat().st_size, kept=True))
                    continue
            tmp = files.temporary_sibling(target)
            staged.append(StagedParquet(table, tmp, target, 0, 0))  # so a failure below removes it
            con.execute(f"COPY ({select}) TO {quote_literal(str(tmp))} (FORMAT parquet, COMPRESSION {COMPRESSION})")
            # The file read back against the table: row count and a hash of every row (same types).
            written = fingerprint(con, f"read_parquet({quote_literal(str(tmp))})")
            if written != expected:
                raise PublishError(f"{table}.parquet: {written[0]} rows / hash {written[1]}, table {expected}")
            staged[-1] = StagedParquet(table, tmp, target, written[0], tmp.stat().st_size)
    except Exception:
        files.discard(*(s.staged for s in staged if not s.kept))
        raise
    return staged


def commit(staged: list[StagedParquet], folder: Path) -> list[Path]:
    """Rename each staged file into place; remove the files of marts that no longer exist."""
    for item in staged:
        if not item.kept:
            files.commit(item.staged, item.target)
    current = {item.target.name for item in staged}
    removed = []
    for path in folder.glob("*.parquet"):
        if path.name not in current:
            path.unlink(missing_ok=True)
            removed.append(path)
    files.fsync_dir(folder)
    return removed
