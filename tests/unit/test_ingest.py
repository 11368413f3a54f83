"""The ingestion library on the real files and on crafted bad ones (no Dagster, no dbt)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import ingest
from orchestration.ingest.formats import KINDS

SESSION = "24_2024/14_Road America/01_IMSA WeatherTech SportsCar Championship/202408041410_Race"
RESULTS = f"{SESSION}/03_Results_Race_Official.CSV"
TIME_CARDS = f"{SESSION}/23_Time Cards_Race.CSV"


def query(warehouse: Path, sql: str, params=None):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def manifest(warehouse: Path) -> dict[str, tuple]:
    rows = query(warehouse, "SELECT path, status, reason, rows_loaded, sha256 FROM raw.ingested_files")
    return {r[0]: r[1:] for r in rows}


def data_lines(path: Path) -> int:
    """Data rows of a CSV file: non-empty lines after the header."""
    return sum(1 for line in path.read_bytes().splitlines()[1:] if line.strip())


def table_checksums(warehouse: Path) -> dict[str, tuple]:
    out = {}
    for kind in [k.name for k in KINDS] + ["ingested_files"]:
        out[kind] = query(warehouse, f"SELECT count(*), sum(hash(t)) FROM raw.{kind} t")[0]
    return out


def test_real_files_load_row_for_row(real_raw, warehouse):
    report = ingest(real_raw, warehouse)
    files = manifest(warehouse)
    assert len(files) == 24 and {v[0] for v in files.values()} == {"loaded"}
    assert report.set_aside == 0
    for rel, (_status, _reason, rows, _sha) in files.items():
        assert rows == data_lines(real_raw / rel), rel
        kind = query(warehouse, "SELECT kind FROM raw.ingested_files WHERE path = ?", [rel])[0][0]
        in_table = query(
            warehouse,
            f"SELECT count(*), min(_row_number), max(_row_number) FROM raw.{kind} WHERE _file_path = ?",
            [rel],
        )[0]
        assert in_table == (rows, 1, rows), rel


def test_values_are_kept_as_delivered_with_lineage(real_raw, warehouse):
    ingest(real_raw, warehouse)
    row = query(
        warehouse,
        "SELECT number, total_time, driver1_firstname, driver2_secondname, driver3_firstname, _row_number, _season, _session_name, _mark "
        "FROM raw.race_results WHERE _file_path = ? AND number = '023'",
        [RESULTS],
    )[0]
    # Car '023' keeps its leading zero; a short row is padded with nulls (no third driver).
    assert row == ("023", "2:37:46.951", "Alessio", "Triarsi", None, 41, 2024, "Race", "Official")
    hometown = query(
        warehouse, "SELECT driver1_hometown FROM raw.race_results WHERE number = '10' AND _file_path = ?", [RESULTS]
    )
    assert hometown == [("Coimbra, Portugal",)]


def test_second_run_reads_nothing_and_changes_nothing(real_raw, warehouse):
    ingest(real_raw, warehouse)
    before = table_checksums(warehouse)
    report = ingest(real_raw, warehouse)
    assert report.files_read == 0 and sum(report.rows_loaded.values()) == 0
    assert table_checksums(warehouse) == before


def test_touched_but_unchanged_file_is_not_read_again(real_raw, warehouse):
    ingest(real_raw, warehouse)
    os.utime(real_raw / RESULTS, ns=(1, 1))
    report = ingest(real_raw, warehouse)
    assert report.files_read == 0


def test_changed_file_replaces_its_rows(real_raw, warehouse):
    ingest(real_raw, warehouse)
    path = real_raw / RESULTS
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:11]) + b"\r\n")  # header + first 10 cars
    report = ingest(real_raw, warehouse)
    assert report.files_read == 1
    assert query(warehouse, "SELECT count(*) FROM raw.race_results WHERE _file_path = ?", [RESULTS]) == [(10,)]
    assert manifest(warehouse)[RESULTS][2] == 10


def _write(root: Path, rel: str, data: bytes) -> str:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rel


def _bad_variants(good: bytes) -> dict[str, tuple[bytes, str]]:
    text = good.decode("utf-8-sig")
    lines = text.split("\r\n")
    garbage = lines.copy()
    cells = garbage[3].split(";")
    cells[3] = "fast"  # LAPS
    garbage[3] = ";".join(cells)
    long_row = lines.copy()
    long_row[2] = long_row[2] + "x;" * 200
    return {
        "empty": (b"", "empty file (0 bytes)"),
        "comma": (text.replace(";", ",").encode(), "delimiter is ','"),
        "latin1": (
            (
                "\r\n".join(lines[:3]) + "\r\n1;99;Classified;1;1:00.000;-;-;1;1:00.000;1;Équipe Française;GTP;\r\n"
            ).encode("latin-1"),
            "not utf-8",
        ),
        "utf16": (text.encode("utf-16"), "UTF-16"),
        "garbage": ("\r\n".join(garbage).encode(), "LAPS 'fast' is not a valid value"),
        "unknown": (b"FOO;BAR;\r\n1;2;\r\n", "matches no known report"),
        "binary": (bytes(range(256)) * 8, "binary content"),
        "header_only": (lines[0].encode() + b"\r\n", "header only"),
        "too_many_cells": ("\r\n".join(long_row).encode(), "too many columns"),
    }


def test_each_bad_file_is_set_aside_with_a_reason_and_others_load(real_raw, warehouse):
    good = (real_raw / RESULTS).read_bytes()
    expected = {}
    for i, (name, (data, reason)) in enumerate(_bad_variants(good).items()):
        rel = f"24_2024/9{i}_Bad {name}/01_IMSA/202408041410_Race/03_Results_Race_Official.CSV"
        expected[_write(real_raw, rel, data)] = reason
    report = ingest(real_raw, warehouse)
    files = manifest(warehouse)
    for rel, reason in expected.items():
        status, got_reason, rows, _ = files[rel]
        assert status == "quarantined", rel
        assert reason.lower() in got_reason.lower(), (rel, got_reason)
        assert "\n" not in got_reason
        assert rows == 0
        for kind in KINDS:
            assert query(warehouse, f"SELECT count(*) FROM raw.{kind.name} WHERE _file_path = ?", [rel]) == [(0,)], (
                rel,
                kind.name,
            )
    assert report.set_aside == len(expected)
    loaded = [r for r, v in files.items() if v[0] == "loaded"]
    assert len(loaded) == 24, "every real file still loads"


def test_misplaced_and_non_data_files(real_raw, warehouse):
    _write(real_raw, "notes.txt", b"hello")
    _write(real_raw, "24_2024/loose.CSV", b"POSITION;NUMBER;\r\n")
    _write(real_raw, f"{SESSION}/01_Grid_Race_Official.pdf", b"%PDF-1.4")
    ingest(real_raw, warehouse)
    files = manifest(warehouse)
    assert files["notes.txt"][:2] == ("skipped", "not a data file (TXT)")
    assert files[f"{SESSION}/01_Grid_Race_Official.pdf"][0] == "skipped"
    assert files["24_2024/loose.CSV"][0] == "quarantined"
    assert "folder levels" in files["24_2024/loose.CSV"][1]


def test_newer_mark_supersedes_and_both_stay_in_raw(real_raw, warehouse):
    official = real_raw / RESULTS
    provisional = official.with_name("03_Results_Race_Provisional.CSV")
    shutil.copy2(official, provisional)
    ingest(real_raw, warehouse)
    files = manifest(warehouse)
    assert files[RESULTS][0] == "loaded"
    status, reason, _, _ = files[str(Path(RESULTS).with_name(provisional.name))]
    assert status == "superseded" and RESULTS in reason
    assert query(warehouse, "SELECT count(DISTINCT _file_path) FROM raw.race_results") == [(3,)]
    # An amended report arriving later supersedes the official one.
    amended = official.with_name("03_Results_Race_Official_Amended.CSV")
    shutil.copy2(official, amended)
    ingest(real_raw, warehouse)
    files = manifest(warehouse)
    assert files[RESULTS][0] == "superseded"
    assert files[str(Path(RESULTS).with_name(amended.name))][0] == "loaded"


def test_removed_file_keeps_rows_and_stops_counting(real_raw, warehouse):
    ingest(real_raw, warehouse)
    kept = (real_raw / TIME_CARDS).read_bytes()
    (real_raw / TIME_CARDS).unlink()
    ingest(real_raw, warehouse)
    status, reason, rows, _ = manifest(warehouse)[TIME_CARDS]
    assert status == "removed" and "rows kept" in reason
    assert query(warehouse, "SELECT count(*) FROM raw.time_cards WHERE _file_path = ?", [TIME_CARDS]) == [(rows,)]
    (real_raw / TIME_CARDS).write_bytes(kept)
    report = ingest(real_raw, warehouse)
    assert manifest(warehouse)[TIME_CARDS][:2] == ("loaded", None) and report.files_read == 0
    mtime = query(warehouse, "SELECT mtime_ns FROM raw.ingested_files WHERE path = ?", [TIME_CARDS])
    assert mtime == [((real_raw / TIME_CARDS).stat().st_mtime_ns,)]  # the restored file's own time


def test_failed_run_leaves_the_warehouse_as_it_was(real_raw, warehouse, monkeypatch):
    ingest(real_raw, warehouse)
    before = table_checksums(warehouse)
    (real_raw / RESULTS).write_bytes((real_raw / RESULTS).read_bytes().replace(b"Porsche Penske", b"Penske Porsche"))
    from orchestration.ingest import load

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash after the rows were written")

    monkeypatch.setattr(load.Ingestor, "_resolve_supersession", staticmethod(boom))
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(real_raw, warehouse)
    assert table_checksums(warehouse) == before
