"""A raw tree holding only the shared JSON race (results + grid) builds the marts with every car and driver."""

from __future__ import annotations

import json

import duckdb
import pytest
from integration.conftest import refresh
from unit.test_json_reports import GRID, RESULTS, SESSION, document, put

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def json_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("json")
    raw = root / "raw"
    put(raw, f"{SESSION}/03_Results_Race_Official.JSON", RESULTS.read_bytes())
    put(raw, f"{SESSION}/00_Grid_Race_Provisional.JSON", GRID.read_bytes())
    # The other date format seen on the site, on a qualifying report made from the same entries.
    qualifying = document(RESULTS)
    qualifying["session"].update(session_name="Qualifying", session_type="Qualifying", session_date="27/06/2026 15:40")
    put(
        raw,
        SESSION.replace("202606281210_Race", "202606271540_Qualifying") + "/03_Results_Qualifying_Official.JSON",
        json.dumps(qualifying).encode(),
    )
    warehouse = root / "w.duckdb"
    (root / "home").mkdir()
    done = refresh(raw, warehouse, root / "home")
    assert " 0 failed" in done.stdout, done.stdout[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_every_car_and_every_driver_of_the_file(json_warehouse):
    doc = document(RESULTS)
    cars = {e["number"] for e in doc["classification"]}
    drivers = {(d["firstname"], d["surname"]) for e in doc["classification"] for d in e["drivers"]}
    race = """select r.car_number from marts.fct_session_results r join marts.dim_sessions s using (session_id)
              where s.session_type = 'race'"""
    assert {c for (c,) in json_warehouse.execute(race).fetchall()} == cars
    got = json_warehouse.execute(
        """select distinct d.first_name, d.last_name from marts.bridge_session_result_drivers b
           join marts.dim_drivers d using (driver_id) join marts.dim_sessions s using (session_id)
           where s.session_type = 'race'"""
    ).fetchall()
    assert set(got) == drivers


def test_json_only_fields_and_dimensions(json_warehouse):
    pit_stops, cause_known = json_warehouse.execute(
        "select sum(pit_stops), count(not_finished) from marts.fct_session_results where session_type = 'race'"
    ).fetchall()[0]
    assert pit_stops > 0 and cause_known == 54
    event = json_warehouse.execute("select official_event_name, circuit_id from marts.dim_events").fetchall()
    assert event == [("Sahlen's Six Hours of The Glen", "watkins-glen")]
    reported = json_warehouse.execute(
        "select reported_length_km from marts.dim_circuits where circuit_id = 'watkins-glen'"
    ).fetchall()
    assert reported == [(5.490439,)]
    grid = json_warehouse.execute(
        "select count(*) from marts.fct_session_results where grid_source = 'grid report'"
    ).fetchall()
    assert grid == [(54,)]


def test_both_published_date_formats(json_warehouse):
    dates = json_warehouse.execute(
        "select strftime(session_start_local, '%Y-%m-%d %H:%M') from staging.stg_alkamel__report_sessions order by 1"
    ).fetchall()
    assert dates == [("2026-06-27 15:40",), ("2026-06-28 12:10",), ("2026-06-28 12:10",)]


def test_class_winners(json_warehouse):
    winners = json_warehouse.execute(
        """select c.class_name, r.car_number from marts.fct_session_results r
           join marts.dim_classes c using (class_id)
           where r.session_type = 'race' and r.class_position = 1 order by r.finish_position"""
    ).fetchall()
    first = {}
    for e in sorted(document(RESULTS)["classification"], key=lambda e: e["position"]):
        first.setdefault(e["class"], e["number"])
    assert dict(winners) == {("GTD PRO" if k == "GTDPRO" else k): v for k, v in first.items()}
