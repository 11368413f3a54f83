"""Files of other Al Kamel series, read by what their header says (no Dagster, no dbt).

SYNTHETIC: the files below are made up here, in the shapes `../shared/formats/alkamel.md` describes
for other series and locales (older column spellings, a decimal comma, an empty CLASS, extra columns,
lower-case `.csv`, a lap 0 from the grid); names and values are invented. The real archives are
tested in tests/integration/test_real_archive.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from unit.test_ingest import query as rows

from orchestration.ingest import ingest

SESSION = "25_2025/03_Spa/01_Example Cup/202505101400_Race 1"
BOM = "\ufeff"


def write(root: Path, rel: str, lines: list[str]) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode())
    return path


def manifest(warehouse: Path) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in rows(
            warehouse, "SELECT path, status, reason, kind, header_variant, rows_loaded FROM raw.ingested_files"
        )
    }


@pytest.fixture
def series_root(tmp_path) -> Path:
    root = tmp_path / "raw"
    # An older time-card layout: LAPNUMBER / LAPTIME, no FLAG_AT_FL, an extra ECM column, a lap 0,
    # decimal commas, an empty CLASS and a lower-case extension.
    write(
        root,
        f"{SESSION}/23_Analysis_Race 1.csv",
        [
            "NUMBER; DRIVER_NUMBER; LAPNUMBER; LAPTIME; LAP_IMPROVEMENT; CROSSING_FINISH_LINE_IN_PIT; S1; S1_IMPROVEMENT; "
            "S2; S2_IMPROVEMENT; S3; S3_IMPROVEMENT; KPH; ELAPSED; HOUR;TOP_SPEED;DRIVER_NAME;PIT_TIME;CLASS;TEAM;ECM_MAP;",
            "7;1;0;2:31,204;0;;50,1;0;60,2;0;40,9;0;120,4;2:31,204;14:02:31,204;201,3;A Driver;;;Team A;3;",
            "7;1;1;2:15,880;1;;45,1;1;50,2;1;40,5;1;150,3;4:47,084;14:04:47,084;240,8;A Driver;;;Team A;3;",
            "9;1;0;2:32,004;0;;50,5;0;60,4;0;41,1;0;119,8;2:32,004;14:02:32,004;199,9;B Driver;;;Team B;2;",
            "9;1;1;2:16,440;1;;45,5;1;50,3;1;40,6;1;149,6;4:48,444;14:04:48,444;239,0;B Driver;;;Team B;2;",
        ],
    )
    # A single-driver race classification with an empty CLASS (a one-class series) and a decimal comma.
    write(
        root,
        f"{SESSION}/03_Results_Race 1_Official.csv",
        [
            "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME;FL_KPH;TEAM;CLASS;VEHICLE;"
            "DRIVER_FIRSTNAME;DRIVER_SECONDNAME;DRIVER_COUNTRY;POWER;",
            "1;7;Classified;1;4:47,084;-;-;1;2:15,880;150,3;Team A;;Car X;A;Driver;BEL;300;",
            "2;9;Classified;1;4:48,444;+1,360;+1,360;1;2:16,440;149,6;Team B;;Car X;B;Driver;NED;300;",
        ],
    )
    write(
        root,
        f"{SESSION}/26_Weather_Race 1.csv",
        [
            "TIME_UTC_SECONDS;TIME_UTC_STR;AIR_TEMP;TRACK_TEMP;HUMIDITY;PRESSURE;WIND_SPEED;WIND_DIRECTION;RAIN;",
            "1746885600;10-May-25 14:00:00;18,4;27,06;61;1012,5;3,2;210;0;",
        ],
    )
    return root


def test_every_variant_loads_and_nothing_is_set_aside(series_root, tmp_path):
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    report = ingest(series_root, warehouse)
    files = manifest(warehouse)
    assert report.set_aside == 0, files
    assert {p.rsplit("/", 1)[-1]: (v[0], v[2]) for p, v in files.items()} == {
        "23_Analysis_Race 1.csv": ("loaded", "time_cards"),
        "03_Results_Race 1_Official.csv": ("loaded", "race_results"),
        "26_Weather_Race 1.csv": ("loaded", "weather"),
    }
    assert sum(v[4] for v in files.values()) == 4 + 2 + 1


def test_older_spellings_map_to_the_canonical_columns_and_extra_columns_are_kept(series_root, tmp_path):
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    ingest(series_root, warehouse)
    laps = rows(
        warehouse,
        "SELECT number, lap_number, lap_time, kph, class, ecm_map FROM raw.time_cards ORDER BY number, lap_number",
    )
    # Values as delivered (a decimal comma stays a comma in raw; staging reads it), lap 0 kept.
    assert laps[0] == ("7", "0", "2:31,204", "120,4", None, "3")
    assert [r[1] for r in laps] == ["0", "1", "0", "1"]
    assert rows(warehouse, "SELECT driver1_firstname, class, power FROM raw.race_results ORDER BY position") == [
        ("A", None, "300"),
        ("B", None, "300"),
    ]
    assert rows(warehouse, "SELECT air_temp, pressure FROM raw.weather") == [("18,4", "1012,5")]


@pytest.mark.parametrize("value,column", [("2:15;880", "lap_time"), ("2,15,880", "lap_time")])
def test_a_value_no_locale_writes_still_sets_the_file_aside(series_root, tmp_path, value, column):
    path = series_root / SESSION / "23_Analysis_Race 1.csv"
    path.write_bytes(path.read_bytes().replace(b"2:15,880", value.encode()))
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    ingest(series_root, warehouse)
    status, reason = manifest(warehouse)[f"{SESSION}/23_Analysis_Race 1.csv"][:2]
    assert status == "quarantined" and reason, reason
