"""One `pitwall refresh` of the two real trees with official standings (IMSA WeatherTech 2026 at
Watkins Glen, Mustang Challenge 2026 at Mid-Ohio) into a temporary warehouse: nothing set aside,
and marts.official_standings equal to the JSON files value for value (read here with Python's json
module, nothing shared with the ingestion code)."""

from __future__ import annotations

import json
import shutil

import pytest
from integration.conftest import FIXTURES, MUSTANG, build
from integration.test_real_archive import select

pytestmark = pytest.mark.integration

IMSA_2026 = FIXTURES / "imsa-weathertech-2026"
POINTS = [
    "race_points",
    "pole_points",
    "fastest_lap_points",
    "extra_points_1",
    "extra_points_2",
    "penalty_points",
    "extra_participation_points",
    "extra_not_started_points",
    "extra_not_classified_points",
]
MART_COLUMNS = [
    "championship_file",
    "championship_name",
    "championship_title",
    "championship_sub_title",
    "season",
    "competitor_key",
    "team_name",
    "rookie_mark",
    "position",
    "total_points",
    "net_position",
    "total_net_points",
    "session_index",
    "session_event_name",
    "session_name",
    "session_status",
    "session_points",
    *[c for p in POINTS for c in (p, f"{p}_valid_for_net_points")],
]
# What each fixture championship is, as the mart reads it from the folders and the title.
DESCRIBED = {
    "IWSC 05 LMP2 Teams": ("imsa-weathertech", "teams", "LMP2", "main"),
    "IWSC 12 GTD Teams": ("imsa-weathertech", "teams", "GTD", "main"),
    "IMEC 04 LMP2 Teams": ("imsa-weathertech", "teams", "LMP2", "endurance"),
    "MC 01 DH Drivers": ("mustang-challenge", "drivers", "DH", "main"),
    "MC 02 DHL Drivers": ("mustang-challenge", "drivers", "DHL", "main"),
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
                    path.stem,
                    head["name"],
                    head["main_title"],
                    head["sub_title"],
                    int(head["year"]),
                    c["key"],
                    c.get("team"),
                    c.get("rookie") or None,
                    c["position"],
                    c["total_points"],
                    c["net_position"],
                    c["total_net_points"],
                    s["session_index"],
                    *names[s["session_index"]],
                    s["status"] or None,
                    s["total_points"],
                    *[v for p in POINTS for v in (s[p], s[f"{p}_valid_for_net_points"])],
                )
    return rows


def test_the_refresh_succeeds_with_nothing_set_aside(standings):
    assert "succeeded" in standings.output and " 0 failed" in standings.output, standings.output[-4000:]
    statuses = dict(select(standings.warehouse, "select status, count(*) from raw.ingested_files group by 1"))
    assert statuses.get("quarantined", 0) == 0
    kinds = dict(
        select(
            standings.warehouse,
            """
        select kind, count(*) from raw.ingested_files where status = 'loaded' group by 1""",
        )
    )
    assert kinds["official_standings"] == 5


def test_the_mart_equals_the_files_value_for_value(standings):
    expected = _expected(standings)
    got = {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in select(
            standings.warehouse,
            f"""
            select source_file_path, competitor_key, session_index, {', '.join(MART_COLUMNS)}
            from marts.official_standings""",
        )
    }
    assert len(expected) == 1320
    assert got.keys() == expected.keys()
    for key, row in expected.items():
        assert got[key] == row, key


def test_each_championship_is_described_from_its_folders_and_title(standings):
    described = {
        r[0]: r[1:]
        for r in select(
            standings.warehouse,
            """
            select distinct championship_file, series_id, championship_kind, class_name, cup
            from marts.official_standings""",
        )
    }
    assert described == DESCRIBED
    after = set(
        select(standings.warehouse, "select distinct after_event_name, report_mark from marts.official_standings")
    )
    assert after == {("Watkins Glen International", "Official"), ("Mid-Ohio Sports Car Course", "Official")}


def test_standings_files_are_not_sessions(standings):
    names = {r[0] for r in select(standings.warehouse, "select session_name from marts.dim_sessions")}
    assert names == {"Race", "Qualifying", "Race 1", "Race 2"}


# --- Reconciliation: the officials' standings against the warehouse's own points -------------------

RECONCILIATION_REASONS = {
    "no results file for that session in the warehouse",
    "no hour report or time cards for that checkpoint in the warehouse",
    "competitor not found in that session",
    "a penalty or adjustment only the official table shows",
}


def test_every_official_row_reconciles_or_is_explained(standings):
    rows = select(
        standings.warehouse,
        """
        select championship_title, session_event_name, session_name, session_id is not null as held, difference, reason
        from marts.standings_reconciliation""",
    )
    official_rows = select(standings.warehouse, "select count(*) from marts.official_standings")[0][0]
    assert len(rows) == official_rows > 0
    unexplained = [r for r in rows if r[4] != 0 and r[5] not in RECONCILIATION_REASONS]
    assert not unexplained, unexplained[:10]  # 'points differ' is a defect, never an accepted reason
    # Every session the warehouse holds reconciles to the point in the main championships: the 2026
    # Watkins Glen race (LMP2 and GTD teams) and the Mustang races at Mid-Ohio, bonuses included.
    held_main = [r for r in rows if r[3] and "Endurance" not in r[0]]
    assert held_main and all(r[4] == 0 for r in held_main), [r for r in held_main if r[4]][:10]
    assert {(r[0], r[1], r[2]) for r in held_main} >= {
        ("IMSA WeatherTech SportsCar Championship GTD Teams", "Watkins Glen", "Race"),
        ("IMSA WeatherTech SportsCar Championship LMP2 Teams", "Watkins Glen", "Race"),
        ("Mustang Challenge DH Drivers", "Mid-Ohio", "Round 5"),
        ("Mustang Challenge DH Drivers", "Mid-Ohio", "Round 6"),
    }


def test_pole_and_fastest_lap_bonuses_and_a_non_points_entry_reconcile(standings):
    by_key = {
        (r[0], r[1]): r[2:]
        for r in select(
            standings.warehouse,
            """
        select competitor_key, session_name, official_points, warehouse_points from marts.standings_reconciliation
        where championship_title = 'Mustang Challenge DH Drivers' and session_name in ('Round 5', 'Round 6')""",
        )
    }
    assert by_key[("Cole Loftsgard", "Round 5")] == (370.0, 370)  # 350 + pole 10 + fastest lap 10
    assert by_key[("Jim Farley", "Round 6")] == (0.0, None)  # a non-points entry (seed non_scoring_entries): no points
    assert by_key[("Colin Harrison", "Round 6")] == (220.0, 220)  # behind him: a place higher


def test_the_refresh_summary_counts_the_differences(standings):
    count = select(standings.warehouse, "select count(*) from marts.standings_reconciliation where difference <> 0")[0][
        0
    ]
    assert f"{count:,} difference(s) from the official standings" in standings.output


def test_the_endurance_cup_finish_reconciles_and_its_hour_checkpoint_is_explained(standings):
    """IMEC LMP2 Teams after Watkins Glen 2026: the finish checkpoint, scored from the race's
    classification (5, 4, 3, then 2 to every other car, #37 with 31 laps of 180 included), equals the
    official points car for car; hour 3 has no hour report or time cards in the shared files."""
    rows = select(
        standings.warehouse,
        """
        select session_name, competitor_key, official_points, warehouse_points, difference, reason
        from marts.standings_reconciliation
        where cup = 'endurance' and session_event_name = 'Watkins Glen'""",
    )
    finish = {r[1]: r[2:] for r in rows if r[0] == "Finish"}
    assert len(finish) == 14
    assert all(r[2] == 0 and r[3] is None for r in finish.values()), finish
    assert finish["99"][:2] == (5.0, 5) and finish["04"][:2] == (4.0, 4) and finish["18"][:2] == (3.0, 3)
    assert finish["37"][:2] == (2.0, 2)
    assert finish["79"][:2] == (0.0, None)  # did_not_race in the official file, no car in the race
    hour = {r[1]: r[2:] for r in rows if r[0] == "Hour 3"}
    assert {r[3] for r in hour.values() if r[2] != 0} == {
        "no hour report or time cards for that checkpoint in the warehouse"
    }
    bases = dict(
        select(
            standings.warehouse,
            """
        select checkpoint, string_agg(distinct basis) from marts.endurance_cup_checkpoints group by 1""",
        )
    )
    assert bases == {"Finish": "race classification"}


def test_the_standings_note_says_the_official_standings_differ_and_why(standings):
    sentences = [
        r[0]
        for r in select(
            standings.warehouse,
            """
        select sentence from marts.race_notes
        where kind = 'standings_leader' and series_id = 'mustang-challenge' and sentence like '%round 2%'""",
        )
    ]
    # The officials' tables count rounds 1-4, which the warehouse does not hold.
    assert sorted(sentences) == [
        "Cole Loftsgard leads the DH standings after round 2 with 700 points, 30 ahead of the next driver. The "
        "official standings differ: Cole Loftsgard leads with 2050 points (no results file for that session in the "
        "warehouse).",
        "Paolo Salvatore leads the DHL standings after round 2 with 670 points, 10 ahead of the next driver. The "
        "official standings differ: Tom Tait leads with 1930 points (no results file for that session in the "
        "warehouse).",
    ]


# --- A penalty: SYNTHETIC. No official file in the shared archives carries penalty points (all 0), so
# this test plants one in a copy of the real Mustang DH drivers' file: Cole Loftsgard loses 25 points
# at round 6 (penalty_points -25, the session's and the season's totals 25 lower).

PENALTY = -25.0


@pytest.fixture(scope="module")
def penalised(tmp_path_factory):
    source = tmp_path_factory.mktemp("penalty-source")
    shutil.copytree(MUSTANG, source, dirs_exist_ok=True)
    (path,) = source.rglob("Points Data*/MC 01 DH Drivers.json")
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    doc = json.loads(raw.decode("utf-8-sig"))
    round_6 = next(s["session_index"] for s in doc["championship"]["sessions"] if s["session_name"] == "Round 6")
    (entry,) = [c for c in doc["classification"] if c["key"] == "Cole Loftsgard"]
    (session,) = [s for s in entry["points_by_session"] if s["session_index"] == round_6]
    session["penalty_points"] = PENALTY
    session["total_points"] += PENALTY
    entry["total_points"] += PENALTY
    entry["total_net_points"] += PENALTY
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + json.dumps(doc, indent=2).encode())
    return build(tmp_path_factory, "penalty", source)


def test_a_penalty_only_the_official_table_shows_is_the_reason(penalised):
    (row,) = select(
        penalised.warehouse,
        """
        select official_points, official_penalty_points, warehouse_points, difference, reason
        from marts.standings_reconciliation
        where championship_title = 'Mustang Challenge DH Drivers' and competitor_key = 'Cole Loftsgard' and session_name = 'Round 6'""",
    )
    assert row == (row[2] + PENALTY, PENALTY, row[2], PENALTY, "a penalty or adjustment only the official table shows")
    (sentence,) = [
        r[0]
        for r in select(
            penalised.warehouse,
            """
        select sentence from marts.race_notes
        where kind = 'standings_leader' and class_id in (select class_id from marts.dim_classes where class_name = 'DH')
          and sentence like '%round 2%'""",
        )
    ]
    assert sentence.endswith(
        "The official standings differ: Cole Loftsgard leads with 2025 points (a penalty or "
        "adjustment only the official table shows; no results file for that session in the "
        "warehouse)."
    )
