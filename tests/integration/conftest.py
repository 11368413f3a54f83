"""A warehouse built once per test session by the real `pitwall refresh` (Dagster job + dbt build),
from a temporary copy of raw/, into a temporary warehouse and Dagster instance."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from helpers import RAW, REPO

PITWALL = Path(sys.executable).with_name("pitwall")


@dataclass
class Refreshed:
    raw: Path
    warehouse: Path
    dagster_home: Path
    output: str

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return refresh(self.raw, self.warehouse, self.dagster_home, *args, check=check)


def refresh(
    raw: Path, warehouse: Path, dagster_home: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "COLUMNS": "200"}
    env.pop("PITWALL_RAW_DIR", None)
    env.pop("PITWALL_WAREHOUSE", None)
    done = subprocess.run(
        [str(PITWALL), "refresh", "--raw", str(raw), "--warehouse", str(warehouse), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"pitwall refresh failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
        )
    return done


@pytest.fixture(scope="session")
def refreshed(tmp_path_factory) -> Refreshed:
    root = tmp_path_factory.mktemp("refresh")
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    warehouse = root / "warehouse" / "pitwall.duckdb"
    done = refresh(raw, warehouse, dagster_home)
    return Refreshed(raw, warehouse, dagster_home, done.stdout)


FIXTURES = REPO / "tests" / "fixtures"
ARCHIVE = FIXTURES / "imsa-weathertech-2021-2022"  # real files (tests/fixtures/README.md)
MUSTANG = FIXTURES / "mustang-challenge-2026"


def build(tmp_path_factory, name: str, *sources: Path) -> Refreshed:
    """`pitwall refresh` of the sources copied into one raw root, into an empty warehouse."""
    root = tmp_path_factory.mktemp(name)
    raw = root / "raw"
    for source in sources:
        shutil.copytree(source, raw, dirs_exist_ok=True)
    home = root / "dagster_home"
    home.mkdir()
    warehouse = root / "warehouse" / "pitwall.duckdb"
    done = refresh(raw, warehouse, home)
    return Refreshed(raw, warehouse, home, done.stdout)


@pytest.fixture(scope="session")
def archive(tmp_path_factory) -> Refreshed:
    """The IMSA 2021-2022 archive and raw/, refreshed once per session."""
    return build(tmp_path_factory, "archive", ARCHIVE, RAW)


@pytest.fixture(scope="session")
def mustang(tmp_path_factory) -> Refreshed:
    """The Mustang Challenge 2026 JSON files, refreshed once per session."""
    return build(tmp_path_factory, "mustang", MUSTANG)


@pytest.fixture(scope="session")
def query(refreshed):
    def run(sql: str, params=None):
        con = duckdb.connect(str(refreshed.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    return run
