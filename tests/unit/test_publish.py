"""orchestration/publish on a small hand-made warehouse: what is copied, that it matches, that the
old copy stays whole until the new one replaces it, and that readers of the old file keep working."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration import publish as pub
from orchestration.publish import parquet as parquet_mod
from orchestration.publish import files
from orchestration.publish.snapshot import PublishError
from publish_helpers import make_build


def rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def build(tmp_path: Path) -> Path:
    return make_build(tmp_path / "warehouse" / "pitwall.duckdb")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "published"


DESCRIPTIONS = {
    ("marts", "fct_laps"): ("One row per lap.", {"lap_s": "Lap time, seconds.", "nope": "not a column"}),
    ("raw", "ingested_files"): ("The ingestion manifest.", {}),
}


def test_copies_the_marts_tables_and_the_manifest_only(build: Path, out: Path) -> None:
    done = pub.publish(build, out, run_id="run-1", descriptions=DESCRIPTIONS)
    assert done.path == out / "pitwall.duckdb"
    tables = rows(done.path, "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2")
    assert tables == [("marts", "fct_laps"), ("marts", "standings"), ("meta", "publication"), ("raw", "ingested_files")]
    assert rows(done.path, "SELECT count(*) FROM duckdb_views() WHERE NOT internal") == [(0,)]
    assert [(t.qualified, t.rows) for t in done.tables] == [
        ("marts.fct_laps", 3), ("marts.standings", 2), ("raw.ingested_files", 2)]
    assert rows(done.path, "SELECT table_schema, table_name, row_count, run_id, storage_version FROM meta.publication ORDER BY 1, 2") == [
        ("marts", "fct_laps", 3, "run-1", "v1.0.0"), ("marts", "standings", 2, "run-1", "v1.0.0"),
        ("raw", "ingested_files", 2, "run-1", "v1.0.0")]


def test_copy_matches_the_build_file_row_for_row_with_types(build: Path, out: Path) -> None:
    done = pub.publish(build, out)
    for table in ("marts.fct_laps", "marts.standings", "raw.ingested_files"):
        assert rows(done.path, f"SELECT * FROM {table} ORDER BY ALL") == rows(build, f"SELECT * FROM {table} ORDER BY ALL")
        assert rows(done.path, f"DESCRIBE {table}") == rows(build, f"DESCRIBE {table}")


def test_older_storage_version(build: Path, out: Path) -> None:
    done = pub.publish(build, out)
    assert pub.storage_version_of(done.path) == "v1.0.0+"
    assert pub.storage_version_of(build) != "v1.0.0+"  # the build file is in DuckDB 2.0's format
    # the header's storage version number is 64, the one DuckDB 0.10 and 1.x read
    header = done.path.read_bytes()[:20]
    assert header[8:12] == b"DUCK" and int.from_bytes(header[12:20], "little") == 64


def test_descriptions_become_comments(build: Path, out: Path) -> None:
    done = pub.publish(build, out, descriptions=DESCRIPTIONS)
    assert rows(done.path, "SELECT comment FROM duckdb_tables() WHERE table_name = 'fct_laps'") == [("One row per lap.",)]
    assert rows(done.path, "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'fct_laps' ORDER BY column_index") == [
        ("lap_number", None), ("car", None), ("lap_s", "Lap time, seconds."), ("flag", None)]
    assert rows(done.path, "SELECT comment FROM duckdb_tables() WHERE table_name = 'ingested_files'") == [("The ingestion manifest.",)]
    assert rows(done.path, "SELECT comment IS NOT NULL FROM duckdb_tables() WHERE table_name = 'publication'") == [(True,)]


def test_one_parquet_file_per_mart_equal_to_the_table(build: Path, out: Path) -> None:
    done = pub.publish(build, out)
    assert sorted(p.name for p in (out / "parquet").iterdir()) == ["fct_laps.parquet", "standings.parquet"]
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{build}' AS b (READ_ONLY)")
        for table in ("fct_laps", "standings"):
            file = out / "parquet" / f"{table}.parquet"
            assert con.execute(f"SELECT * FROM '{file}' ORDER BY ALL").fetchall() == \
                con.execute(f"SELECT * FROM b.marts.{table} ORDER BY ALL").fetchall()
        # HUGEINT (no Parquet type; DuckDB would write DOUBLE) is written as BIGINT
        types = dict((r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM '{out / 'parquet' / 'standings.parquet'}'").fetchall())
        assert types["points"] == "BIGINT"
    finally:
        con.close()
    assert {p.table: p.rows for p in done.parquet} == {"fct_laps": 3, "standings": 2}


def test_republish_replaces_everything_and_removes_dropped_marts(build: Path, out: Path) -> None:
    pub.publish(build, out)
    make_build(build, laps=7)
    con = duckdb.connect(str(build))
    con.execute("DROP TABLE marts.standings")
    con.close()
    done = pub.publish(build, out)
    assert rows(done.path, "SELECT count(*) FROM marts.fct_laps") == [(7,)]
    assert rows(done.path, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'standings'") == [(0,)]
    assert sorted(p.name for p in (out / "parquet").iterdir()) == ["fct_laps.parquet"]
    assert not [p for p in out.rglob("*") if files.TMP_SUFFIX in p.name or p.name.endswith(".wal")]


def test_a_reader_of_the_old_copy_keeps_reading_it(build: Path, out: Path) -> None:
    first = pub.publish(build, out)
    reader = duckdb.connect(str(first.path), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM marts.fct_laps").fetchall() == [(3,)]
        make_build(build, laps=5)
        pub.publish(build, out)  # renamed over the file the reader has open
        assert reader.execute("SELECT count(*), sum(lap_number) FROM marts.fct_laps").fetchall() == [(3, 3)]
    finally:
        reader.close()
    assert rows(first.path, "SELECT count(*) FROM marts.fct_laps") == [(5,)]  # a new reader sees the new copy


def test_a_failed_publication_leaves_the_old_one_whole(build: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pub.publish(build, out)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    make_build(build, laps=9)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(parquet_mod, "stage_marts", broken)
    with pytest.raises(OSError, match="disk full"):
        pub.publish(build, out)
    after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # same files, same bytes, no temporary file left


def test_a_copy_that_differs_is_not_published(build: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.publish import snapshot

    real = snapshot.fingerprint
    monkeypatch.setattr(snapshot, "fingerprint", lambda con, q: (0, 0) if q.startswith('"pub"') else real(con, q))
    with pytest.raises(PublishError, match="copy has"):
        pub.publish(build, out)
    assert not [p for p in out.rglob("*") if p.is_file()]  # no copy, no temporary file


def test_leftovers_of_a_crashed_publication_are_removed(build: Path, out: Path) -> None:
    out.mkdir(parents=True)
    leftover = files.temporary_sibling(out / "pitwall.duckdb")
    leftover.write_bytes(b"half a file")
    pub.publish(build, out)
    assert not leftover.exists()


def test_nothing_to_publish(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="marts"):
        pub.publish(empty, tmp_path / "published")
    with pytest.raises(PublishError, match="no warehouse"):
        pub.publish(tmp_path / "missing.duckdb", tmp_path / "published")


def test_a_parquet_file_that_differs_is_not_published(build: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pub.publish(build, out)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    make_build(build, laps=6)
    real = parquet_mod.fingerprint
    monkeypatch.setattr(parquet_mod, "fingerprint", lambda con, q: (1, 1) if "read_parquet" in q else real(con, q))
    with pytest.raises(PublishError, match="parquet"):
        pub.publish(build, out)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
