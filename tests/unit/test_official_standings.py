"""The officials' standings (JSON files of a `Points Data` folder): the parser on the real files, the
layout of every folder spelling, a later round's or a higher mark's file superseding, a damaged file
set aside (no Dagster, no dbt)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from helpers import REPO

from orchestration.ingest import ingest
from orchestration.ingest.formats import STANDINGS_POINTS
from orchestration.ingest.json_reports import ReportError, parse_standings
from orchestration.ingest.layout import POINTS_DATA_CSV_REASON, describe, discover

FIXTURES = REPO / "tests" / "fixtures"
IMSA = (
    FIXTURES
    / "imsa-weathertech-2026/26_2026/12_Watkins Glen International/01_IMSA WeatherTech SportsCar Championship/Points Data - Official"
)
MUSTANG = (
    FIXTURES
    / "mustang-challenge-2026/26_2026/10_Mid-Ohio Sports Car Course/02_Mustang Challenge North America/Points Data - Official"
)
REAL_FILES = sorted(IMSA.glob("*.json")) + sorted(MUSTANG.glob("*.json"))
GTD = IMSA / "IWSC 12 GTD Teams.json"
SERIES = "26_2026/{event}/01_IMSA WeatherTech SportsCar Championship"


def document(path: Path) -> dict:
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def query(warehouse: Path, sql: str, params=None):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def put(root: Path, rel: str, data: bytes) -> str:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rel


def manifest(warehouse: Path) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in query(warehouse, "SELECT path, status, reason, kind, mark FROM raw.ingested_files")}


def test_the_real_files_are_all_there():
    assert [p.name for p in REAL_FILES] == [
        "IMEC 04 LMP2 Teams.json",
        "IWSC 05 LMP2 Teams.json",
        "IWSC 12 GTD Teams.json",
        "MC 01 DH Drivers.json",
        "MC 02 DHL Drivers.json",
    ]


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.stem)
def test_every_competitor_and_session_is_a_row_and_the_points_add_up(path):
    doc = document(path)
    report = parse_standings(path.read_bytes())
    assert report.kind.name == "official_standings"
    sessions = {str(s["session_index"]): (s["event_name"], s["session_name"]) for s in doc["championship"]["sessions"]}
    expected = {(c["key"], str(s["session_index"])) for c in doc["classification"] for s in c["points_by_session"]}
    got = [(r["key"], r["session_index"]) for r in report.rows]
    assert len(got) == len(set(got)) == len(expected) and set(got) == expected
    assert {r["key"] for r in report.rows} == {c["key"] for c in doc["classification"]}
    for row in report.rows:
        assert (row["session_event_name"], row["session_name"]) == sessions[row["session_index"]]
        assert row["championship_name"] == doc["championship"]["name"]
        assert row["championship_main_title"] == doc["championship"]["main_title"]
        assert row["championship_creation_date"] == doc["championship"]["creation_date"]
        # The components make the session's points.
        assert sum(float(row[p]) for p in STANDINGS_POINTS) == pytest.approx(float(row["session_total_points"]))
        assert row["race_points_valid_for_net_points"] in ("true", "false")
    for competitor in doc["classification"]:
        rows = [r for r in report.rows if r["key"] == competitor["key"]]
        assert {r["position"] for r in rows} == {str(competitor["position"])}
        assert {r["total_points"] for r in rows} == {str(competitor["total_points"])}
        # The sessions' points make the competitor's total.
        assert sum(float(r["session_total_points"]) for r in rows) == pytest.approx(competitor["total_points"])


def test_the_competitor_fields_of_each_kind_of_championship():
    teams = parse_standings(GTD.read_bytes()).rows[0]
    assert (teams["key"], teams["team"], teams["position"]) == ("27", "Heart of Racing Team", "1")
    assert "rookie" not in teams
    drivers = parse_standings((MUSTANG / "MC 01 DH Drivers.json").read_bytes()).rows
    assert {r["rookie"] for r in drivers} == {None, "V"}  # '' reads as null, like an empty CSV cell
    endurance = parse_standings((IMSA / "IMEC 04 LMP2 Teams.json").read_bytes()).rows
    assert {r["session_name"] for r in endurance} >= {"Hour 6", "Hour 12", "Hour 18", "Finish"}


def test_the_mustang_pole_and_fastest_lap_bonuses_are_read():
    rows = {
        (r["key"], r["session_index"]): r
        for r in parse_standings((MUSTANG / "MC 01 DH Drivers.json").read_bytes()).rows
    }
    race_1 = rows[("Cole Loftsgard", "1")]
    assert (
        race_1["race_points"],
        race_1["pole_points"],
        race_1["fastest_lap_points"],
        race_1["session_total_points"],
    ) == ("350.0", "10.0", "10.0", "370.0")
    assert (rows[("Sandy Satullo", "6")]["pole_points"], rows[("Sandy Satullo", "6")]["fastest_lap_points"]) == (
        "0.0",
        "10.0",
    )
    bonuses = [r for r in rows.values() if float(r["pole_points"]) or float(r["fastest_lap_points"])]
    assert len(bonuses) == 7


def test_a_competitor_without_sessions_is_one_row_with_a_null_session():
    doc = document(GTD)
    doc["classification"][0]["points_by_session"] = []
    rows = parse_standings(json.dumps(doc).encode()).rows
    alone = [r for r in rows if r["key"] == doc["classification"][0]["key"]]
    assert len(alone) == 1 and alone[0].get("session_index") is None and alone[0].get("race_points") is None


@pytest.mark.parametrize(
    "folder,mark",
    [
        ("Points Data - Official", "Official"),
        ("Points Data - Offiical", "Official"),
        ("POINTS DATA", None),
        ("Points Data - Provisional", "Provisional"),
    ],
)
def test_every_folder_spelling_is_a_standings_folder(tmp_path, folder, mark):
    rel = f"{SERIES.format(event='12_Watkins Glen International')}/{folder}/IWSC 12 GTD Teams.json"
    put(tmp_path, rel, b"{}")
    found = describe(tmp_path, tmp_path / rel, (tmp_path / rel).stat())
    assert found.standings and (found.report, found.mark, found.session_start_local) == (
        "IWSC 12 GTD Teams",
        mark,
        None,
    )
    assert (found.season, found.event_number, found.series_name) == (
        2026,
        12,
        "IMSA WeatherTech SportsCar Championship",
    )


def test_a_championship_keeps_its_key_across_rounds_marks_and_series_folder_numbers(tmp_path):
    paths = [
        "26_2026/12_Watkins Glen International/01_IMSA WeatherTech SportsCar Championship/Points Data - Official/IWSC 12 GTD Teams.json",
        "26_2026/18_VIRginia International Raceway/02_IMSA WeatherTech SportsCar Championship/Points Data - Offiical/IWSC 12 GTD Teams.json",
        "26_2026/18_VIRginia International Raceway/02_IMSA WeatherTech SportsCar Championship/Points Data - Provisional/IWSC 12 GTD Teams.json",
    ]
    for rel in paths:
        put(tmp_path, rel, b"{}")
    keys = {describe(tmp_path, tmp_path / rel, (tmp_path / rel).stat()).session_key for rel in paths}
    assert len(keys) == 1
    other = put(tmp_path, paths[0].replace("IWSC 12 GTD Teams", "IWSC 05 LMP2 Teams"), b"{}")
    assert describe(tmp_path, tmp_path / other, (tmp_path / other).stat()).session_key not in keys


def test_discover_lists_standings_json_as_data_and_csv_twins_as_skipped(tmp_path):
    folder = f"{SERIES.format(event='12_X')}/Points Data - Official"
    put(tmp_path, f"{folder}/IWSC 12 GTD Teams.json", b"{}")
    put(tmp_path, f"{folder}/IWSC 12 GTD Teams.csv", b"x")
    put(tmp_path, "23_2023/22_PCCNA COTA/POINTS DATA/Drivers.JSON", b"{}")
    found = discover(tmp_path)
    assert sorted(f.path.rsplit("/", 1)[-1] for f in found.data) == ["Drivers.JSON", "IWSC 12 GTD Teams.json"]
    assert all(f.standings for f in found.data) and found.misplaced == []
    assert [(s.path.rsplit("/", 1)[-1], s.reason) for s in found.skipped] == [
        ("IWSC 12 GTD Teams.csv", POINTS_DATA_CSV_REASON)
    ]


def _standings(root: Path, event: str, folder: str, data: bytes | None = None) -> str:
    return put(root, f"{SERIES.format(event=event)}/{folder}/IWSC 12 GTD Teams.json", data or GTD.read_bytes())


def test_a_later_rounds_file_supersedes_whatever_the_marks(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "pitwall.duckdb"
    earlier = _standings(raw, "12_Watkins Glen International", "Points Data - Official")
    ingest(raw, warehouse)
    later = _standings(raw, "18_VIRginia International Raceway", "Points Data - Provisional")
    ingest(raw, warehouse)
    files = manifest(warehouse)
    assert files[later][:2] == ("loaded", None)
    assert files[earlier][0] == "superseded" and later in files[earlier][1]
    # Both stay in raw; only the loaded one flows downstream.
    assert query(warehouse, "SELECT count(DISTINCT _file_path) FROM raw.official_standings") == [(2,)]


def test_within_a_round_official_supersedes_provisional(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "pitwall.duckdb"
    provisional = _standings(raw, "18_VIRginia International Raceway", "Points Data - Provisional")
    ingest(raw, warehouse)
    assert manifest(warehouse)[provisional][0] == "loaded"
    official = _standings(raw, "18_VIRginia International Raceway", "Points Data - Offiical")
    ingest(raw, warehouse)
    files = manifest(warehouse)
    assert files[official][:4] == ("loaded", None, "official_standings", "Official")
    assert files[provisional][0] == "superseded" and official in files[provisional][1]


def _damaged() -> dict[str, tuple[bytes, str]]:
    good = document(GTD)
    garbage = json.loads(json.dumps(good))
    garbage["classification"][2]["points_by_session"][0]["race_points"] = "lots"
    unlisted = json.loads(json.dumps(good))
    unlisted["classification"][0]["points_by_session"][0]["session_index"] = 99
    no_key = json.loads(json.dumps(good))
    no_key["classification"][1]["key"] = ""
    return {
        "truncated": (GTD.read_bytes()[:5000], "invalid JSON"),
        "results": (b'{"session": {}, "classification": []}', "no 'championship' block"),
        "garbage": (json.dumps(garbage).encode(), "entry 3: RACE_POINTS 'lots' is not a valid value"),
        "unlisted": (json.dumps(unlisted).encode(), "session_index '99' is not in the championship's sessions"),
        "no_key": (json.dumps(no_key).encode(), "entry 2: KEY is empty"),
        "empty": (b"", "empty file"),
    }


def test_a_damaged_standings_file_is_set_aside_with_a_reason(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "pitwall.duckdb"
    good = _standings(raw, "12_Watkins Glen International", "Points Data - Official")
    expected = {}
    for i, (name, (data, reason)) in enumerate(_damaged().items()):
        rel = put(raw, f"2{i}_2020/01_Bad {name}/01_S/Points Data - Official/IWSC 12 GTD Teams.json", data)
        expected[rel] = reason
    report = ingest(raw, warehouse)
    files = manifest(warehouse)
    assert files[good][0] == "loaded"
    for rel, reason in expected.items():
        status, got, *_ = files[rel]
        assert status == "quarantined" and reason.lower() in got.lower() and "\n" not in got, (rel, got)
        assert query(warehouse, "SELECT count(*) FROM raw.official_standings WHERE _file_path = ?", [rel]) == [(0,)]
    assert report.set_aside == len(expected)


def test_a_damaged_parse_names_the_place():
    with pytest.raises(ReportError, match="'classification' is empty"):
        parse_standings(b'{"championship": {}, "classification": []}')
    with pytest.raises(ReportError, match="entry 1: 'points_by_session' is not a list"):
        parse_standings(b'{"championship": {}, "classification": [{"key": "1", "points_by_session": 3}]}')


def test_a_second_run_reads_nothing_and_a_changed_file_replaces_its_rows(tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse" / "pitwall.duckdb"
    rel = _standings(raw, "12_Watkins Glen International", "Points Data - Official")
    ingest(raw, warehouse)
    assert ingest(raw, warehouse).files_read == 0
    doc = document(GTD)
    doc["classification"] = doc["classification"][:2]
    (raw / rel).write_bytes(json.dumps(doc).encode())
    os.utime(raw / rel, ns=(1, 1))
    ingest(raw, warehouse)
    assert query(warehouse, "SELECT count(DISTINCT key), count(*) FROM raw.official_standings") == [(2, 44)]
