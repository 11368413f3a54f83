"""An incremental refresh (one new event on top of the rest) gives the same marts as a full build.

The warehouse is built from raw/ without its latest event, the event's files are then added and
`pitwall refresh` runs again: dbt builds incrementally (no --full-refresh) and rebuilds only the
new event's sessions in the fact tables. Every marts table must then equal the one of the session's
full build of raw/ (row count and a hash of every row). The tests of the fact tables check every
row in the full build and, in the incremental one, the sessions each table rewrote: the new event's
sessions (fct_laps, and the staging views), or its series seasons (fct_session_results, whose
positions depend on the rest of the season); dbt_project/macros/test_scope.sql.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest
from helpers import RAW
from integration.conftest import refresh
from reliability.common import checksums, rows

from orchestration.defs.assets.dbt import DBT_TARGET_PATH

pytestmark = pytest.mark.integration

NEW_EVENT = "24_2024/14_Road America"  # the latest event of raw/, both series


def without_new_event(tmp_path, source):
    """A copy of the tree `source` with NEW_EVENT moved aside, and a fresh warehouse path and Dagster
    home: (raw, the held-out event folder, warehouse, home)."""
    raw = tmp_path / "raw"
    shutil.copytree(source, raw)
    held = tmp_path / "held"
    shutil.move(str(raw / NEW_EVENT), str(held))
    home = tmp_path / "dagster_home"
    home.mkdir()
    return raw, held, tmp_path / "warehouse" / "pitwall.duckdb", home


def changed_sessions(warehouse) -> set[str]:
    return {r[0] for r in rows(warehouse, "select session_id from intermediate.int_sessions_changed")}


def sessions_under(warehouse, prefix: str) -> set[str]:
    return {
        r[0]
        for r in rows(
            warehouse,
            "select distinct session_key from raw.ingested_files where starts_with(path, ?) and session_key is not null",
            [prefix + "/"],
        )
    }


# Tests whose compiled SQL shows what they checked, in an incremental build: a generic test of
# fct_session_results (the sessions of the changed series seasons), a generic and a singular test of
# fct_laps and a generic test of a staging view (the changed sessions).
SEASON_SCOPED_TESTS = ("test.pitwall.unique_combination_fct_session_results_session_id__car_number",)
SESSION_SCOPED_TESTS = (
    "test.pitwall.unique_combination_fct_laps_session_id__car_number__lap_number",
    "test.pitwall.assert_lap_positions_from_elapsed_times",
    "test.pitwall.not_null_stg_alkamel__time_cards_car_number",
)
SCOPED_TESTS = SEASON_SCOPED_TESTS + SESSION_SCOPED_TESTS


def sessions_each_test_checked() -> dict[str, set[str] | None]:
    """For each of SCOPED_TESTS in the last dbt run: the sessions its SQL is limited to (None: every row)."""
    results = json.loads((DBT_TARGET_PATH / "run_results.json").read_text())["results"]
    scopes = {}
    for result in results:
        if result["unique_id"].startswith(SCOPED_TESTS):
            assert result["status"] == "pass", result
            match = re.search(r"\((session_id|session_key) in \(([^)]*)\) or \1 is null\)", result["compiled_code"])
            scopes[result["unique_id"].split(".")[2]] = set(re.findall(r"'([0-9a-f]+)'", match[2])) if match else None
    assert len(scopes) == len(SCOPED_TESTS)
    return scopes


def sessions_of_the_series_seasons_of(warehouse, sessions: set[str]) -> set[str]:
    return {
        r[0]
        for r in rows(
            warehouse,
            "select session_id from marts.dim_sessions join (select distinct series_id, season "
            "from marts.dim_sessions where list_contains(?, session_id)) using (series_id, season)",
            [sorted(sessions)],
        )
    }


def assert_the_build_recorded_what_it_read(warehouse) -> None:
    """meta.dbt_built_files and meta.dbt_built_drivers (orchestration/warehouse/build_state.py, rewritten after
    every successful build) hold what the build read, row for row."""
    for recorded, read in (
        ("meta.dbt_built_files", "select path, sha256, status, session_key from raw.ingested_files"),
        (
            "meta.dbt_built_drivers",
            "select session_id, car_number, driver_order, driver_id from marts.bridge_session_result_drivers",
        ),
    ):
        assert rows(warehouse, f"select * from {recorded} order by all") == rows(warehouse, f"{read} order by all")


def test_one_new_event_builds_incrementally_to_the_full_build(refreshed, tmp_path):
    raw, held, warehouse, home = without_new_event(tmp_path, refreshed.raw)
    first = refresh(raw, warehouse, home)
    assert "build --full-refresh" in first.stdout + first.stderr
    assert all(scope is None for scope in sessions_each_test_checked().values())  # a full build tests every row
    shutil.move(str(held), str(raw / NEW_EVENT))
    second = refresh(raw, warehouse, home)
    log = second.stdout + second.stderr

    assert "succeeded" in second.stdout
    assert "dbt build --target dev against" in log and "--full-refresh" not in log  # incremental, not a rebuild
    changed = changed_sessions(warehouse)
    assert changed == sessions_under(warehouse, NEW_EVENT)  # only the new event's sessions were rebuilt
    scope = sessions_of_the_series_seasons_of(warehouse, changed)
    assert changed < scope  # the series seasons hold earlier events too
    assert sessions_each_test_checked() == {name.split(".")[2]: scope for name in SEASON_SCOPED_TESTS} | {
        name.split(".")[2]: changed for name in SESSION_SCOPED_TESTS
    }

    assert checksums(warehouse, ("marts",)) == checksums(refreshed.warehouse, ("marts",))
    assert_the_build_recorded_what_it_read(warehouse)


# A driver whose every file before the new event lacks the IMSA id (blanked below), and whose new
# event's files carry it: identity by name until then, by id after (int_drivers_identified).
LATE_ID_DRIVER = ("Niamh", "Silverton")
LATE_ID = "81804"


def read_report(csv_path) -> list[list[str]]:
    """The rows of an Al Kamel CSV (header first), as the files are written: UTF-8 with BOM, ';'."""
    return list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig")), delimiter=";"))


def write_report(csv_path, report: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(report)
    csv_path.write_text("\ufeff" + out.getvalue(), encoding="utf-8")


def blank_imsa_id(csv_path, first_name: str, last_name: str) -> int:
    """Blank the IMSA driver id of every driver block of `first_name last_name` in an Al Kamel CSV
    (DRIVER_ and DRIVERn_ columns); returns how many were blanked."""
    report = read_report(csv_path)
    header = report[0]
    prefixes = [c[: -len("IMSA_DriverId")] for c in header if c.upper().endswith("_IMSA_DRIVERID")]
    blanked = 0
    for row in report[1:]:
        for prefix in prefixes:
            first, last, ident = (
                header.index(prefix + suffix) for suffix in ("FIRSTNAME", "SECONDNAME", "IMSA_DriverId")
            )
            if len(row) > ident and row[first].strip() == first_name and row[last].strip() == last_name and row[ident]:
                row[ident] = ""
                blanked += 1
    if blanked:
        write_report(csv_path, report)
    return blanked


def identities_of(warehouse, first_name: str, last_name: str) -> set[tuple[str, str]]:
    return set(
        rows(
            warehouse,
            "select driver_id, identity_key from marts.dim_drivers where first_name = ? and last_name = ?",
            [first_name, last_name],
        )
    )


def test_an_id_first_delivered_by_the_new_event_reaches_the_drivers_earlier_sessions(tmp_path):
    """The new event is the first to deliver a driver's IMSA id: the incremental build moves every
    earlier session of that name to the id (they are rewritten though their files did not change)
    and equals a full build of the same files."""
    raw, held, warehouse, home = without_new_event(tmp_path, RAW)
    assert (
        sum(blank_imsa_id(path, *LATE_ID_DRIVER) for path in raw.rglob("*.CSV")) > 0
    )  # every file but the new event's

    refresh(raw, warehouse, home)
    by_name = identities_of(warehouse, *LATE_ID_DRIVER)
    assert [key for _, key in by_name] == ["name:" + " ".join(LATE_ID_DRIVER).lower()]
    earlier = sessions_of_driver(warehouse, next(iter(by_name))[0])
    shutil.move(str(held), str(raw / NEW_EVENT))
    second = refresh(raw, warehouse, home)
    assert "--full-refresh" not in second.stdout + second.stderr

    assert [key for _, key in identities_of(warehouse, *LATE_ID_DRIVER)] == ["imsa:" + LATE_ID]
    assert earlier and earlier <= changed_sessions(warehouse)  # rewritten for the identity alone
    assert not earlier & sessions_under(warehouse, NEW_EVENT)
    assert_the_build_recorded_what_it_read(warehouse)  # the earlier sessions' drivers included
    full = tmp_path / "full" / "pitwall.duckdb"
    refresh(raw, full, home)
    assert checksums(warehouse, ("marts",)) == checksums(full, ("marts",))


def sessions_of_driver(warehouse, driver_id: str) -> set[str]:
    return {
        r[0]
        for r in rows(
            warehouse,
            "select distinct session_id from marts.bridge_session_result_drivers where driver_id = ?",
            [driver_id],
        )
    }


# A race's notes depend on more than its own files: the rest of its season, the drivers' earlier
# races (career counts) and the names they print (each driver's and team's latest spelling).
CORRECTED_RACE = "23_2023/22_PCCNA COTA/202310211410_Race 1/03_Results_Race 1_Official.CSV"
CORRECTED_CAR = "38"  # Niamh Silverton's winning car, corrected below to a non-starter
RESPELLED = {"Northcott": "Northcott-Hale", "Foxglove Motorsports": "FOXGLOVE MOTORSPORTS"}


def with_status(csv_path, car_number: str, status: str) -> None:
    """Set the STATUS of `car_number` in an Al Kamel results CSV (what a steward's correction changes)."""
    report = read_report(csv_path)
    number, status_column = report[0].index("NUMBER"), report[0].index("STATUS")
    hits = [row for row in report[1:] if len(row) > status_column and row[number] == car_number]
    assert len(hits) == 1
    hits[0][status_column] = status
    write_report(csv_path, report)


def respell(folder, spellings: dict[str, str]) -> int:
    """Replace names in every file under `folder`; returns how many files changed."""
    changed = 0
    for path in folder.rglob("*.CSV"):
        text = path.read_text(encoding="utf-8-sig")
        new = text
        for old, spelling in spellings.items():
            new = new.replace(old, spelling)
        if new != text:
            path.write_text("\ufeff" + new, encoding="utf-8")
            changed += 1
    return changed


def notes_of(warehouse) -> dict[tuple[str, str, str, str], tuple]:
    return {
        row[:4]: row[4:]
        for row in rows(
            warehouse, "select session_id, driver_id, kind, class_id, value_1, value_2, sentence from marts.race_notes"
        )
    }


def test_new_spellings_and_a_correction_reach_the_notes_of_races_whose_files_did_not_change(tmp_path):
    """A race's notes follow their names and their drivers' careers, though the race's files and its
    series season did not change: the new event brings new spellings of two drivers'
    and a team's name (each one's latest), which the notes of the previous season must print; then
    a correction to that season's first race (its winner a non-starter) changes the career counts
    printed by the next season's notes. The last incremental build must equal a full build."""
    raw, held, warehouse, home = without_new_event(tmp_path, RAW)
    refresh(raw, warehouse, home)
    first = notes_of(warehouse)

    assert respell(held, RESPELLED) > 0
    shutil.move(str(held), str(raw / NEW_EVENT))
    renamed = refresh(raw, warehouse, home)
    assert "--full-refresh" not in renamed.stdout + renamed.stderr
    second = notes_of(warehouse)
    outside = changed_outside_their_seasons(warehouse, first, second)
    assert any("Northcott-Hale" in sentence for sentence in outside)  # 2023 notes, the new event is 2024
    assert any("FOXGLOVE MOTORSPORTS" in sentence for sentence in outside)
    printed = " ".join(sentence for *_, sentence in second.values())
    assert all(old not in printed.replace(new, "") for old, new in RESPELLED.items())

    with_status(raw / CORRECTED_RACE, CORRECTED_CAR, "DNS")
    corrected = refresh(raw, warehouse, home)
    assert "--full-refresh" not in corrected.stdout + corrected.stderr
    outside = changed_outside_their_seasons(warehouse, second, notes_of(warehouse))
    assert any("Niamh Silverton's" in sentence and "career starts" in sentence for sentence in outside)  # 2024

    assert_the_build_recorded_what_it_read(warehouse)  # the corrected file's new sha256 in place of the old

    full = tmp_path / "full" / "pitwall.duckdb"
    refresh(raw, full, home)
    assert checksums(warehouse, ("marts",)) == checksums(full, ("marts",))


def changed_outside_their_seasons(warehouse, before: dict, after: dict) -> list[str]:
    """The sentences of notes that changed, in races outside the series seasons of the sessions the
    last build found changed (the seasons its incremental tables rebuilt)."""
    seasons = sessions_of_the_series_seasons_of(warehouse, changed_sessions(warehouse))
    return [
        after[key][2] for key in before.keys() & after.keys() if before[key] != after[key] and key[0] not in seasons
    ]


# ------------------------------------------------------------------ every kind of change (issue 26)

IMSA = "24_2024/{event}/01_IMSA WeatherTech SportsCar Championship"
RA_RACE = IMSA.format(event="14_Road America") + "/202408041410_Race"
RA_OFFICIAL = f"{RA_RACE}/03_Results_Race_Official.CSV"
RA_PROVISIONAL = f"{RA_RACE}/03_Results_Race_Provisional.CSV"
WG_RACE_WEATHER = IMSA.format(event="12_Watkins Glen International") + "/202406231110_Race/26_Weather_Race.CSV"
WG_PRACTICE = IMSA.format(event="12_Watkins Glen International") + "/202406211325_Practice 1"


def provisional_of(official: bytes) -> bytes:
    """A provisional classification of the race: the winners of two classes' order swapped with the
    car behind them (positions, and so class positions, points and standings, differ from the
    official one), as a steward's later decision would change it."""
    lines = official.split(b"\r\n")
    header = lines[0].decode("utf-8-sig").split(";")
    position = header.index("POSITION")
    first, second = lines[1].split(b";"), lines[2].split(b";")
    first[position], second[position] = second[position], first[position]
    lines[1], lines[2] = b";".join(second), b";".join(first)
    return b"\r\n".join(lines)


def sessions_by_season(warehouse) -> dict[str, tuple[str, int]]:
    return {
        s: (series, season)
        for s, series, season in rows(warehouse, "select session_id, series_id, season from marts.dim_sessions")
    }


def assert_tests_covered_what_was_rewritten(before: dict, warehouse) -> set[str]:
    """The incremental build's tests checked every row it rewrote: the season-scoped tests every
    session (now) of each series season holding a changed session (before or now: a session whose
    files were all removed is gone from the marts, its season was rewritten), the session-scoped
    tests every changed session that still has rows. Returns the changed sessions."""
    after = sessions_by_season(warehouse)
    changed = changed_sessions(warehouse)
    seasons = {before[s] for s in changed if s in before} | {after[s] for s in changed if s in after}
    rewritten = {s for s, season in after.items() if season in seasons}
    scopes = sessions_each_test_checked()
    for name in SEASON_SCOPED_TESTS:
        scope = scopes[name.split(".")[2]]
        assert scope is None or rewritten <= scope, (name, sorted(rewritten - scope))
    for name in SESSION_SCOPED_TESTS:
        scope = scopes[name.split(".")[2]]
        assert scope is None or (changed & set(after)) <= scope, (name, sorted((changed & set(after)) - scope))
    return changed


@pytest.mark.timeout(1800)
def test_every_kind_of_change_builds_incrementally_to_the_full_build(tmp_path):
    """One warehouse through three incremental builds, each compared with a full build of the same
    files, marts row for row, and with what its tests checked:
    1. a later mark supersedes a file (the race's Official over its Provisional, another order) and
       a file is changed in place (another race's weather, one reading);
    2. every file of a session removed, and nothing else (Watkins Glen practice 1: its series season
       is rewritten without it, and the tests must check that season though the session is gone);
    3. a mark removed (the Official: the Provisional counts again) and the session restored (its
       files put back with the same bytes: loaded again without being read).
    (A new event, a driver id arriving late and new spellings: the tests above.)"""
    from helpers import copy_real_imsa

    raw = copy_real_imsa(tmp_path / "raw")
    official = (raw / RA_OFFICIAL).read_bytes()
    (raw / RA_OFFICIAL).unlink()
    (raw / RA_PROVISIONAL).write_bytes(provisional_of(official))
    warehouse, home = tmp_path / "warehouse" / "pitwall.duckdb", tmp_path / "home"
    home.mkdir()
    refresh(raw, warehouse, home)
    practice = {p.name: p.read_bytes() for p in (raw / WG_PRACTICE).iterdir()}
    weather = (raw / WG_RACE_WEATHER).read_bytes()

    def superseded_and_changed():
        (raw / RA_OFFICIAL).write_bytes(official)
        lines = weather.split(b"\r\n")
        cells = lines[1].split(b";")
        cells[2] = b"99.5"  # AIR_TEMP of the first sample
        lines[1] = b";".join(cells)
        (raw / WG_RACE_WEATHER).write_bytes(b"\r\n".join(lines))

    def session_removed():
        shutil.rmtree(raw / WG_PRACTICE)

    def mark_removed_session_restored():
        (raw / RA_OFFICIAL).unlink()
        (raw / WG_PRACTICE).mkdir()
        for name, data in practice.items():
            (raw / WG_PRACTICE / name).write_bytes(data)

    session_of = lambda rel: rows(warehouse, "select session_key from raw.ingested_files where path = ?", [rel])[0][0]  # noqa: E731
    ra_race, wg_race = session_of(RA_PROVISIONAL), session_of(WG_RACE_WEATHER)
    wg_practice = rows(
        warehouse, "select distinct session_key from raw.ingested_files where starts_with(path, ?)", [WG_PRACTICE + "/"]
    )[0][0]

    def counting_in_marts() -> list[str]:
        """The race classification file whose rows fct_session_results holds (re-post and deletion
        through `pitwall refresh` into the marts)."""
        return [
            p
            for (p,) in rows(
                warehouse,
                "select distinct source_file_path from marts.fct_session_results where session_id = ?",
                [ra_race],
            )
        ]

    assert counting_in_marts() == [RA_PROVISIONAL]
    steps = [
        ("superseded, changed", superseded_and_changed, {ra_race, wg_race}, RA_OFFICIAL),
        ("every file of a session removed", session_removed, {wg_practice}, RA_OFFICIAL),
        ("a mark removed, a session restored", mark_removed_session_restored, {ra_race, wg_practice}, RA_PROVISIONAL),
    ]
    for n, (name, change, expected_changed, counting) in enumerate(steps):
        before = sessions_by_season(warehouse)
        marts_before = checksums(warehouse, ("marts",))
        change()
        done = refresh(raw, warehouse, home)
        log = done.stdout + done.stderr
        assert "--full-refresh" not in log and " 0 failed" in done.stdout, (name, done.stdout[-3000:])
        assert assert_tests_covered_what_was_rewritten(before, warehouse) == expected_changed, name
        assert counting_in_marts() == [counting], name
        if name.startswith("every file"):
            assert not rows(warehouse, "select 1 from marts.dim_sessions where session_id = ?", [wg_practice])
        assert_the_build_recorded_what_it_read(warehouse)
        full = tmp_path / f"full{n}" / "pitwall.duckdb"
        refresh(raw, full, tmp_path / "home")
        after = checksums(warehouse, ("marts",))
        assert after == checksums(full, ("marts",)), (
            name,
            {k for k in after if after[k] != checksums(full, ("marts",)).get(k)},
        )
        assert after != marts_before, name  # the change reached the marts
    assert rows(
        warehouse,
        "select path, status from raw.ingested_files where list_contains(?, path) order by 1",
        [[RA_OFFICIAL, RA_PROVISIONAL]],
    ) == [(RA_OFFICIAL, "removed"), (RA_PROVISIONAL, "loaded")]


def test_official_standings_arriving_after_the_races_build_incrementally_to_the_full_build(tmp_path):
    """The Mustang Challenge's Mid-Ohio races refreshed first, their round's official standings files
    (`Points Data - Official`) after them: the standings sentences of the series season now compare
    with the officials, and the incremental build equals a full build, marts row for row."""
    from integration.conftest import MUSTANG

    raw = tmp_path / "raw"
    shutil.copytree(MUSTANG, raw)
    (points,) = raw.rglob("Points Data*")
    held = tmp_path / "held"
    shutil.move(str(points), str(held))
    warehouse, home = tmp_path / "warehouse" / "pitwall.duckdb", tmp_path / "home"
    home.mkdir()
    refresh(raw, warehouse, home)

    def sentences():
        return {r[0] for r in rows(warehouse, "select sentence from marts.race_notes where kind = 'standings_leader'")}  # noqa: E731

    assert not any("official standings" in s for s in sentences())

    shutil.move(str(held), str(points))
    done = refresh(raw, warehouse, home)
    assert "--full-refresh" not in done.stdout + done.stderr and " 0 failed" in done.stdout, done.stdout[-3000:]
    assert sum("The official standings differ" in s for s in sentences()) == 2
    full = tmp_path / "full" / "pitwall.duckdb"
    refresh(raw, full, tmp_path / "home")
    after, rebuilt = checksums(warehouse, ("marts",)), checksums(full, ("marts",))
    assert after == rebuilt, {k for k in after if after[k] != rebuilt.get(k)}
