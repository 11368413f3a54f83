"""Re-posted reports: Provisional -> Official -> Amended of one session, identical re-posts, a file
deleted from raw/. Exactly one version counts downstream; every version's rows stay in raw (history).

What the warehouse does, and why (docs/reliability.md says the same):
- each mark of a session's report is its own file and its own rows in raw; the highest mark is
  `loaded` (counts: dbt reads only `loaded` files), the others are `superseded`, rows kept;
- a re-post with the same bytes (re-saved, touched, copied again) is not read again and changes nothing;
- a file deleted from raw/ becomes `removed`: its rows are kept (history, audit), it no longer counts,
  and the next highest mark of the same report counts again. raw/ mirrors what the results site
  publishes now; a report withdrawn there should stop counting here. Put back with the same bytes, the
  file is `loaded` again without being read.
- (a file overwritten in place with other bytes is read again and its rows replaced: the path now
  holds another document; its earlier rows are not kept.)

fast: the whole sequence through ingestion (the manifest is what dbt filters on);
slow: the same sequence through `pitwall refresh`, checked in marts.fct_session_results.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import copy_real_imsa
from reliability.common import checksums, manifest_problems, record, rows, start

from orchestration.ingest import ingest

SESSION = "24_2024/14_Road America/01_IMSA WeatherTech SportsCar Championship/202408041410_Race"
OFFICIAL = f"{SESSION}/03_Results_Race_Official.CSV"
PROVISIONAL = f"{SESSION}/03_Results_Race_Provisional.CSV"
AMENDED = f"{SESSION}/03_Results_Race_Official_Amended.CSV"
WEATHER = f"{SESSION}/26_Weather_Race.CSV"


def with_total_time(data: bytes, value: str) -> bytes:
    """The report with the winner's TOTAL_TIME replaced (what an amendment changes)."""
    lines = data.split(b"\r\n")
    header = lines[0].decode("utf-8-sig").split(";")
    cells = lines[1].split(b";")
    cells[header.index("TOTAL_TIME")] = value.encode()
    lines[1] = b";".join(cells)
    return b"\r\n".join(lines)


class Scenario:
    """A raw root holding the real IMSA files, the race's results report replaced by its versions."""

    def __init__(self, root: Path):
        self.raw = copy_real_imsa(root / "raw")
        self.official = (self.raw / OFFICIAL).read_bytes()
        (self.raw / OFFICIAL).unlink()
        self.versions = {
            PROVISIONAL: with_total_time(self.official, "2:40:45.000"),
            OFFICIAL: self.official,
            AMENDED: with_total_time(self.official, "2:40:44.111"),
        }
        self.steps: list[dict] = []

    def put(self, rel: str, data: bytes | None = None) -> None:
        path = self.raw / rel
        path.write_bytes(self.versions[rel] if data is None else data)

    def winner_time(self, rel: str) -> str:
        header = self.versions[rel].split(b"\r\n")[0].decode("utf-8-sig").split(";")
        return self.versions[rel].split(b"\r\n")[1].split(b";")[header.index("TOTAL_TIME")].decode()


def manifest_of(warehouse: Path, paths: list[str]) -> dict[str, str]:
    found = dict(rows(warehouse, "SELECT path, status FROM raw.ingested_files WHERE list_contains(?, path)", [paths]))
    return {p: found.get(p, "absent") for p in paths}


def counting(warehouse: Path) -> list[str]:
    return [
        p
        for (p,) in rows(
            warehouse,
            "SELECT path FROM raw.ingested_files WHERE status = 'loaded' AND path LIKE ? AND report = 'Results'",
            [f"{SESSION}/%"],
        )
    ]


def rows_in_raw(warehouse: Path, rel: str) -> int:
    return rows(warehouse, "SELECT count(*) FROM raw.race_results WHERE _file_path = ?", [rel])[0][0]


def winner_time_in_raw(warehouse: Path) -> str:
    """The winner's total time, as dbt sees it: from the one file that counts."""
    return rows(
        warehouse,
        "SELECT r.total_time FROM raw.race_results r JOIN raw.ingested_files f ON f.path = r._file_path "
        "WHERE f.status = 'loaded' AND r._file_path LIKE ? AND r._row_number = 1",
        [f"{SESSION}/%"],
    )[0][0]


def test_provisional_official_amended_reposted_deleted(tmp_path):
    s = Scenario(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    versions = [PROVISIONAL, OFFICIAL, AMENDED]
    n_rows = s.official.count(b"\r\n") - 1

    def step(name: str, counts: str, statuses: dict[str, str], history: list[str]) -> None:
        report = ingest(s.raw, warehouse)
        assert manifest_problems(warehouse) == [], name
        assert counting(warehouse) == [counts], (name, counting(warehouse))
        assert manifest_of(warehouse, versions) == statuses, name
        for rel in history:  # every version seen stays in raw, row for row
            assert rows_in_raw(warehouse, rel) == n_rows, (name, rel)
        assert winner_time_in_raw(warehouse) == s.winner_time(counts), name
        s.steps.append(
            {
                "step": name,
                "counts": Path(counts).name,
                "rows_kept_in_raw": len(history) * n_rows,
                "files_read": report.files_read,
            }
        )

    s.put(PROVISIONAL)
    step(
        "Provisional posted", PROVISIONAL, {PROVISIONAL: "loaded", OFFICIAL: "absent", AMENDED: "absent"}, [PROVISIONAL]
    )
    s.put(OFFICIAL)
    step(
        "Official posted",
        OFFICIAL,
        {PROVISIONAL: "superseded", OFFICIAL: "loaded", AMENDED: "absent"},
        [PROVISIONAL, OFFICIAL],
    )
    s.put(AMENDED)
    step("Amended posted", AMENDED, {PROVISIONAL: "superseded", OFFICIAL: "superseded", AMENDED: "loaded"}, versions)

    # Re-posted identical: re-saved with the same bytes (new modification time), and posted again.
    before = checksums(warehouse)
    os.utime(s.raw / AMENDED, ns=(time.time_ns(), time.time_ns()))
    s.put(OFFICIAL)
    report = ingest(s.raw, warehouse)
    assert report.files_read == 0 and sum(report.rows_loaded.values()) == 0
    assert {k: v for k, v in checksums(warehouse).items() if k != "raw.ingested_files"} == {
        k: v for k, v in before.items() if k != "raw.ingested_files"
    }
    assert counting(warehouse) == [AMENDED]
    s.steps.append(
        {"step": "identical re-posts (touched, copied again)", "counts": Path(AMENDED).name, "files_read": 0}
    )

    # Deleted from raw/: the amended report is withdrawn; the official one counts again.
    (s.raw / AMENDED).unlink()
    step("Amended deleted", OFFICIAL, {PROVISIONAL: "superseded", OFFICIAL: "loaded", AMENDED: "removed"}, versions)
    # Put back with the same bytes: counts again, not read again.
    s.put(AMENDED)
    step("Amended put back", AMENDED, {PROVISIONAL: "superseded", OFFICIAL: "superseded", AMENDED: "loaded"}, versions)
    assert s.steps[-1]["files_read"] == 0

    # The only version of a report deleted: nothing of it counts, its rows stay.
    weather_rows = rows(warehouse, "SELECT count(*) FROM raw.weather WHERE _file_path = ?", [WEATHER])[0][0]
    (s.raw / WEATHER).unlink()
    ingest(s.raw, warehouse)
    assert manifest_of(warehouse, [WEATHER]) == {WEATHER: "removed"}
    assert rows(warehouse, "SELECT count(*) FROM raw.weather WHERE _file_path = ?", [WEATHER])[0][0] == weather_rows > 0
    s.steps.append({"step": "only weather report deleted", "counts": "none", "rows_kept_in_raw": weather_rows})
    record("reposted_fast", {"steps": s.steps, "versions_counting_per_step": 1, "rows_lost": 0})


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_reposted_through_refresh(tmp_path):
    """The same sequence through `pitwall refresh`: the marts hold the one version that counts."""
    s = Scenario(tmp_path)
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()

    def refresh_and_check(name: str, counts: str | None) -> None:
        run = start(["refresh", "--raw", str(s.raw), "--warehouse", str(warehouse)], home)
        out, _ = run.communicate(timeout=1800)
        assert run.returncode == 0, f"{name}:\n{out[-4000:]}"
        in_marts = rows(
            warehouse,
            "SELECT DISTINCT source_file_path FROM marts.fct_session_results WHERE source_file_path LIKE ?",
            [f"{SESSION}/03_Results%"],
        )
        assert in_marts == ([(counts,)] if counts else []), (name, in_marts)
        if counts:
            n = rows(warehouse, "SELECT count(*) FROM marts.fct_session_results WHERE source_file_path = ?", [counts])[
                0
            ][0]
            assert n == s.official.count(b"\r\n") - 1, name
        s.steps.append({"step": name, "in_marts": Path(counts).name if counts else "none"})

    s.put(PROVISIONAL)
    refresh_and_check("Provisional posted", PROVISIONAL)
    s.put(OFFICIAL)
    refresh_and_check("Official posted", OFFICIAL)
    s.put(AMENDED)
    refresh_and_check("Amended posted", AMENDED)
    s.put(OFFICIAL)
    refresh_and_check("Official re-posted identical", AMENDED)
    (s.raw / AMENDED).unlink()
    refresh_and_check("Amended deleted", OFFICIAL)
    for rel in (PROVISIONAL, OFFICIAL):
        (s.raw / rel).unlink()
    refresh_and_check("every version deleted", None)
    assert (
        rows(
            warehouse,
            "SELECT count(DISTINCT _file_path) FROM raw.race_results WHERE _file_path LIKE ?",
            [f"{SESSION}/%"],
        )[0][0]
        == 3
    )  # history: all three versions kept in raw
    record("reposted_slow", {"steps": s.steps})
