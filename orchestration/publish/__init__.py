"""Publication: a read-only copy of the warehouse for readers, Parquet files and charts.

    <warehouse dir>/published/pitwall.duckdb          marts + raw.ingested_files + meta.publication
    <warehouse dir>/published/parquet/<mart>.parquet  one file per table of marts, except:
    <warehouse dir>/published/parquet/<fact>/season=<season>/data.parquet  one file per season
        (fct_laps, fct_weather, bridge_session_result_drivers)
    <warehouse dir>/published/charts/*.png            standings progressions and lap charts

`publish()` stages the DuckDB copy and the Parquet files beside the old ones, checks them against
the build file, then renames them into place (DuckDB file first, then its seal,
``.pitwall.duckdb.seal``: see snapshot.py). `charts.draw_charts()` draws from the published copy.
A failure before the renames leaves the old publication as it was. No Dagster here:
orchestration/defs/assets/published.py wraps these functions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from . import files, parquet
from .parquet import PARQUET_DIR_NAME, StagedParquet
from .snapshot import (
    META_SCHEMA,
    META_TABLE,
    STORAGE_VERSION,
    Descriptions,
    PublishError,
    Snapshot,
    TableCopy,
    build_snapshot,
    quote_literal,
    scratch_connection,
    storage_version_of,
)

__all__ = [
    "CHARTS_DIR_NAME",
    "Descriptions",
    "META_SCHEMA",
    "META_TABLE",
    "PARQUET_DIR_NAME",
    "Publication",
    "PublishError",
    "STORAGE_VERSION",
    "TableCopy",
    "publish",
    "storage_version_of",
]

# The charts (orchestration/publish/charts.py) import matplotlib, which takes a second or more:
# import that module where charts are drawn, not here.
CHARTS_DIR_NAME = "charts"


@dataclass(frozen=True)
class Publication:
    path: Path
    parquet_dir: Path
    tables: tuple[TableCopy, ...]
    parquet: tuple[StagedParquet, ...]  # after the rename: .target is the live file
    bytes: int
    storage_version: str
    published_at: object
    run_id: str
    seconds: float
    removed_parquet: tuple[Path, ...] = ()
    reused_previous: bool = False  # started from a copy of the previous publication (snapshot.py)
    previous_sealed: bool = False  # ... which was untouched since: updated tables checked by session

    @property
    def parquet_bytes(self) -> int:
        return sum(p.bytes for p in self.parquet)


def publish(
    build: Path,
    published_dir: Path,
    *,
    run_id: str = "",
    descriptions: Descriptions | None = None,
    storage_version: str = STORAGE_VERSION,
    file_name: str = "pitwall.duckdb",
) -> Publication:
    """Publish `build` into `published_dir`: the DuckDB copy, then the Parquet files."""
    started = time.perf_counter()
    published_dir = Path(published_dir)
    target = published_dir / file_name
    parquet_dir = published_dir / PARQUET_DIR_NAME
    published_dir.mkdir(parents=True, exist_ok=True)
    files.remove_leftovers(published_dir)
    for folder in parquet.staging_folders(parquet_dir):
        files.remove_leftovers(folder)

    snapshot: Snapshot = build_snapshot(
        build, target, run_id=run_id, descriptions=descriptions, storage_version=storage_version
    )
    staged: list[StagedParquet] = []
    try:
        staged = _stage_parquet(snapshot, parquet_dir)
        _put_in_place(snapshot, target)
    except Exception:
        files.discard(snapshot.staged, *(s.staged for s in staged if not s.kept))
        raise
    removed = parquet.commit(staged, parquet_dir)
    return Publication(
        path=target,
        parquet_dir=parquet_dir,
        tables=snapshot.tables,
        parquet=tuple(staged),
        bytes=target.stat().st_size,
        storage_version=snapshot.storage_version,
        published_at=snapshot.published_at,
        run_id=run_id,
        seconds=time.perf_counter() - started,
        removed_parquet=tuple(removed),
        reused_previous=snapshot.reused_previous,
        previous_sealed=snapshot.previous_sealed,
    )


def _stage_parquet(snapshot: Snapshot, parquet_dir: Path) -> list[StagedParquet]:
    """The Parquet files of the staged copy's marts, written beside the live ones (parquet.py)."""
    con = scratch_connection()
    try:
        con.execute(f"ATTACH {quote_literal(str(snapshot.staged))} AS pub (READ_ONLY)")
        staged = parquet.stage_marts(
            con,
            "pub",
            [t.name for t in snapshot.marts],
            parquet_dir,
            unchanged=[t.name for t in snapshot.marts if t.action == "kept"],
            session_checksums={t.name: t.sessions for t in snapshot.marts if t.sessions is not None},
        )
        con.execute("DETACH pub")
        return staged
    finally:
        con.close()


def _put_in_place(snapshot: Snapshot, target: Path) -> None:
    """Rename the staged copy over `target`, and seal it: what the next publication trusts the
    copy's record of sessions by (snapshot.py)."""
    files.commit(snapshot.staged, target)
    files.fsync_dir(target.parent)
    files.seal(target)
