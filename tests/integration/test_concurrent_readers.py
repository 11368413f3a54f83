"""Readers keep answering while `pitwall refresh` runs, and never see a torn state.

A temporary tree of the real IMSA files without Road America is refreshed (state A); Road America's
files are added and a second refresh runs in a subprocess while five kinds of reader, each its own
process, query the published copy in a loop: a new DuckDB connection per read, one connection
held open throughout, SQLAlchemy (duckdb-engine), `pitwall sql`, and the Parquet files. Every read
must succeed and show the row counts of one finished refresh: all of A or all of B, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import RAW, REPO, ROAD_AMERICA_IMSA, copy_real_imsa
from integration.conftest import PITWALL, refresh

from orchestration.warehouse import settings

pytestmark = pytest.mark.integration

READER = Path(__file__).with_name("published_reader.py")
MODES = ("duckdb", "held", "sqlalchemy", "pitwall", "parquet")


def read_state(published: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = con.execute("SELECT table_schema || '.' || table_name FROM meta.publication ORDER BY 1").fetchall()
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for (t,) in tables}
    finally:
        con.close()


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_readers_keep_answering_and_never_see_a_torn_copy(tmp_path: Path) -> None:
    raw = copy_real_imsa(tmp_path / "raw")
    road_america = raw / ROAD_AMERICA_IMSA.relative_to(RAW)
    held_back = tmp_path / "held_back"
    shutil.move(str(road_america), str(held_back))
    home = tmp_path / "dagster_home"
    home.mkdir()
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    published = settings.published_warehouse_path(warehouse)

    refresh(raw, warehouse, home)  # state A
    state_a = read_state(published)

    shutil.move(str(held_back), str(road_america))
    stop = tmp_path / "stop"
    env = {**os.environ, "DAGSTER_HOME": str(home), "COLUMNS": "200"}
    env.pop("PITWALL_RAW_DIR", None)
    env.pop("PITWALL_WAREHOUSE", None)
    readers = {}
    for mode in MODES:
        out = tmp_path / f"reads_{mode}.jsonl"
        readers[mode] = (
            out,
            subprocess.Popen(
                [sys.executable, str(READER), mode, str(published), str(out), str(stop), str(PITWALL), str(warehouse)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
    try:
        time.sleep(3)  # every reader has started reading state A
        started = time.time()
        second = subprocess.run(
            [str(PITWALL), "refresh", "--raw", str(raw), "--warehouse", str(warehouse)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        finished = time.time()
    finally:
        stop.touch()  # the readers read once more and stop
        outputs = {}
        for mode, (_out, process) in readers.items():
            try:
                outputs[mode] = process.communicate(timeout=180)[0]
            except subprocess.TimeoutExpired:
                process.kill()
                outputs[mode] = process.communicate()[0]
    for mode, (_out, process) in readers.items():
        assert process.returncode == 0, (mode, outputs[mode])
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    assert "published:" in second.stdout

    state_b = read_state(published)
    assert state_b.keys() == state_a.keys()
    assert state_b["marts.fct_laps"] > state_a["marts.fct_laps"] > 0  # the second refresh changed the copy
    assert state_b["raw.ingested_files"] > state_a["raw.ingested_files"]

    for mode, (out, _) in readers.items():
        reads = load(out)
        errors = [r["error"] for r in reads if "error" in r]
        assert not errors, (mode, errors[:3])
        during = [r for r in reads if started <= r["at"] <= finished]
        assert len(during) >= 3, (mode, len(during), "reads while the refresh ran")
        seen = []
        for r in reads:
            expected_keys = [t for t in state_a if mode != "parquet" or t.startswith("marts.")]
            counts = r["counts"]
            assert sorted(counts) == sorted(expected_keys), mode
            is_a = all(counts[t] == state_a[t] for t in counts)
            is_b = all(counts[t] == state_b[t] for t in counts)
            if mode == "parquet":  # each file is whole (A or B); the set is not swapped as one
                assert all(counts[t] in (state_a[t], state_b[t]) for t in counts), (mode, counts)
                continue
            assert is_a or is_b, (mode, "torn state", counts)
            assert r["meta"] == counts, (mode, "meta.publication disagrees with the tables it lists")
            seen.append("A" if is_a else "B")
        if mode == "held":  # the file it opened is the old copy, whole, to the end
            assert set(seen) == {"A"}, seen
        elif mode != "parquet":
            assert seen[0] == "A" and seen[-1] == "B", (mode, seen[0], seen[-1])
            assert "".join(seen).count("BA") == 0, (mode, "went back to the old copy")
