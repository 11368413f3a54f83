"""Helpers of the reliability tests (docs/reliability.md): figures, checksums, manifest checks, processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from helpers import RAW, REPO

PITWALL = Path(sys.executable).with_name("pitwall")
# Figures of each run go here (gitignored); docs/reliability.md quotes the slow runs' figures.
ARTIFACTS = REPO / "tests" / "artifacts" / "reliability"

# Columns whose value is the wall-clock time of the run that wrote the row: left out of checksums,
# since two runs at different times cannot agree on them. Schema `meta` (when dbt last built, when the
# copy was published, by which run) is left out whole for the same reason.
CLOCK_COLUMNS = {("raw", "ingested_files", "loaded_at")}
CLOCK_SCHEMAS = ("meta",)


def record(name: str, figures: dict) -> Path:
    """Write a test's figures as JSON (tests/artifacts/reliability/<name>.json)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(
        json.dumps({**figures, "recorded_at": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2, default=str) + "\n"
    )
    return path


def connect(path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=read_only)


def rows(path: Path, sql: str, params=None) -> list[tuple]:
    con = connect(path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def checksums(path: Path, schemas: tuple[str, ...] | None = None) -> dict[str, tuple]:
    """(row count, order-independent hash) of every base table of the given schemas (default: all
    but `meta`), clock columns left out."""
    con = connect(path)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_catalog = current_database() "
            "AND (list_contains(?, table_schema) OR (? AND NOT list_contains(?, table_schema))) ORDER BY 1, 2",
            [list(schemas or ()), schemas is None, list(CLOCK_SCHEMAS)],
        ).fetchall()
        out = {}
        for schema, table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                    "ORDER BY ordinal_position",
                    [schema, table],
                ).fetchall()
                if (schema, table, c) not in CLOCK_COLUMNS
            ]
            cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
            out[f"{schema}.{table}"] = con.execute(
                f'SELECT count(*), sum(hash(struct_pack({cols}))) FROM "{schema}"."{table}"'
            ).fetchall()[0]
        return out
    finally:
        con.close()


def manifest_problems(path: Path) -> list[str]:
    """Where the manifest and the raw tables disagree (empty when they agree).

    - every file with rows (loaded, superseded, removed) has exactly `rows_loaded` rows in its kind's table;
    - a file set aside or skipped has no row in any raw table;
    - no raw row belongs to a file the manifest does not list with rows.
    """
    con = connect(path)
    problems: list[str] = []
    try:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name <> 'ingested_files'"
            ).fetchall()
        ]
        manifest = con.execute("SELECT path, kind, status, rows_loaded FROM raw.ingested_files").fetchall()
        by_path = {p: (k, s, n) for p, k, s, n in manifest}
        if len(by_path) != len(manifest):
            problems.append("manifest lists a path twice")
        for table in tables:
            counts = con.execute(f'SELECT _file_path, count(*) FROM raw."{table}" GROUP BY 1').fetchall()
            for file_path, count in counts:
                kind, status, rows_loaded = by_path.get(file_path, (None, None, None))
                if status not in ("loaded", "superseded", "removed"):
                    problems.append(f"raw.{table} has {count} rows of {file_path} whose status is {status}")
                elif table == "report_sessions":
                    if count != 1:
                        problems.append(f"raw.report_sessions has {count} rows of {file_path}")
                elif kind != table:
                    problems.append(f"raw.{table} has rows of {file_path} of kind {kind}")
                elif count != rows_loaded:
                    problems.append(f"{file_path}: {count} rows in raw.{table}, manifest says {rows_loaded}")
        for file_path, (kind, status, rows_loaded) in by_path.items():
            if status in ("loaded", "superseded", "removed") and rows_loaded and kind in tables:
                present = con.execute(
                    f'SELECT count(*) FROM raw."{kind}" WHERE _file_path = ?', [file_path]
                ).fetchall()[0][0]
                if present == 0:
                    problems.append(f"{file_path}: manifest says {rows_loaded} rows, raw.{kind} has none")
        return problems
    finally:
        con.close()


def pitwall_env(dagster_home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("PITWALL_RAW_DIR", None)
    env.pop("PITWALL_WAREHOUSE", None)
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def start(args: list[str], dagster_home: Path | None = None, **kwargs) -> subprocess.Popen:
    """A `pitwall` command in its own process group (so kill -9 reaches dbt too), output to pipes."""
    return subprocess.Popen(
        [str(PITWALL), *args],
        cwd=REPO,
        env=pitwall_env(dagster_home),
        start_new_session=True,
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=kwargs.pop("stderr", subprocess.STDOUT),
        text=True,
        **kwargs,
    )


def kill_group(proc: subprocess.Popen) -> None:
    """kill -9 the command and every process it started (dbt), as a crash or OOM kill would."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    # A grandchild may still be exiting: wait until the group is gone.
    for _ in range(100):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


# The raw root before the run (two events fewer) and at the run (every file, plus an amended report).
HELD_BACK = ("24_2024/14_Road America", "24_2024/12_Watkins Glen International")
AMENDED_FROM = "24_2024/10_Canadian Grand Prix/01_IMSA WeatherTech SportsCar Championship"


def make_raw_roots(root: Path, imsa_only: bool = False) -> tuple[Path, Path]:
    """(raw before, raw at the run): the same files with the same times, v2 has more.
    imsa_only: the real IMSA files only (24 files; a quicker refresh)."""
    v2 = root / "raw_v2"
    if imsa_only:
        from helpers import copy_real_imsa

        copy_real_imsa(v2)
    else:
        shutil.copytree(RAW, v2, copy_function=shutil.copy2)
    results = sorted((v2 / AMENDED_FROM).glob("*_Race/03_Results_Race_Official.CSV"))
    if results:
        amended = results[0].with_name("03_Results_Race_Official_Amended.CSV")
        data = results[0].read_bytes()
        amended.write_bytes(data.replace(b"Classified", b"Classified", 1))  # an amended re-post, same rows
    v1 = root / "raw_v1"
    shutil.copytree(
        v2,
        v1,
        copy_function=shutil.copy2,
        ignore=lambda d, names: (
            [n for n in names if any((Path(d) / n).as_posix().endswith(h) for h in HELD_BACK)]
            + (["03_Results_Race_Official_Amended.CSV"] if "03_Results_Race_Official_Amended.CSV" in names else [])
        ),
    )
    return v1, v2


def build_file(path: Path, rows_per_table: int, version: int) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for i in range(4):
            con.execute(
                f"CREATE OR REPLACE TABLE marts.t{i} AS SELECT range AS id, range * {version} AS v, "
                f"'row ' || range || ' of version {version}' AS label FROM range({rows_per_table})"
            )
        con.execute(
            f"CREATE OR REPLACE TABLE raw.ingested_files AS SELECT 'file' || range AS path, {version} AS v FROM range(100)"
        )
    finally:
        con.close()


def published_state(folder: Path) -> tuple:
    """The published DuckDB copy's tables, and every Parquet file read whole."""
    copy = folder / "pitwall.duckdb"
    sums = checksums(copy, schemas=("marts", "raw"))
    con = duckdb.connect()
    try:
        parquet = {
            str(p.relative_to(folder)): con.execute(
                "SELECT count(*), sum(hash(t)) FROM read_parquet(?, hive_partitioning = false) t", [str(p)]
            ).fetchall()[0]
            for p in sorted((folder / "parquet").rglob("*.parquet"))
        }
    finally:
        con.close()
    return sums, parquet
