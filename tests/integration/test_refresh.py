"""The whole path on a temporary copy of raw/: files -> raw tables -> marts, row for row, per file;
a second refresh loads nothing and changes no table, nor does a forced second `dbt build`
(`--rebuild`); every dbt test passes. (Values, file against mart: test_oracle.py.)"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess

import duckdb
import pytest
from helpers import REPO, ROAD_AMERICA_IMSA
from integration.conftest import PITWALL
from reliability.common import checksums as every_table

pytestmark = pytest.mark.integration

# The mart that carries each report kind's rows, one row per file row, traced by source_file_path.
MART_OF_KIND = {
    "race_results": "marts.fct_session_results",
    "classifications": "marts.fct_session_results",
    "time_cards": "marts.fct_laps",
    "weather": "marts.fct_weather",
}


def data_rows(path) -> int:
    return sum(1 for line in path.read_bytes().splitlines()[1:] if line.strip())


def checksums(warehouse) -> dict[str, tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'marts') and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select count(*), sum(hash(x)) from "{s}"."{t}" x').fetchall()[0]
            for s, t in tables
        }
    finally:
        con.close()


def test_run_succeeds_and_every_dbt_test_passes(refreshed):
    assert "succeeded" in refreshed.output
    assert " 0 failed" in refreshed.output, refreshed.output[-3000:]


def test_rows_in_files_equal_rows_in_raw_and_in_marts(refreshed, query):
    files = query("select path, kind, status, rows_loaded from raw.ingested_files where kind is not null")
    assert len(files) > 100
    checked = 0
    for path, kind, status, rows_loaded in files:
        file = refreshed.raw / path
        if file.suffix.lower() == ".csv":
            assert rows_loaded == data_rows(file), path
        in_raw = query(f"select count(*) from raw.{kind} where _file_path = ?", [path])[0][0]
        assert in_raw == rows_loaded, path
        mart = MART_OF_KIND.get(kind)
        if mart and status == "loaded":
            in_mart = query(f"select count(*) from {mart} where source_file_path = ?", [path])[0][0]
            assert in_mart == rows_loaded, (path, mart)
            checked += 1
        if mart and status == "superseded":
            assert query(f"select count(*) from {mart} where source_file_path = ?", [path])[0][0] == 0, path
    assert checked >= 90  # 24 sessions x 3 reports (results, time cards, weather) + real IMSA files


def test_grid_reports_become_grid_positions(query):
    rows = query(
        """select g._session_key, count(*) as grid_rows,
                  (select count(*) from marts.fct_session_results r
                   where r.session_id = g._session_key and r.grid_source = 'grid report') as with_grid
           from raw.grids g join raw.ingested_files f on f.path = g._file_path and f.status = 'loaded'
           group by g._session_key"""
    )
    assert rows and all(grid == with_grid for _, grid, with_grid in rows)


def test_second_refresh_loads_nothing_and_changes_no_table(refreshed):
    before = checksums(refreshed.warehouse)
    again = refreshed.run()
    assert "succeeded" in again.stdout
    assert checksums(refreshed.warehouse) == before
    con = duckdb.connect(str(refreshed.warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from raw.ingested_files where status = 'quarantined'").fetchall() == [(0,)]
    finally:
        con.close()


def test_a_forced_second_dbt_build_changes_no_table(refreshed):
    """`pitwall refresh --rebuild` runs `dbt build` again on unchanged files (the plain second
    refresh above skips dbt): every table of every schema stays identical, row for row (the clock
    columns and schema meta, which say when, left out)."""
    before = every_table(refreshed.warehouse)
    again = refreshed.run("--rebuild")
    built = re.search(r"dbt: (\d+) of (\d+) models and seeds built; tests: (\d+) passed, 0 failed", again.stdout)
    assert built and built[1] == built[2] and int(built[1]) > 30, again.stdout[-3000:]
    after = every_table(refreshed.warehouse)
    assert len(after) > 30 and any(name.startswith("intermediate.") for name in after)
    # int_sessions_changed says what the build found changed: every session after the first (full)
    # build, none now (nothing was new); every other table must be identical.
    bookkeeping = "intermediate.int_sessions_changed"
    assert after.pop(bookkeeping)[0] == 0 and before.pop(bookkeeping)[0] > 0
    assert {k for k in after if after[k] != before.get(k)} == set() and after == before


def test_sql_lists_the_road_america_class_winners_as_in_the_official_file(refreshed):
    official = ROAD_AMERICA_IMSA / "202408041410_Race" / "03_Results_Race_Official.CSV"
    reader = csv.reader(io.StringIO(official.read_text(encoding="utf-8-sig")), delimiter=";")
    header = next(reader)
    first_of_class: dict[str, str] = {}
    for row in reader:
        cls, number = row[header.index("CLASS")], row[header.index("NUMBER")]
        first_of_class.setdefault(cls, number)
    sql = """
        select c.class_name, r.car_number
        from marts.fct_session_results r
        join marts.dim_sessions s on s.session_id = r.session_id
        join marts.dim_events e on e.event_id = s.event_id
        join marts.dim_classes c on c.class_id = r.class_id
        where e.series_id = 'imsa-weathertech' and e.season = 2024 and e.event_name = 'Road America'
          and s.session_type = 'race' and r.class_position = 1
        order by r.finish_position"""
    done = subprocess.run(
        [str(PITWALL), "sql", sql, "--warehouse", str(refreshed.warehouse), "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(refreshed.dagster_home)},
    )
    assert done.returncode == 0, done.stderr
    winners = {row["class_name"]: row["car_number"] for row in json.loads(done.stdout)}
    aliases = {"GTDPRO": "GTD PRO"}
    assert winners == {aliases.get(k, k): v for k, v in first_of_class.items()}
    assert winners == {"GTP": "6", "LMP2": "2", "GTD PRO": "35", "GTD": "96"}
