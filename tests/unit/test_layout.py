from datetime import datetime
from pathlib import Path

import pytest

from orchestration.ingest.layout import (
    POINTS_DATA_CSV_REASON,
    LayoutError,
    describe,
    discover,
    is_points_data,
    parse_mark,
    parse_report_name,
)


def _describe(tmp_path: Path, rel: str):
    file = tmp_path / rel
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(b"x")
    return describe(tmp_path, file, file.stat())


def test_full_layout_with_series(tmp_path):
    f = _describe(
        tmp_path,
        "24_2024/14_Road America/01_IMSA WeatherTech SportsCar Championship/202408041410_Race/03_Results_Race_Official.CSV",
    )
    assert (f.season, f.event_number, f.event_name) == (2024, 14, "Road America")
    assert f.series_name == "IMSA WeatherTech SportsCar Championship"
    assert f.session_name == "Race"
    assert f.session_start_local == datetime(2024, 8, 4, 14, 10)
    assert (f.report_number, f.report, f.mark, f.mark_rank) == ("03", "Results", "Official", 30)


def test_layout_without_series_folder(tmp_path):
    f = _describe(tmp_path, "23_2023/22_PCCNA COTA/202310211410_Race 1/03_Results_Race 1_Provisional.CSV")
    assert f.series_folder is None and f.series_name is None
    assert (f.session_name, f.report, f.mark) == ("Race 1", "Results", "Provisional")


def test_session_key_is_stable_and_distinguishes_series(tmp_path):
    a = _describe(tmp_path, "24_2024/14_Road America/01_IMSA/202408041410_Race/23_Time Cards_Race.CSV")
    b = _describe(tmp_path, "24_2024/14_Road America/01_IMSA/202408041410_Race/03_Results_Race_Official.CSV")
    c = _describe(
        tmp_path,
        "24_2024/14_Road America/02_Porsche Carrera Cup North America/202408041410_Race/03_Results_Race_Official.CSV",
    )
    assert a.session_key == b.session_key != c.session_key


@pytest.mark.parametrize(
    "stem,session,expected",
    [
        ("00_Grid_Race_Provisional_Amended", "Race", ("00", "Grid", "Provisional_Amended")),
        ("04_Results by 2nd Fastest Lap_Qualifying", "Qualifying", ("04", "Results by 2nd Fastest Lap", None)),
        ("23_Time Cards_Practice 1", "Practice 1", ("23", "Time Cards", None)),
        ("03_Results_Race 1_Official REVISED", "Race 1", ("03", "Results", "Official REVISED")),
    ],
)
def test_report_names(stem, session, expected):
    assert parse_report_name(stem, session) == expected


def test_marks_rank_in_supersession_order():
    ranks = [
        parse_mark(m)[1] for m in ["Unofficial", "Provisional", "Provisional_Amended", "Official", "Official REVISED"]
    ]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert parse_mark("Official REVISED")[0] == "Official Revised"
    assert parse_mark(None) == (None, 0)


def test_a_grid_subfolder_belongs_to_its_session(tmp_path):
    session = "26_2026/12_Watkins Glen International/01_IMSA WeatherTech SportsCar Championship/202606281210_Race"
    grid = _describe(tmp_path, f"{session}/00_Starting Grids/00_Grid_Race_Provisional.JSON")
    results = _describe(tmp_path, f"{session}/03_Results_Race_Official.JSON")
    assert grid.session_key == results.session_key
    assert (grid.session_name, grid.session_folder, grid.report, grid.mark) == (
        "Race",
        "202606281210_Race",
        "Grid",
        "Provisional",
    )


def test_an_hour_subfolder_is_a_checkpoint_session_of_its_own(tmp_path):
    session = "23_2023/07_Sebring International Raceway/01_IMSA WeatherTech SportsCar Championship/202303181010_Race"
    hour = _describe(tmp_path, f"{session}/12_Hour 12/03_Results_Race_Official.CSV")
    race = _describe(tmp_path, f"{session}/03_Results_Race_Official.CSV")
    assert hour.session_key != race.session_key
    assert (hour.session_name, hour.session_folder) == ("Race - Hour 12", "202303181010_Race/12_Hour 12")
    assert (hour.report, hour.mark, hour.session_start_local) == ("Results", "Official", race.session_start_local)


@pytest.mark.parametrize(
    "rel",
    [
        "26_2026/12_X/01_IMSA WeatherTech SportsCar Championship/Points Data - Official/IWSC 12 GTD Teams.json",
        "25_2025/09_Miami/01_Porsche Carrera Cup North America/Points Data - Offiical/PCCNA 01 Pro Drivers.JSON",
        "23_2023/22_PCCNA COTA/POINTS DATA/Drivers.CSV",
        "26_2026/18_VIR/01_IMSA WeatherTech SportsCar Championship/Points Data - Provisional/IWSC 12 GTD Teams.json",
    ],
)
def test_points_data_folders_are_told_apart(rel):
    assert is_points_data(rel)


def test_session_names_of_every_kind_are_in_the_layout(tmp_path):
    # Typing is the dbt seed's job (session_types.csv): the layout takes any session name.
    for name in ("Session 3", "R24h Qualifying Race", "Qualifying - Gtd Points Gtlm", "Qualifying Group A", "Parade"):
        f = _describe(tmp_path, f"22_2022/01_Roar/01_S/202201221000_{name}/03_Results_{name}_Official.CSV")
        assert (f.session_name, f.report, f.mark) == (name, "Results", "Official")


@pytest.mark.parametrize(
    "rel,message",
    [
        ("2024/14_Road America/202408041410_Race/03_Results_Race_Official.CSV", "season folder"),
        ("24_2024/14_Road America/Race/03_Results_Race_Official.CSV", "session folder"),
        ("24_2024/03_Results_Race_Official.CSV", "folder levels"),
        ("24_2024/14_X/01_S/202408041410_Race/12_Hour 12/deeper/03_Results_Race.CSV", "folder levels"),
    ],
)
def test_paths_outside_the_layout_are_refused(tmp_path, rel, message):
    with pytest.raises(LayoutError, match=message):
        _describe(tmp_path, rel)


def test_discover_lists_non_data_files_and_does_not_follow_symlinks(tmp_path):
    session = tmp_path / "24_2024/14_X/01_S/202408041410_Race"
    session.mkdir(parents=True)
    (session / "03_Results_Race_Official.CSV").write_text("x")
    (session / "01_Grid_Race_Official.pdf").write_bytes(b"%PDF")
    (session / "report.xml").write_text("<x/>")
    outside = tmp_path.parent / "outside.CSV"
    outside.write_text("secret")
    (session / "99_Link_Race.CSV").symlink_to(outside)
    data, skipped, misplaced, unchanged = discover(tmp_path)
    assert unchanged == []
    assert [f.path for f in data] == ["24_2024/14_X/01_S/202408041410_Race/03_Results_Race_Official.CSV"]
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons["01_Grid_Race_Official.pdf"] == "not a data file (PDF)"
    assert reasons["report.xml"] == "not a data file (XML)"
    assert "symbolic link" in reasons["99_Link_Race.CSV"]
    assert misplaced == []


def test_discover_takes_points_data_json_as_data_and_skips_its_csv_twin(tmp_path):
    points = tmp_path / "26_2026/12_X/01_S/Points Data - Official"
    points.mkdir(parents=True)
    (points / "IWSC 12 GTD Teams.json").write_text("{}")
    (points / "IWSC 12 GTD Teams.csv").write_text("x")
    found = discover(tmp_path)
    assert [(f.report, f.mark, f.standings) for f in found.data] == [("IWSC 12 GTD Teams", "Official", True)]
    assert found.misplaced == []
    assert [(s.path.rsplit("/", 1)[-1], s.reason) for s in found.skipped] == [
        ("IWSC 12 GTD Teams.csv", POINTS_DATA_CSV_REASON)
    ]


def test_discover_leaves_files_the_caller_knows_undescribed(tmp_path):
    session = tmp_path / "24_2024/14_X/01_S/202408041410_Race"
    session.mkdir(parents=True)
    same, touched = session / "03_Results_Race_Official.CSV", session / "23_Time Cards_Race.CSV"
    same.write_text("x")
    touched.write_text("y")
    rel = lambda f: f.relative_to(tmp_path).as_posix()  # noqa: E731
    stat = lambda f: (f.stat().st_size, f.stat().st_mtime_ns)  # noqa: E731
    known = {rel(same): stat(same), rel(touched): (stat(touched)[0], stat(touched)[1] - 1)}
    found = discover(tmp_path, known)
    assert found.unchanged == [rel(same)]
    assert [f.path for f in found.data] == [rel(touched)]
