"""JSON reports (2024 on): the real shared files, damaged variants, and a CSV twin counting once."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from helpers import REPO

from orchestration.ingest import ingest
from orchestration.ingest.json_reports import ReportError, parse

FIXTURES = REPO / "tests" / "fixtures" / "alkamel-json"
RESULTS = FIXTURES / "imsa-weathertech-2026-watkins-glen-race-results.json"
GRID = FIXTURES / "imsa-weathertech-2026-watkins-glen-race-grid.json"
SESSION = "26_2026/13_Watkins Glen International/01_IMSA WeatherTech SportsCar Championship/202606281210_Race"


def document(path: Path) -> dict:
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def put(root: Path, rel: str, data: bytes) -> str:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rel


def query(warehouse: Path, sql: str, params=None):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_real_results_keep_every_car_driver_and_json_only_field():
    report = parse(RESULTS.read_bytes())
    doc = document(RESULTS)
    assert report.kind.name == "race_results" and len(report.rows) == len(doc["classification"]) == 54
    drivers = sum(len(e["drivers"]) for e in doc["classification"])
    assert sum(1 for row in report.rows for n in range(1, 7) if row.get(f"driver{n}_firstname")) == drivers
    first = report.rows[0]
    assert (first["number"], first["position"], first["total_time"], first["pit_stops"], first["fl_time"]) == (
        "31",
        "1",
        "6:00:47.095",
        "5",
        "1:34.967",
    )
    assert first["driver1_hometown"] == "London, United Kingdom" and first["driver1_secondname"] == "Aitken"
    assert report.session["circuit_length_m"] == "5490.439"
    assert report.session["event_name"] == "Sahlen's Six Hours of The Glen"
    assert report.session["session_date"] == "28-06-2026 12:10"


def test_real_grid_names_the_starting_driver_and_leaves_out_empty_slots():
    report = parse(GRID.read_bytes())
    doc = document(GRID)
    assert report.kind.name == "grids"
    empty = [e for e in doc["grid"] if not e.get("number")]
    assert len(report.rows) == len(doc["grid"]) - len(empty) and report.note
    assert report.rows[0]["starting_driver"] == "Jack Aitken" and report.rows[0]["position"] == "1"


def test_a_classification_without_total_times_goes_to_classifications():
    # As in a qualifying or practice report: entries carry a best lap, no elapsed (total) time.
    doc = json.loads(RESULTS.read_bytes().decode("utf-8-sig"))
    assert parse(RESULTS.read_bytes()).kind.name == "race_results"
    for entry in doc["classification"]:
        entry.pop("elapsed_time", None)
    assert parse(json.dumps(doc).encode()).kind.name == "classifications"


def _damaged(doc: dict) -> dict[str, tuple[bytes, str]]:
    raw = json.dumps(doc).encode()
    wrong_type = json.loads(raw)
    wrong_type["classification"][3]["number"] = ["31"]
    drivers_not_list = json.loads(raw)
    drivers_not_list["classification"][0]["drivers"] = {"number": 1}
    garbage = json.loads(raw)
    garbage["classification"][5]["laps"] = "many"
    no_session = json.loads(raw)
    del no_session["session"]
    no_list = json.loads(raw)
    del no_list["classification"]
    as_object = json.loads(raw)
    as_object["classification"] = {"1": as_object["classification"][0]}
    return {
        "truncated": (raw[: len(raw) // 2], "invalid JSON"),
        "wrong_type": (json.dumps(wrong_type).encode(), "entry 4: 'number'"),
        "drivers_not_list": (json.dumps(drivers_not_list).encode(), "'drivers' is not a list"),
        "garbage": (json.dumps(garbage).encode(), "LAPS 'many' is not a valid value"),
        "no_session": (json.dumps(no_session).encode(), "no 'session' block"),
        "no_list": (json.dumps(no_list).encode(), "neither a 'classification' nor a 'grid'"),
        "as_object": (json.dumps(as_object).encode(), "'classification' is not a list"),
        "empty": (b"", "empty file"),
        "latin1": ('{"session": {"event_name": "Équipe"}, "grid": []}'.encode("latin-1"), "not UTF-8"),
    }


def test_damaged_json_is_set_aside_with_a_reason_and_nothing_lands(tmp_path):
    raw = tmp_path / "raw"
    put(raw, f"{SESSION}/03_Results_Race_Official.JSON", RESULTS.read_bytes())
    expected = {}
    for i, (name, (data, reason)) in enumerate(_damaged(document(RESULTS)).items()):
        rel = f"26_2026/{50 + i}_Bad {name}/01_IMSA/202606281210_Race/03_Results_Race_Official.JSON"
        expected[put(raw, rel, data)] = reason
    warehouse = tmp_path / "w.duckdb"
    ingest(raw, warehouse)
    rows = {p: (s, r) for p, s, r in query(warehouse, "select path, status, reason from raw.ingested_files")}
    for rel, reason in expected.items():
        status, got = rows[rel]
        assert status == "quarantined" and reason in got, (rel, got)
        assert query(warehouse, "select count(*) from raw.race_results where _file_path = ?", [rel]) == [(0,)]
        assert query(warehouse, "select count(*) from raw.report_sessions where _file_path = ?", [rel]) == [(0,)]
    assert rows[f"{SESSION}/03_Results_Race_Official.JSON"][0] == "loaded"


def test_parse_errors_are_one_line():
    with pytest.raises(ReportError) as err:
        parse(b'{"session": {}, "classification": [1, 2]}')
    assert "\n" not in str(err.value) and "entry 1" in str(err.value)


def csv_twin(doc: dict) -> bytes:
    """The same race classification written as an Al Kamel CSV (test material made from the real JSON)."""
    header = [
        "POSITION",
        "NUMBER",
        "STATUS",
        "LAPS",
        "TOTAL_TIME",
        "GAP_FIRST",
        "GAP_PREVIOUS",
        "FL_LAPNUM",
        "FL_TIME",
        "FL_KPH",
        "TEAM",
        "CLASS",
    ] + [f"DRIVER{n}_{f}" for n in range(1, 5) for f in ("FIRSTNAME", "SECONDNAME")]
    lines = [";".join(header) + ";"]
    for e in doc["classification"]:
        cells = [
            str(e["position"]),
            e["number"],
            e["status"],
            e["laps"],
            e["elapsed_time"],
            e["gap_first"],
            e["gap_previous"],
            e["fastest_lap_number"],
            e["fastest_lap_time"],
            e["fastest_lap_kph"],
            e["team"],
            e["class"],
        ]
        for n in range(4):
            d = e["drivers"][n] if n < len(e["drivers"]) else {}
            cells += [d.get("firstname", ""), d.get("surname", "")]
        lines.append(";".join(cells) + ";")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def test_csv_and_json_of_the_same_report_and_mark_count_once(tmp_path):
    raw = tmp_path / "raw"
    json_rel = put(raw, f"{SESSION}/03_Results_Race_Official.JSON", RESULTS.read_bytes())
    csv_rel = put(raw, f"{SESSION}/03_Results_Race_Official.CSV", csv_twin(document(RESULTS)))
    warehouse = tmp_path / "w.duckdb"
    ingest(raw, warehouse)
    status = dict(query(warehouse, "select path, status from raw.ingested_files"))
    assert status[json_rel] == "loaded" and status[csv_rel] == "superseded"
    assert query(warehouse, "select count(*) from raw.race_results") == [(108,)]  # both kept in raw
    # An Amended CSV outranks the Official JSON.
    amended = put(raw, f"{SESSION}/03_Results_Race_Official_Amended.CSV", csv_twin(document(RESULTS)))
    ingest(raw, warehouse)
    status = dict(query(warehouse, "select path, status from raw.ingested_files"))
    assert status[amended] == "loaded" and status[json_rel] == "superseded"
