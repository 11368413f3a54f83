"""Reloading one event or one season (`ingest(force_prefix=...)`, the `reload_files` job's config):
the files under the prefix are read again even if unchanged, the others are left alone."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import ingest
from orchestration.ingest.formats import KINDS

EVENT = "24_2024/14_Road America"
TIME_CARDS = f"{EVENT}/01_IMSA WeatherTech SportsCar Championship/202408041410_Race/23_Time Cards_Race.CSV"


def query(warehouse: Path, sql: str, params=None):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def raw_checksums(warehouse: Path) -> dict[str, tuple]:
    return {k.name: query(warehouse, f"SELECT count(*), sum(hash(t)) FROM raw.{k.name} t")[0] for k in KINDS}


def files_under(raw: Path, prefix: str) -> int:
    return sum(1 for p in (raw / prefix).rglob("*") if p.is_file())


def test_an_event_is_read_again_and_the_rest_is_not(real_raw, warehouse):
    ingest(real_raw, warehouse)
    before = raw_checksums(warehouse)
    in_event = files_under(real_raw, EVENT)
    assert 0 < in_event < 24

    report = ingest(real_raw, warehouse, force_prefix=EVENT)
    assert report.files_reloaded == in_event
    assert report.files_read == in_event
    assert report.files_unchanged == 24 - in_event
    assert raw_checksums(warehouse) == before, "same files, same rows: nothing doubled, nothing lost"
    assert {s for (s,) in query(warehouse, "SELECT DISTINCT status FROM raw.ingested_files")} == {"loaded"}

    again = ingest(real_raw, warehouse)  # and afterwards, back to incremental
    assert again.files_read == 0 and again.files_reloaded == 0


def test_a_season_reload_repairs_rows_lost_from_raw(real_raw, warehouse):
    ingest(real_raw, warehouse)
    before = raw_checksums(warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("DELETE FROM raw.time_cards WHERE _file_path = ?", [TIME_CARDS])
    con.close()
    assert ingest(real_raw, warehouse).files_read == 0  # unchanged files are not opened
    assert raw_checksums(warehouse) != before

    report = ingest(real_raw, warehouse, force_prefix="./24_2024/")  # spelled loosely
    assert report.files_reloaded == 24
    assert raw_checksums(warehouse) == before


@pytest.mark.parametrize("prefix", ["25_2025", "24_202", "24_2024/99_Nowhere"])
def test_a_prefix_that_matches_no_file_fails_and_changes_nothing(real_raw, warehouse, prefix):
    ingest(real_raw, warehouse)
    before = raw_checksums(warehouse)
    with pytest.raises(ValueError, match="24_2024"):  # the message lists the season folders there are
        ingest(real_raw, warehouse, force_prefix=prefix)
    assert raw_checksums(warehouse) == before


def test_no_prefix_is_the_usual_incremental_run(real_raw, warehouse):
    ingest(real_raw, warehouse)
    for empty in (None, "", "  ", "/"):
        report = ingest(real_raw, warehouse, force_prefix=empty)
        assert report.files_read == 0 and report.files_reloaded == 0
