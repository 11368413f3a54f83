"""bench.synthetic: determinism, Al Kamel format conformance, internal consistency,
and the sample's agreement with the Road America 2024 press release.

Everything is generated into tmp_path and read back from the CSV files with pandas, the way
a consumer would see it. Expected headers are copied from real published files (they are
not read from ../shared at test time).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import write_sample, write_tree  # noqa: E402

# --------------------------------------------------------------------------- real headers

# IMSA WeatherTech 2024 Road America, 03_Results_Race_Official.CSV (multi-driver)
REAL_RACE_HEADER_MULTI = (
    "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME;FL_KPH;TEAM;CLAS"
    "S;GROUP;DIVISION;VEHICLE;TIRES;IMSA_CarId;IMSA_TeamId;IMSA_ClassId;IMSA_CarTypeId;IMSA_Manufactu"
    "rerId;IMSA_TireId;IMSA_SponsorId;IMSA_EventEntryId;*Extra 9;*Extra 10;DRIVER1_FIRSTNAME;DRIVER1_"
    "SECONDNAME;DRIVER1_LICENSE;DRIVER1_HOMETOWN;DRIVER1_COUNTRY;DRIVER1_SHORTNAME;DRIVER1_IMSA_Drive"
    "rId;DRIVER1_IMSA_DriverPlugId;DRIVER1_IMSA_DriverRatingLong;DRIVER1_*Extra 4;DRIVER1_*Extra 5;DR"
    "IVER2_FIRSTNAME;DRIVER2_SECONDNAME;DRIVER2_LICENSE;DRIVER2_HOMETOWN;DRIVER2_COUNTRY;DRIVER2_SHOR"
    "TNAME;DRIVER2_IMSA_DriverId;DRIVER2_IMSA_DriverPlugId;DRIVER2_IMSA_DriverRatingLong;DRIVER2_*Ext"
    "ra 4;DRIVER2_*Extra 5;DRIVER3_FIRSTNAME;DRIVER3_SECONDNAME;DRIVER3_LICENSE;DRIVER3_HOMETOWN;DRIV"
    "ER3_COUNTRY;DRIVER3_SHORTNAME;DRIVER3_IMSA_DriverId;DRIVER3_IMSA_DriverPlugId;DRIVER3_IMSA_Drive"
    "rRatingLong;DRIVER3_*Extra 4;DRIVER3_*Extra 5;DRIVER4_FIRSTNAME;DRIVER4_SECONDNAME;DRIVER4_LICEN"
    "SE;DRIVER4_HOMETOWN;DRIVER4_COUNTRY;DRIVER4_SHORTNAME;DRIVER4_IMSA_DriverId;DRIVER4_IMSA_DriverP"
    "lugId;DRIVER4_IMSA_DriverRatingLong;DRIVER4_*Extra 4;DRIVER4_*Extra 5;DRIVER5_FIRSTNAME;DRIVER5_"
    "SECONDNAME;DRIVER5_LICENSE;DRIVER5_HOMETOWN;DRIVER5_COUNTRY;DRIVER5_SHORTNAME;DRIVER5_IMSA_Drive"
    "rId;DRIVER5_IMSA_DriverPlugId;DRIVER5_IMSA_DriverRatingLong;DRIVER5_*Extra 4;DRIVER5_*Extra 5;DR"
    "IVER6_FIRSTNAME;DRIVER6_SECONDNAME;DRIVER6_LICENSE;DRIVER6_HOMETOWN;DRIVER6_COUNTRY;DRIVER6_SHOR"
    "TNAME;DRIVER6_IMSA_DriverId;DRIVER6_IMSA_DriverPlugId;DRIVER6_IMSA_DriverRatingLong;DRIVER6_*Ext"
    "ra 4;DRIVER6_*Extra 5;"
)
# IMSA WeatherTech 2024 Road America, 03_Results_Qualifying_Official.CSV (multi-driver)
REAL_CLASSIFICATION_HEADER_MULTI = (
    "POS;NUMBER;LAP;TIME;GAP_FIRST;GAP_PREVIOUS;KPH; LAPS;TEAM;CLASS;GROUP;DIVISION;VEHICLE;TIRES;IMS"
    "A_CarId;IMSA_TeamId;IMSA_ClassId;IMSA_CarTypeId;IMSA_ManufacturerId;IMSA_TireId;IMSA_SponsorId;I"
    "MSA_EventEntryId;*Extra 9;*Extra 10;DRIVER1_FIRSTNAME;DRIVER1_SECONDNAME;DRIVER1_LICENSE;DRIVER1"
    "_HOMETOWN;DRIVER1_COUNTRY;DRIVER1_SHORTNAME;DRIVER1_IMSA_DriverId;DRIVER1_IMSA_DriverPlugId;DRIV"
    "ER1_IMSA_DriverRatingLong;DRIVER1_*Extra 4;DRIVER1_*Extra 5;DRIVER2_FIRSTNAME;DRIVER2_SECONDNAME"
    ";DRIVER2_LICENSE;DRIVER2_HOMETOWN;DRIVER2_COUNTRY;DRIVER2_SHORTNAME;DRIVER2_IMSA_DriverId;DRIVER"
    "2_IMSA_DriverPlugId;DRIVER2_IMSA_DriverRatingLong;DRIVER2_*Extra 4;DRIVER2_*Extra 5;DRIVER3_FIRS"
    "TNAME;DRIVER3_SECONDNAME;DRIVER3_LICENSE;DRIVER3_HOMETOWN;DRIVER3_COUNTRY;DRIVER3_SHORTNAME;DRIV"
    "ER3_IMSA_DriverId;DRIVER3_IMSA_DriverPlugId;DRIVER3_IMSA_DriverRatingLong;DRIVER3_*Extra 4;DRIVE"
    "R3_*Extra 5;DRIVER4_FIRSTNAME;DRIVER4_SECONDNAME;DRIVER4_LICENSE;DRIVER4_HOMETOWN;DRIVER4_COUNTR"
    "Y;DRIVER4_SHORTNAME;DRIVER4_IMSA_DriverId;DRIVER4_IMSA_DriverPlugId;DRIVER4_IMSA_DriverRatingLon"
    "g;DRIVER4_*Extra 4;DRIVER4_*Extra 5;DRIVER5_FIRSTNAME;DRIVER5_SECONDNAME;DRIVER5_LICENSE;DRIVER5"
    "_HOMETOWN;DRIVER5_COUNTRY;DRIVER5_SHORTNAME;DRIVER5_IMSA_DriverId;DRIVER5_IMSA_DriverPlugId;DRIV"
    "ER5_IMSA_DriverRatingLong;DRIVER5_*Extra 4;DRIVER5_*Extra 5;DRIVER6_FIRSTNAME;DRIVER6_SECONDNAME"
    ";DRIVER6_LICENSE;DRIVER6_HOMETOWN;DRIVER6_COUNTRY;DRIVER6_SHORTNAME;DRIVER6_IMSA_DriverId;DRIVER"
    "6_IMSA_DriverPlugId;DRIVER6_IMSA_DriverRatingLong;DRIVER6_*Extra 4;DRIVER6_*Extra 5;"
)
# Carrera Cup (single driver), from the format contract's real 2025 rows
REAL_RACE_HEADER_SINGLE = (
    "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME;FL_KPH;TEAM;CLASS;"
    "GROUP;DIVISION;VEHICLE;TIRES;IMSA_CarId;IMSA_TeamId;IMSA_ClassId;IMSA_CarTypeId;IMSA_ManufacturerId;"
    "IMSA_TireId;IMSA_SponsorId;IMSA_EventEntryId;*Extra 9;*Extra 10;DRIVER_FIRSTNAME;DRIVER_SECONDNAME;"
    "DRIVER_LICENSE;DRIVER_HOMETOWN;DRIVER_COUNTRY;DRIVER_SHORTNAME;DRIVER_IMSA_DriverId;"
    "DRIVER_IMSA_DriverPlugId;DRIVER_IMSA_DriverRatingLong;DRIVER_*Extra 4;DRIVER_*Extra 5;"
)
REAL_CLASSIFICATION_HEADER_SINGLE = (
    "POS;NUMBER;LAP;TIME;GAP_FIRST;GAP_PREVIOUS;KPH; LAPS;TEAM;CLASS;GROUP;DIVISION;VEHICLE;TIRES;"
    "IMSA_CarId;IMSA_TeamId;IMSA_ClassId;IMSA_CarTypeId;IMSA_ManufacturerId;IMSA_TireId;IMSA_SponsorId;"
    "IMSA_EventEntryId;*Extra 9;*Extra 10;DRIVER_FIRSTNAME;DRIVER_SECONDNAME;DRIVER_LICENSE;"
    "DRIVER_HOMETOWN;DRIVER_COUNTRY;DRIVER_SHORTNAME;DRIVER_IMSA_DriverId;DRIVER_IMSA_DriverPlugId;"
    "DRIVER_IMSA_DriverRatingLong;DRIVER_*Extra 4;DRIVER_*Extra 5;"
)
# 23_Time Cards_Race.CSV (note the leading spaces of the first fifteen names)
REAL_TIME_CARDS_HEADER = (
    "NUMBER; DRIVER_NUMBER; LAP_NUMBER; LAP_TIME; LAP_IMPROVEMENT; CROSSING_FINISH_LINE_IN_PIT; S1; S"
    "1_IMPROVEMENT; S2; S2_IMPROVEMENT; S3; S3_IMPROVEMENT; KPH; ELAPSED; HOUR;S1_LARGE;S2_LARGE;S3_L"
    "ARGE;TOP_SPEED;DRIVER_NAME;PIT_TIME;CLASS;GROUP;TEAM;MANUFACTURER;FLAG_AT_FL;"
)
REAL_WEATHER_HEADER = (
    "TIME_UTC_SECONDS;TIME_UTC_STR;AIR_TEMP;TRACK_TEMP;HUMIDITY;PRESSURE;WIND_SPEED;WIND_DIRECTION;RAIN;"
)
REAL_GRID_HEADER = (
    "POSITION;CLASS;NUMBER;STARTING_DRIVER;QUALIFYING_DRIVER;DRIVER_1;DRIVER_2;DRIVER_3;DRIVER_4;"
    "DRIVER_5;DRIVER_6;TEAM;CAR;TIME;"
)

SERIES = "02_Porsche Carrera Cup North America"
RA = f"24_2024/14_Road America/{SERIES}"
MARK_RANK = {"Unofficial": 1, "Provisional": 2, "Official": 3}
SMALL_TREE = dict(seed=7, n_series=4, n_seasons=1, events_per_season=3, n_cars=12, jobs=1)

# --------------------------------------------------------------------------- helpers


def ms(text: str) -> int:
    """'11.872' | '1:07.916' | '1:10:17.031' | '0:00:53.371' -> milliseconds."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return round(seconds * 1000)


def fmt(value: int) -> str:
    s, frac = divmod(value, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    if h:
        return f"{h}:{m:02d}:{s:02d}.{frac:03d}"
    if m:
        return f"{m}:{s:02d}.{frac:03d}"
    return f"{s}.{frac:03d}"


def read(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    return df.loc[:, [c for c in df.columns if not c.startswith("Unnamed")]].fillna("")


def session_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("23_Time Cards_*.CSV"))


def results_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("03_Results_*.CSV"), key=lambda p: MARK_RANK[p.stem.rsplit("_", 1)[1]])


def official(folder: Path) -> pd.DataFrame:
    """The superseding results file of a session (highest mark)."""
    return read(results_files(folder)[-1])


def time_cards(folder: Path) -> pd.DataFrame:
    tc = read(next(folder.glob("23_Time Cards_*.CSV")))
    tc["lap_ms"] = tc["LAP_TIME"].map(ms)
    tc["elapsed_ms"] = tc["ELAPSED"].map(ms)
    tc["lap_no"] = tc["LAP_NUMBER"].astype(int)
    return tc


def is_race(folder: Path) -> bool:
    return "_Race" in folder.name


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    write_sample(root)
    return root


@pytest.fixture(scope="module")
def tree_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    stats = write_tree(root, **SMALL_TREE)
    assert stats["time_card_laps"] > 5000
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes(tmp_path, tree_root):
    write_tree(tmp_path / "again", **SMALL_TREE)
    assert snapshot(tmp_path / "again") == snapshot(tree_root)


def test_worker_count_does_not_change_bytes(tmp_path):
    args = dict(seed=3, n_series=2, n_seasons=1, events_per_season=2, n_cars=8)
    write_tree(tmp_path / "one", jobs=1, **args)
    write_tree(tmp_path / "two", jobs=2, **args)
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_other_seed_other_data(tmp_path, tree_root):
    write_tree(tmp_path / "other", **{**SMALL_TREE, "seed": 8})
    a, b = snapshot(tree_root), snapshot(tmp_path / "other")
    cards_a = {v for k, v in a.items() if "23_Time Cards" in k}
    cards_b = {v for k, v in b.items() if "23_Time Cards" in k}
    assert cards_a and cards_b and not cards_a & cards_b


def test_sample_is_deterministic(tmp_path, sample_root):
    write_sample(tmp_path)
    assert snapshot(tmp_path) == snapshot(sample_root)


# --------------------------------------------------------------------------- format


def _expected_header(name: str, multi: bool) -> str:
    if name.startswith("23_Time Cards_"):
        return REAL_TIME_CARDS_HEADER
    if name.startswith("26_Weather_"):
        return REAL_WEATHER_HEADER
    if name.startswith("00_Grid_"):
        return REAL_GRID_HEADER
    if name.startswith("03_Results_Race"):
        return REAL_RACE_HEADER_MULTI if multi else REAL_RACE_HEADER_SINGLE
    if name.startswith("03_Results_"):
        return REAL_CLASSIFICATION_HEADER_MULTI if multi else REAL_CLASSIFICATION_HEADER_SINGLE
    raise AssertionError(f"unexpected file {name}")


def _check_file_format(path: Path) -> None:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: no BOM"
    text = raw[3:].decode("utf-8")
    assert text.endswith("\r\n")
    assert text.count("\n") == text.count("\r\n"), f"{path.name}: bare LF"
    lines = text[:-2].split("\r\n")
    assert all(line.endswith(";") for line in lines), f"{path.name}: a line without trailing ';'"
    header = lines[0]
    multi = "DRIVER1_FIRSTNAME" in header
    assert header == _expected_header(path.name, multi), path.name
    width = header.count(";")
    for line in lines[1:]:
        cells = line.count(";")
        if multi and path.name.startswith("03_Results_"):
            assert cells == width - 20, f"{path.name}: {cells} cells (real multi-driver rows stop 20 short)"
        else:
            assert cells == width, f"{path.name}: {cells} cells, header has {width}"


def test_tree_files_follow_the_format(tree_root):
    files = sorted(tree_root.rglob("*.CSV"))
    kinds = {re.sub(r"_.*", "", p.name) for p in files}
    assert kinds == {"00", "03", "23", "26"}
    for p in files:
        _check_file_format(p)
    headers = {p.read_bytes()[3:].split(b"\r\n", 1)[0] for p in files if p.name.startswith("03_Results_Race")}
    assert {REAL_RACE_HEADER_MULTI.encode(), REAL_RACE_HEADER_SINGLE.encode()} <= headers


def test_sample_files_follow_the_format(sample_root):
    for p in sorted(sample_root.rglob("*.CSV")):
        _check_file_format(p)


LAYOUT = re.compile(
    r"^(?P<yy>\d{2})_(?P<yyyy>\d{4})/\d{2}_[^/]+/(\d{2}_[^/]+/)?(?P<stamp>\d{12})_(?P<session>[^/]+)/"
    r"(00_Grid|03_Results|23_Time Cards|26_Weather)_(?P=session)(_(Provisional|Official))?\.CSV$"
)


def test_tree_layout_and_label(tree_root):
    for p in tree_root.rglob("*.CSV"):
        rel = p.relative_to(tree_root).as_posix()
        m = LAYOUT.match(rel)
        assert m, rel
        assert m["yy"] == m["yyyy"][2:] and m["stamp"].startswith(m["yyyy"])
        assert rel.count("/") == 4  # season/event/series/session/file
    label = (tree_root / "SYNTHETIC.md").read_text()
    assert "bench.synthetic" in label and "--seed 7" in label and "invented" in label
    assert len(label.strip().splitlines()) == 1


def test_sample_layout(sample_root):
    sessions = sorted(d.relative_to(sample_root).as_posix() for d in session_dirs(sample_root))
    assert sessions == sorted(
        [
            "23_2023/22_PCCNA COTA/202310191530_Practice 1",
            "23_2023/22_PCCNA COTA/202310201030_Qualifying",
            "23_2023/22_PCCNA COTA/202310211410_Race 1",
            "23_2023/22_PCCNA COTA/202310221140_Race 2",
            f"24_2024/03_Sebring International Raceway/{SERIES}/202403131030_Practice 1",
            f"24_2024/03_Sebring International Raceway/{SERIES}/202403131605_Qualifying",
            f"24_2024/03_Sebring International Raceway/{SERIES}/202403141210_Race 1",
            f"24_2024/03_Sebring International Raceway/{SERIES}/202403151135_Race 2",
            f"24_2024/06_Miami Grand Prix/{SERIES}/202405030910_Practice 1",
            f"24_2024/06_Miami Grand Prix/{SERIES}/202405031425_Qualifying",
            f"24_2024/06_Miami Grand Prix/{SERIES}/202405041025_Race 1",
            f"24_2024/06_Miami Grand Prix/{SERIES}/202405051105_Race 2",
            f"24_2024/10_Canadian Grand Prix/{SERIES}/202406070920_Practice 1",
            f"24_2024/10_Canadian Grand Prix/{SERIES}/202406071450_Qualifying",
            f"24_2024/10_Canadian Grand Prix/{SERIES}/202406081105_Race 1",
            f"24_2024/10_Canadian Grand Prix/{SERIES}/202406091020_Race 2",
            f"24_2024/12_Watkins Glen International/{SERIES}/202406210945_Practice 1",
            f"24_2024/12_Watkins Glen International/{SERIES}/202406211610_Qualifying",
            f"24_2024/12_Watkins Glen International/{SERIES}/202406221155_Race 1",
            f"24_2024/12_Watkins Glen International/{SERIES}/202406230925_Race 2",
            f"{RA}/202408020945_Practice 1",
            f"{RA}/202408021720_Qualifying",
            f"{RA}/202408031220_Race 1",
            f"{RA}/202408041015_Race 2",
        ]
    )
    for p in sample_root.rglob("*.CSV"):
        assert LAYOUT.match(p.relative_to(sample_root).as_posix()), p
    labels = sorted(p.relative_to(sample_root).as_posix() for p in sample_root.rglob("SYNTHETIC.md"))
    assert labels == sorted(
        ["23_2023/SYNTHETIC.md"]
        + [
            f"24_2024/{e}/{SERIES}/SYNTHETIC.md"
            for e in (
                "03_Sebring International Raceway",
                "06_Miami Grand Prix",
                "10_Canadian Grand Prix",
                "12_Watkins Glen International",
                "14_Road America",
            )
        ]
    )
    for p in sample_root.rglob("SYNTHETIC.md"):
        assert "bench.synthetic" in p.read_text() and len(p.read_text()) < 600
    # 40-minute timed races, a Provisional later replaced by an Official
    assert (sample_root / RA / "202408031220_Race 1" / "03_Results_Race 1_Provisional.CSV").exists()
    assert (sample_root / RA / "202408031220_Race 1" / "03_Results_Race 1_Official.CSV").exists()


def test_write_sample_leaves_other_files_alone(tmp_path):
    real = tmp_path / "24_2024" / "14_Road America" / "01_IMSA WeatherTech SportsCar Championship" / "x.CSV"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"real")
    write_sample(tmp_path)
    write_sample(tmp_path)  # idempotent: replaces only its own folders
    assert real.read_bytes() == b"real"


# --------------------------------------------------------------------------- consistency


def _gap(laps: int, total: int, ref_laps: int, ref_total: int) -> str:
    if laps < ref_laps:
        d = ref_laps - laps
        return "1 Lap" if d == 1 else f"{d} Laps"
    return "+" + fmt(total - ref_total)


def _check_time_cards(tc: pd.DataFrame) -> None:
    assert set(tc["FLAG_AT_FL"]) <= {"GF", "FCY", "FF"}
    assert set(tc["CROSSING_FINISH_LINE_IN_PIT"]) <= {"", "B"}
    s1, s2, s3 = (tc[c].map(ms) for c in ("S1", "S2", "S3"))
    assert (s1 + s2 + s3 == tc["lap_ms"]).all(), "S1+S2+S3 != LAP_TIME"
    for col, values in (("S1", s1), ("S2", s2), ("S3", s3)):
        assert (tc[f"{col}_LARGE"].map(ms) == values).all()
        assert tc[f"{col}_LARGE"].str.match(r"^\d+:\d{2}\.\d{3}$|^\d+:\d{2}:\d{2}\.\d{3}$").all()
    assert tc["HOUR"].str.match(r"^\d{2}:\d{2}:\d{2}\.\d{3}$").all()
    assert tc["PIT_TIME"].str.match(r"^$|^\d+:\d{2}:\d{2}\.\d{3}$").all()
    assert ((tc["HOUR"].map(ms) - tc["elapsed_ms"]) % 86_400_000).nunique() == 1, "HOUR - ELAPSED varies"
    assert list(tc["NUMBER"].drop_duplicates()) == sorted(tc["NUMBER"].unique())
    by_car = tc.groupby("NUMBER", sort=False)
    assert (by_car.cumcount() + 1 == tc["lap_no"]).all()
    assert (by_car["lap_ms"].cumsum() == tc["elapsed_ms"]).all(), "ELAPSED is not cumulative"
    # each car's best lap carries improvement 2 (3 for the session's best)
    assert tc.loc[by_car["lap_ms"].idxmin(), "LAP_IMPROVEMENT"].isin(["2", "3"]).all()


def _best_laps(tc: pd.DataFrame) -> pd.DataFrame:
    return tc.loc[tc.groupby("NUMBER")["lap_ms"].idxmin()].set_index("NUMBER")


def _check_race(folder: Path, race_minutes: int | None) -> None:
    tc = time_cards(folder)
    _check_time_cards(tc)
    res = official(folder)
    started = res[res["POSITION"] != ""]
    assert list(started["POSITION"].astype(int)) == list(range(1, len(started) + 1))
    by_car = tc.groupby("NUMBER")
    laps, last = by_car.size(), by_car["elapsed_ms"].max()
    best = _best_laps(tc)
    assert set(started["NUMBER"]) == set(laps.index)
    nums = started["NUMBER"]
    assert (started["LAPS"].astype(int).values == laps[nums].values).all()
    assert (started["TOTAL_TIME"].map(ms).values == last[nums].values).all()
    assert (started["FL_TIME"].map(ms).values == best.loc[nums, "lap_ms"].values).all()
    assert (started["FL_LAPNUM"].astype(int).values == best.loc[nums, "lap_no"].values).all()
    rows = list(
        zip(
            started["LAPS"].astype(int),
            started["TOTAL_TIME"].map(ms),
            nums,
            started["GAP_FIRST"],
            started["GAP_PREVIOUS"],
        )
    )
    assert [r[:2] for r in rows] == sorted((r[:2] for r in rows), key=lambda x: (-x[0], x[1]))
    lead_laps, lead_total = rows[0][:2]
    assert rows[0][3] == "-" and rows[0][4] == "-"
    for prev, cur in zip(rows, rows[1:]):
        assert cur[3] == _gap(cur[0], cur[1], lead_laps, lead_total)
        assert cur[4] == _gap(cur[0], cur[1], prev[0], prev[1])
    assert set(started["STATUS"]) <= {"Classified", "Retired"}
    # timed race: the leader takes the flag on the first crossing after the clock,
    # everybody still running finishes the lap they are on
    flag = lead_total
    status = dict(zip(nums, started["STATUS"]))
    for n, car in by_car:
        el = car["elapsed_ms"].tolist()
        flags = car["FLAG_AT_FL"].tolist()
        assert "FF" not in flags[:-1]
        if flags[-1] == "FF":
            assert el[-1] >= flag and (len(el) == 1 or el[-2] < flag), n
        else:
            assert el[-1] < flag and status[n] in {"Retired", "Classified"}, f"{n} stopped before the flag"
        # pit: a lap crossing the line in the pits is followed by a lap with the pit time
        b, pit = car["CROSSING_FINISH_LINE_IN_PIT"].tolist(), car["PIT_TIME"].tolist()
        assert all(pit[i + 1] != "" for i in range(len(b) - 1) if b[i] == "B"), "out-lap without PIT_TIME"
    if race_minutes is not None:
        leader = by_car.get_group(rows[0][2])["elapsed_ms"].tolist()
        assert leader[-2] < race_minutes * 60_000 <= leader[-1]
    # non-starters: no position, no laps, no time cards
    dns = res[res["STATUS"] == "Not started"]
    assert (dns["POSITION"] == "").all() and (dns["LAPS"] == "0").all() and (dns["TOTAL_TIME"] == "").all()
    assert not set(dns["NUMBER"]) & set(tc["NUMBER"])
    grid = read(next(folder.glob("00_Grid_*.CSV")))
    assert list(grid["POSITION"].astype(int)) == list(range(1, len(grid) + 1))
    assert set(res["NUMBER"]) == set(grid["NUMBER"])


def _check_classification(folder: Path) -> None:
    tc = time_cards(folder)
    _check_time_cards(tc)
    res = official(folder)
    assert list(res["POS"].astype(int)) == list(range(1, len(res) + 1))
    laps = tc.groupby("NUMBER").size()
    assert (res["LAPS"].astype(int).values == laps.reindex(res["NUMBER"]).fillna(0).values).all()
    untimed = res[res["TIME"] == ""]
    assert (untimed["LAP"] == "0").all() and (untimed["LAPS"] == "0").all()
    timed = res[res["TIME"] != ""]
    times = timed["TIME"].map(ms).tolist()
    assert times == sorted(times)
    best = _best_laps(tc)
    assert (timed["TIME"].map(ms).values == best.loc[timed["NUMBER"], "lap_ms"].values).all()
    assert (timed["LAP"].astype(int).values == best.loc[timed["NUMBER"], "lap_no"].values).all()
    if len(timed):
        assert timed["GAP_FIRST"].iloc[0] == "-"
        assert all(g == "+" + fmt(t - times[0]) for g, t in zip(timed["GAP_FIRST"].iloc[1:], times[1:]))


def test_tree_is_internally_consistent(tree_root):
    folders = session_dirs(tree_root)
    assert len(folders) > 15
    for folder in folders:
        if is_race(folder):
            _check_race(folder, None)
        else:
            _check_classification(folder)


def test_sample_is_internally_consistent(sample_root):
    for folder in session_dirs(sample_root):
        if is_race(folder):
            _check_race(folder, race_minutes=40)
        else:
            _check_classification(folder)


def test_tree_has_the_awkward_cases(tree_root):
    results = pd.concat([official(f).assign(folder=str(f)) for f in session_dirs(tree_root) if is_race(f)])
    assert (results["STATUS"] == "Retired").any()
    assert results["GAP_FIRST"].str.contains("Lap").any()
    tcs = pd.concat([time_cards(f) for f in session_dirs(tree_root)])
    assert (tcs["FLAG_AT_FL"] == "FCY").any() and (tcs["CROSSING_FINISH_LINE_IN_PIT"] == "B").any()
    assert (tcs["DRIVER_NUMBER"] != "1").any()  # driver changes in multi-driver series
    assert tcs["NUMBER"].str.startswith("0").any()  # '01' and '1' are different cars


# --------------------------------------------------------------------------- the press release


def _race_results(root: Path) -> pd.DataFrame:
    """Every race classification of the sample (superseding file per session), one frame."""
    frames = []
    for folder in session_dirs(root):
        if not is_race(folder):
            continue
        df = official(folder)
        rel = folder.relative_to(root).as_posix()
        df["event"] = rel.split("/")[1]
        df["session"] = folder.name
        df["stamp"] = folder.name[:12]
        df["driver"] = df["DRIVER_FIRSTNAME"] + " " + df["DRIVER_SECONDNAME"].str.replace("(J)", "", regex=False)
        started = df[df["POSITION"] != ""].copy()
        started["pos"] = started["POSITION"].astype(int)
        started["class_pos"] = started.groupby("CLASS")["pos"].rank().astype(int)
        df = df.merge(started[["NUMBER", "class_pos"]], on="NUMBER", how="left")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _class_leaders_by_lap(folder: Path, cls: str) -> dict[int, str]:
    tc = time_cards(folder)
    tc = tc[tc["CLASS"] == cls]
    return {lap: g.sort_values("elapsed_ms")["NUMBER"].iloc[0] for lap, g in tc.groupby("lap_no")}


def test_sample_matches_the_press_release(sample_root):
    races = _race_results(sample_root)
    r1 = sample_root / RA / "202408031220_Race 1"
    r2 = sample_root / RA / "202408041015_Race 2"
    ra1 = races[races["session"] == "202408031220_Race 1"]
    ra2 = races[races["session"] == "202408041015_Race 2"]

    def one(df, name):
        rows = df[df["driver"] == name]
        assert len(rows) == 1, name
        return rows.iloc[0]

    # Sunday 4 Aug 2024, Road America Race 2: Sofronas No. 14 GMG Racing 911 GT3 Cup wins Pro-Am
    s2 = one(ra2, "James Sofronas")
    assert (s2["NUMBER"], s2["TEAM"], s2["VEHICLE"], s2["CLASS"]) == (
        "14",
        "GMG Racing",
        "Porsche 911 GT3 Cup",
        "Pro-Am",
    )
    assert s2["class_pos"] == 1 and s2["STATUS"] == "Classified"
    # ... leading Pro-Am at the end of every lap from lap 1 to the flag
    leaders = _class_leaders_by_lap(r2, "Pro-Am")
    assert min(leaders) == 1 and max(leaders) == int(s2["LAPS"])
    assert set(leaders.values()) == {"14"}
    # Pedro Torres: Pro-Am pole on the Race 2 grid, never led the class
    grid2 = read(next(r2.glob("00_Grid_*.CSV")))
    torres = one(ra2, "Pedro Torres")
    assert grid2[grid2["CLASS"] == "Pro-Am"].iloc[0]["NUMBER"] == torres["NUMBER"]
    assert grid2[grid2["CLASS"] == "Pro-Am"].iloc[0]["STARTING_DRIVER"] == "Pedro Torres"
    assert torres["NUMBER"] not in leaders.values()

    # Third Pro-Am win of 2024 (Sebring, Montreal, Road America R2), fifth in ten starts
    proam_wins = races[(races["CLASS"] == "Pro-Am") & (races["class_pos"] == 1)]
    wins_2024 = proam_wins[proam_wins["stamp"].str.startswith("2024")]
    sof_2024 = wins_2024[wins_2024["driver"] == "James Sofronas"]
    assert sorted(sof_2024["event"]) == [
        "03_Sebring International Raceway",
        "10_Canadian Grand Prix",
        "14_Road America",
    ]
    assert list(sof_2024[sof_2024["event"] == "14_Road America"]["session"]) == ["202408041015_Race 2"]
    assert wins_2024["driver"].value_counts().drop("James Sofronas").max() <= 2
    assert wins_2024["driver"].value_counts().idxmax() == "James Sofronas"
    sof = races[races["driver"] == "James Sofronas"]
    starts = sof[sof["STATUS"] != "Not started"]
    assert len(starts) == 10 and (sof["NUMBER"] == "14").all()
    assert len(proam_wins[proam_wins["driver"] == "James Sofronas"]) == 5
    cota = starts[starts["event"] == "22_PCCNA COTA"]
    assert len(cota) == 2 and (cota["class_pos"] == 1).all()  # debut sweep at COTA 2023
    assert starts["stamp"].min().startswith("2023")  # COTA was his series debut
    assert sorted(starts[starts["stamp"].str.startswith("2024")]["event"].value_counts().items()) == [
        ("03_Sebring International Raceway", 2),
        ("06_Miami Grand Prix", 2),
        ("10_Canadian Grand Prix", 2),
        ("14_Road America", 2),
    ]
    assert not (proam_wins[proam_wins["event"] == "06_Miami Grand Prix"]["driver"] == "James Sofronas").any()
    # not at Watkins Glen: in no file of that event
    wg = sample_root / "24_2024" / "12_Watkins Glen International" / SERIES
    assert not any("Sofronas" in p.read_text(encoding="utf-8-sig") for p in wg.rglob("*.CSV"))

    # Saturday 3 Aug, Race 1: Sofronas 2nd in Pro-Am; Washington No. 32 GMG 5th in Masters
    assert one(ra1, "James Sofronas")["class_pos"] == 2
    w1 = one(ra1, "Kyle Washington")
    assert (w1["NUMBER"], w1["TEAM"], w1["CLASS"], w1["VEHICLE"]) == (
        "32",
        "GMG Racing",
        "Masters",
        "Porsche 911 GT3 Cup",
    )
    assert w1["class_pos"] == 5
    w2 = one(ra2, "Kyle Washington")
    assert pd.isna(w2["class_pos"]) or w2["class_pos"] >= 6  # weekend-best was Saturday's fifth
    # Baltas No. 15 GMG Pro: from the back of the grid to the Pro top ten, +22 places, race high
    b1 = one(ra1, "Yves Baltas")
    assert (b1["NUMBER"], b1["TEAM"], b1["CLASS"]) == ("15", "GMG Racing", "Pro")
    grid1 = read(next(r1.glob("00_Grid_*.CSV")))
    grid_pos = dict(zip(grid1["NUMBER"], grid1["POSITION"].astype(int)))
    assert grid_pos["15"] == len(grid1) == max(grid_pos.values())
    assert b1["class_pos"] <= 10
    finished = ra1[ra1["POSITION"] != ""]
    gains = {n: grid_pos[n] - int(p) for n, p in zip(finished["NUMBER"], finished["POSITION"])}
    assert gains["15"] == 22
    assert all(g < 22 for n, g in gains.items() if n != "15")
    # Baltas debuts at Road America: he is in no file of an earlier event
    for p in sample_root.rglob("*.CSV"):
        if "Baltas" in p.read_text(encoding="utf-8-sig"):
            assert "/14_Road America/" in p.as_posix(), p
    baltas = races[(races["driver"] == "Yves Baltas") & (races["STATUS"] != "Not started")]
    assert baltas["stamp"].min() == "202408031220"
    # named people carry no invented personal details
    named = races[races["driver"].isin(["James Sofronas", "Pedro Torres", "Kyle Washington", "Yves Baltas"])]
    assert (
        (named[["DRIVER_LICENSE", "DRIVER_HOMETOWN", "DRIVER_COUNTRY", "DRIVER_IMSA_DriverRatingLong"]] == "")
        .all()
        .all()
    )


BEFORE_ROAD_AMERICA_2024 = [
    "03_Sebring International Raceway",
    "06_Miami Grand Prix",
    "10_Canadian Grand Prix",
    "12_Watkins Glen International",
]


def test_washington_and_torres_are_not_road_america_debutants(sample_root):
    """The release calls Washington a veteran and says nothing of a Torres debut: both raced
    before Road America (Washington from COTA 2023, Torres from Sebring 2024), unremarkably."""
    races = _race_results(sample_root)
    before = races[races["stamp"] < "20240803"]
    for name, number, team, cls, events in (
        ("Kyle Washington", "32", "GMG Racing", "Masters", ["22_PCCNA COTA"] + BEFORE_ROAD_AMERICA_2024),
        ("Pedro Torres", "47", None, "Pro-Am", BEFORE_ROAD_AMERICA_2024),
    ):
        mine = races[races["driver"] == name]
        starts = mine[mine["STATUS"] != "Not started"]
        assert (mine["NUMBER"] == number).all() and (mine["CLASS"] == cls).all(), name
        assert mine["TEAM"].nunique() == 1 and (team is None or (mine["TEAM"] == team).all()), name
        # both races of every event before Road America, so Road America is no debut
        earlier = starts[starts["stamp"] < "20240803"]
        assert sorted(earlier["event"].value_counts().items()) == sorted((e, 2) for e in events), name
        assert starts["stamp"].min() < "20240803", name
        assert len(starts[starts["event"] == "14_Road America"]) == 2, name
        # unremarkable there: no class win or podium (and the places are not the release's)
        mine_before = before[before["driver"] == name]
        assert (mine_before["class_pos"] > 3).all(), (name, list(mine_before["class_pos"]))
    # Torres wins nothing, so Sofronas's three still lead the 2024 Pro-Am wins
    proam_wins = races[(races["CLASS"] == "Pro-Am") & (races["class_pos"] == 1)]
    assert not (proam_wins["driver"] == "Pedro Torres").any()
    assert not (races[(races["CLASS"] == "Masters") & (races["class_pos"] == 1)]["driver"] == "Kyle Washington").any()
    # Road America: Washington still a weekend-best fifth in Masters on Saturday
    ra = races[(races["event"] == "14_Road America") & (races["driver"] == "Kyle Washington")]
    sat, sun = ra[ra["session"] == "202408031220_Race 1"].iloc[0], ra[ra["session"] == "202408041015_Race 2"].iloc[0]
    assert sat["class_pos"] == 5 and (pd.isna(sun["class_pos"]) or sun["class_pos"] >= 6)


# What the release states of the named people, race by race (session folder -> {(driver, fact)}).
# Any other fact below, anywhere in the sample, would be one the release does not state.
STATED_FACTS = {
    "202310211410_Race 1": {("James Sofronas", "win")},
    "202310221140_Race 2": {("James Sofronas", "win")},
    "202403141210_Race 1": {("James Sofronas", "win")},
    "202406091020_Race 2": {("James Sofronas", "win")},
    "202408031220_Race 1": {
        ("James Sofronas", "podium"),
        ("Yves Baltas", "most_gained"),
        ("Pedro Torres", "class_pole"),
    },
    "202408041015_Race 2": {
        ("James Sofronas", "win"),
        ("James Sofronas", "lap1_lead"),
        ("James Sofronas", "led_every_lap"),
        ("Pedro Torres", "class_pole"),
    },
}
NAMED_PEOPLE = ("James Sofronas", "Pedro Torres", "Kyle Washington", "Yves Baltas")


def _named_facts(folder: Path) -> set[tuple[str, str]]:
    """(driver, fact) of the named people in one race, read from its files the way the warehouse
    reads them: class win / podium, class pole (grid order, non-starters left out), the class's
    fastest lap, the race-high places gained (ties included), the class lead at the end of lap 1
    from behind class pole, and the class lead at the end of every lap."""
    res = official(folder)
    res["driver"] = res["DRIVER_FIRSTNAME"] + " " + res["DRIVER_SECONDNAME"].str.replace("(J)", "", regex=False)
    started = res[res["POSITION"] != ""].copy()
    started["pos"] = started["POSITION"].astype(int)
    started["class_pos"] = started.groupby("CLASS")["pos"].rank().astype(int)
    started["fl"] = started["FL_TIME"].map(ms)
    grid = read(next(folder.glob("00_Grid_*.CSV")))
    grid_pos = dict(zip(grid["NUMBER"], grid["POSITION"].astype(int)))
    on_grid = grid[grid["NUMBER"].isin(started["NUMBER"])].sort_values("POSITION", key=lambda s: s.astype(int))
    class_pole = set(on_grid.groupby("CLASS")["NUMBER"].first())
    started["gain"] = started["NUMBER"].map(grid_pos) - started["pos"]
    max_gain = started["gain"].max()
    class_fl = started.groupby("CLASS")["fl"].transform("min")
    facts = set()
    for (_, r), fl in zip(started.iterrows(), class_fl):
        who = r["driver"]
        if who not in NAMED_PEOPLE:
            continue
        leaders = _class_leaders_by_lap(folder, r["CLASS"])
        checks = {
            "win": r["class_pos"] == 1,
            "podium": r["class_pos"] in (2, 3),
            "class_pole": r["NUMBER"] in class_pole,
            "fastest_lap": r["fl"] == fl,
            "most_gained": r["gain"] == max_gain > 0,
            "lap1_lead": leaders.get(1) == r["NUMBER"] and r["NUMBER"] not in class_pole,
            "led_every_lap": set(leaders.values()) == {r["NUMBER"]},
        }
        facts |= {(who, fact) for fact, true in checks.items() if true}
    return facts


def test_named_people_hold_only_the_stated_records(sample_root):
    folders = [f for f in session_dirs(sample_root) if is_race(f)]
    assert len(folders) == 12
    for folder in folders:
        assert _named_facts(folder) == STATED_FACTS.get(folder.name, set()), folder.name
    # and no invented Pro-Am driver reaches three 2024 wins
    races = _race_results(sample_root)
    wins = races[(races["CLASS"] == "Pro-Am") & (races["class_pos"] == 1) & races["stamp"].str.startswith("2024")]
    counts = wins["driver"].value_counts()
    assert counts.drop("James Sofronas").max() <= 2 and counts["James Sofronas"] == 3


def test_provisional_is_wrong_and_superseded(sample_root):
    folder = sample_root / RA / "202408031220_Race 1"
    prov = read(folder / "03_Results_Race 1_Provisional.CSV")
    off = read(folder / "03_Results_Race 1_Official.CSV")
    assert list(prov["NUMBER"]) != list(off["NUMBER"])
    assert sorted(prov["NUMBER"]) == sorted(off["NUMBER"])
    # only the Official agrees with the time cards
    tc = time_cards(folder)
    last = tc.groupby("NUMBER")["elapsed_ms"].max()
    assert all(ms(t) == last[n] for n, t in zip(off["NUMBER"], off["TOTAL_TIME"]))
    assert not all(ms(t) == last[n] for n, t in zip(prov["NUMBER"], prov["TOTAL_TIME"]))


def test_sample_has_non_starter_and_retirement(sample_root):
    races = _race_results(sample_root)
    assert (races["STATUS"] == "Not started").sum() >= 1
    retired = races[races["STATUS"] == "Retired"]
    assert len(retired) >= 1 and (retired["POSITION"] != "").all()
    # a retired car is classified behind everyone who completed more laps
    for _session, df in races.groupby("session"):
        started = df[df["POSITION"] != ""].sort_values("POSITION", key=lambda s: s.astype(int))
        assert list(started["LAPS"].astype(int)) == sorted(started["LAPS"].astype(int), reverse=True)


def test_sample_dates_and_circuit(sample_root):
    folder = sample_root / RA / "202408041015_Race 2"
    res = official(folder)
    best = res[res["POSITION"] != ""]["FL_TIME"].map(ms).min()
    assert 134_000 < best < 138_000  # ~2:16 laps on the 6.515 km Road America
    kph = float(res[res["POSITION"] != ""]["FL_KPH"].iloc[0])
    fl = ms(res[res["POSITION"] != ""]["FL_TIME"].iloc[0])
    assert abs(kph - 6515 * 3600 / fl) < 0.06
    weather = read(next(folder.glob("26_Weather_*.CSV")))
    # 10:15 CDT on Sunday 4 August 2024 is 15:15 UTC
    assert weather["TIME_UTC_STR"].iloc[0].startswith("8/4/2024 3:1")
