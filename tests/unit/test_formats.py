from pathlib import Path

import pytest
from helpers import ROAD_AMERICA_IMSA

from orchestration.ingest.formats import HeaderError, classify, split_header


def header_of(path: Path) -> list[str]:
    return split_header(path.read_bytes().decode("utf-8-sig").splitlines()[0])


@pytest.mark.parametrize(
    "file,kind,variant",
    [
        ("202408041410_Race/03_Results_Race_Official.CSV", "race_results", "6_driver_blocks"),
        ("202408031620_Qualifying/03_Results_Qualifying_Official.CSV", "classifications", "6_driver_blocks"),
        ("202408021355_Practice 1/03_Results_Practice 1_Official.CSV", "classifications", "6_driver_blocks"),
        ("202408041410_Race/23_Time Cards_Race.CSV", "time_cards", "with_flag_at_fl"),
        ("202408041410_Race/26_Weather_Race.CSV", "weather", "standard"),
    ],
)
def test_real_headers_are_classified(file, kind, variant):
    header = classify(header_of(ROAD_AMERICA_IMSA / file))
    assert (header.kind.name, header.variant) == (kind, variant)
    assert set(header.columns) <= set(header.kind.columns), "every real column has its canonical place"


def test_single_driver_block_maps_to_driver_one():
    cells = "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;TEAM;CLASS;DRIVER_FIRSTNAME;DRIVER_SECONDNAME;DRIVER_*Extra 4;".split(
        ";"
    )[:-1]
    header = classify(cells)
    assert header.variant == "single_driver_block"
    assert header.columns[-3:] == ["driver1_firstname", "driver1_secondname", "driver1_extra_4"]


def test_time_cards_without_flag_and_padded_names():
    cells = " NUMBER; DRIVER_NUMBER; LAP_NUMBER; LAP_TIME; ELAPSED; HOUR".split(";")
    header = classify(cells)
    assert header.kind.name == "time_cards" and header.variant == "without_flag_at_fl"
    assert header.columns[:3] == ["number", "driver_number", "lap_number"]


def test_grid_header():
    cells = "POSITION;CLASS;NUMBER;STARTING_DRIVER;QUALIFYING_DRIVER;DRIVER_1;DRIVER_2;TEAM;CAR;TIME".split(";")
    header = classify(cells)
    assert header.kind.name == "grids"
    assert "driver_1" in header.columns  # grid driver columns are not driver blocks


@pytest.mark.parametrize(
    "cells,message",
    [
        (["FOO", "BAR"], "matches no known report"),
        (["NUMBER", "NUMBER", "LAP_NUMBER", "DRIVER_NUMBER", "LAP_TIME", "ELAPSED"], "repeats column number"),
        (["NUMBER", "", "LAP_NUMBER"], "header cell 2 is empty"),
    ],
)
def test_bad_headers(cells, message):
    with pytest.raises(HeaderError, match=message):
        classify(cells)
