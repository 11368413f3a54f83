"""An incremental refresh (one new event on top of the rest) gives the same marts as a full build.

The warehouse is built from raw/ without its latest event, the event's files are then added and
`pitwall refresh` runs again: dbt builds incrementally (no --full-refresh) and rebuilds only the
new event's sessions in the fact tables. Every marts table must then equal the one of the session's
full build of raw/ (row count and a hash of every row).
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from integration.conftest import refresh
from reliability.common import checksums

pytestmark = pytest.mark.integration

NEW_EVENT = "24_2024/14_Road America"  # the latest event of raw/, both series


def changed_sessions(warehouse) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute("select session_id from intermediate.int_sessions_changed").fetchall()}
    finally:
        con.close()


def sessions_under(warehouse, prefix: str) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute(
            "select distinct session_key from raw.ingested_files where starts_with(path, ?) and session_key is not null",
            [prefix + "/"],
        ).fetchall()}
    finally:
        con.close()


def test_one_new_event_builds_incrementally_to_the_full_build(refreshed, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(refreshed.raw, raw)
    held = tmp_path / "held"
    shutil.move(str(raw / NEW_EVENT), str(held))
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()

    first = refresh(raw, warehouse, home)
    assert "build --full-refresh" in first.stdout + first.stderr
    shutil.move(str(held), str(raw / NEW_EVENT))
    second = refresh(raw, warehouse, home)
    log = second.stdout + second.stderr

    assert "succeeded" in second.stdout
    assert "dbt build against" in log and "--full-refresh" not in log  # incremental, not a rebuild
    changed = changed_sessions(warehouse)
    assert changed == sessions_under(warehouse, NEW_EVENT)  # only the new event's sessions were rebuilt

    assert checksums(warehouse, ("marts",)) == checksums(refreshed.warehouse, ("marts",))
