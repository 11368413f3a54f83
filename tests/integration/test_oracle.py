"""Values, not row counts: every file the warehouse loaded, read again by an independent reader
(tests/oracle/files.py: csv and json only), against the marts row by row and value by value
(tests/oracle/reconcile.py says which columns and the documented rules).

One refresh of a raw tree holding all the real data at hand: the 2021-2022 WeatherTech archive
(tests/fixtures/imsa-weathertech-2021-2022/, 453 files), raw/ (the real 2024 events and the synthetic
Carrera Cup seasons) and the 2026 JSON race (results and grid). The comparison covers whatever
sessions ingestion loaded (raw.ingested_files status 'loaded'), so test days, standings or grid
subfolders are compared as soon as ingestion takes them. ~70-90 s of refresh, ~10 s of comparison.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from helpers import RAW, REPO
from integration.conftest import refresh
from oracle import files as oracle_files
from oracle.reconcile import RULES, reconcile
from reliability.common import record
from unit.test_json_reports import GRID, RESULTS, SESSION, put

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

ARCHIVE = REPO / "tests" / "fixtures" / "imsa-weathertech-2021-2022"


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    root = tmp_path_factory.mktemp("oracle")
    raw = root / "raw"
    shutil.copytree(ARCHIVE, raw)
    shutil.copytree(RAW, raw, dirs_exist_ok=True)
    put(raw, f"{SESSION}/03_Results_Race_Official.JSON", RESULTS.read_bytes())
    put(raw, f"{SESSION}/00_Grid_Race_Official.JSON", GRID.read_bytes())
    home = root / "home"
    home.mkdir()
    warehouse = root / "warehouse" / "pitwall.duckdb"
    done = refresh(raw, warehouse, home)
    assert " 0 failed" in done.stdout, done.stdout[-3000:]
    return raw, warehouse


def test_every_value_users_read_equals_the_files(everything):
    raw, warehouse = everything
    summary = reconcile(warehouse, raw)
    print("\n" + summary.text())
    record(
        "oracle_reconciliation",
        {
            "files": dict(summary.files),
            "rows": dict(summary.rows),
            "values": dict(summary.values),
            "differences_by_rule": dict(summary.by_rule),
            "not_compared": dict(summary.not_compared),
            "unexplained": summary.failures[:200],
        },
    )
    assert summary.failures == [], summary.text()
    assert set(summary.by_rule) <= set(RULES)
    # Everything at hand was compared: each kind of file, the JSON race and the archive's sessions.
    assert summary.files["time_cards"] >= 170 and summary.files["weather"] >= 170 and summary.files["results"] >= 40
    assert summary.rows["fct_laps"] > 200_000 and summary.rows["fct_session_results"] > 5_000
    assert sum(summary.values.values()) > 4_000_000
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        json_rows = con.execute(
            "select count(*) from marts.fct_session_results where source_file_path like '%.JSON'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert json_rows == len(oracle_files.results_of_json(RESULTS.read_bytes(), race=True)) == 54


# Wrong values planted in a copy of the marts, one per mart: each must be reported, by column.
PLANTED = {
    "fct_laps lap_time_ms": "update marts.fct_laps set lap_time_ms = lap_time_ms + 1 where rowid = (select min(rowid) from marts.fct_laps where lap_time_ms is not null)",
    "fct_laps class_position": "update marts.fct_laps set class_position = class_position + 1 where rowid = (select min(rowid) from marts.fct_laps)",
    "fct_session_results class_position": "update marts.fct_session_results set class_position = class_position + 1 where rowid = (select min(rowid) from marts.fct_session_results where class_position is not null)",
    "fct_session_results gap_first": "update marts.fct_session_results set gap_first = '+0.001' where rowid = (select min(rowid) from marts.fct_session_results where gap_first = '+1 Lap' or gap_first like '+%')",
    "fct_weather air_temp_f": "update marts.fct_weather set air_temp_f = air_temp_f + 0.01 where rowid = (select min(rowid) from marts.fct_weather)",
    "bridge driver_order": "update marts.bridge_session_result_drivers set driver_order = driver_order + 10 where rowid = (select min(rowid) from marts.bridge_session_result_drivers)",
    "dim_drivers name": "update marts.dim_drivers set last_name = last_name || 'x' where rowid = (select min(rowid) from marts.dim_drivers)",
}
EXPECTED_COLUMN = {
    "fct_laps lap_time_ms": "lap_time_ms",
    "fct_laps class_position": "class_position",
    "fct_session_results class_position": "class_position",
    "fct_session_results gap_first": "gap_first",
    "fct_weather air_temp_f": "air_temp_f",
    "bridge driver_order": "driver orders",
    "dim_drivers name": "name",
}


def test_a_wrong_value_in_any_mart_is_reported(everything, tmp_path):
    """The comparison can fail: one wrong value planted in each mart of a copy, each one reported."""
    raw, warehouse = everything
    copy = tmp_path / "planted.duckdb"
    shutil.copy2(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        for name, sql in PLANTED.items():
            assert con.execute(sql).fetchall()[0][0] == 1, name
    finally:
        con.close()
    failures = reconcile(copy, raw).failures
    columns = {failure.split(": ", 1)[1].split(" expected")[0] for failure in failures}
    assert columns == set(EXPECTED_COLUMN.values()), failures[:20]
