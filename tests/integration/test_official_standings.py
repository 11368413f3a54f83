"""One `pitwall refresh` of the two real trees with official standings (IMSA WeatherTech 2026 at
Watkins Glen, Mustang Challenge 2026 at Mid-Ohio) into a temporary warehouse: nothing set aside,
and marts.official_standings equal to the JSON files value for value (read here with Python's json
module, nothing shared with the ingestion code)."""

from __future__ import annotations

import json

import pytest

from integration.test_real_archive import FIXTURES, MUSTANG, build, select

pytestmark = pytest.mark.integration

IMSA_2026 = FIXTURES / "imsa-weathertech-2026"
POINTS = ["race_points", "pole_points", "fastest_lap_points", "extra_points_1", "extra_points_2", "penalty_points",
          "extra_participation_points", "extra_not_started_points", "extra_not_classified_points"]
MART_COLUMNS = [
    "championship_file", "championship_name", "championship_title", "championship_sub_title", "season", "competitor_key",
    "team_name", "rookie_mark", "position", "total_points", "net_position", "total_net_points", "session_index",
    "session_event_name", "session_name", "session_status", "session_points",
    *[c for p in POINTS for c in (p, f"{p}_valid_for_net_points")],
]
# What each fixture championship is, as the mart reads it from the folders and the title.
DESCRIBED = {
    "IWSC 05 LMP2 Teams": ("imsa-weathertech", "teams", "LMP2", "main"),
    "IWSC 12 GTD Teams": ("imsa-weathertech", "teams", "GTD", "main"),
    "IMEC 04 LMP2 Teams": ("imsa-weathertech", "teams", "LMP2", "endurance"),
    "MC 01 DH Drivers": ("unknown:Mustang Challenge North America", "drivers", "DH", "main"),
    "MC 02 DHL Drivers": ("unknown:Mustang Challenge North America", "drivers", "DHL", "main"),
}


@pytest.fixture(scope="module")
def standings(tmp_path_factory):
    return build(tmp_path_factory, "standings", IMSA_2026, MUSTANG)


def _expected(refreshed) -> dict[tuple, tuple]:
    """(file path, competitor, session index) -> the mart's columns, from the JSON files."""
    rows = {}
    for path in sorted(refreshed.raw.rglob("Points Data*/*.json")):
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
        head = doc["championship"]
        names = {s["session_index"]: (s["event_name"], s["session_name"]) for s in head["sessions"]}
        rel = path.relative_to(refreshed.raw).as_posix()
        for c in doc["classification"]:
            for s in c["points_by_session"]:
                rows[(rel, c["key"], s["session_index"])] = (
                    path.stem, head["name"], head["main_title"], head["sub_title"], int(head["year"]), c["key"],
                    c.get("team"), c.get("rookie") or None, c["position"], c["total_points"], c["net_position"],
                    c["total_net_points"], s["session_index"], *names[s["session_index"]], s["status"] or None,
                    s["total_points"], *[v for p in POINTS for v in (s[p], s[f"{p}_valid_for_net_points"])],
                )
    return rows


def test_the_refresh_succeeds_with_nothing_set_aside(standings):
    assert "succeeded" in standings.output and " 0 failed" in standings.output, standings.output[-4000:]
    statuses = dict(select(standings.warehouse, "select status, count(*) from raw.ingested_files group by 1"))
    assert statuses.get("quarantined", 0) == 0
    kinds = dict(select(standings.warehouse, """
        select kind, count(*) from raw.ingested_files where status = 'loaded' group by 1"""))
    assert kinds["official_standings"] == 5


def test_the_mart_equals_the_files_value_for_value(standings):
    expected = _expected(standings)
    got = {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in select(standings.warehouse, f"""
            select source_file_path, competitor_key, session_index, {', '.join(MART_COLUMNS)}
            from marts.official_standings""")
    }
    assert len(expected) == 1320
    assert got.keys() == expected.keys()
    for key, row in expected.items():
        assert got[key] == row, key


def test_each_championship_is_described_from_its_folders_and_title(standings):
    described = {
        r[0]: r[1:] for r in select(standings.warehouse, """
            select distinct championship_file, series_id, championship_kind, class_name, cup
            from marts.official_standings""")
    }
    assert described == DESCRIBED
    after = set(select(standings.warehouse, "select distinct after_event_name, report_mark from marts.official_standings"))
    assert after == {("Watkins Glen International", "Official"), ("Mid-Ohio Sports Car Course", "Official")}


def test_standings_files_are_not_sessions(standings):
    names = {r[0] for r in select(standings.warehouse, "select session_name from marts.dim_sessions")}
    assert names == {"Race", "Qualifying", "Race 1", "Race 2"}
