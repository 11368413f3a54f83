"""orchestration/publish on a small hand-made warehouse: what is copied, that it matches, that the
old copy stays whole until the new one replaces it, and that readers of the old file keep working."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from publish_helpers import make_build

from orchestration import publish as pub
from orchestration.publish import files
from orchestration.publish import parquet as parquet_mod
from orchestration.publish import snapshot as snapshot_mod
from orchestration.publish.snapshot import PublishError, checksum


def rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def write(path: Path, *statements: str) -> None:
    """Run `statements` on the DuckDB file at `path`, then close it."""
    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement)
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
    assert tables == [
        ("marts", "dim_sessions"),
        ("marts", "fct_laps"),
        ("marts", "standings"),
        ("meta", "publication"),
        ("meta", "publication_sessions"),
        ("raw", "ingested_files"),
    ]
    assert rows(done.path, "SELECT count(*) FROM duckdb_views() WHERE NOT internal") == [(0,)]
    assert [(t.qualified, t.rows) for t in done.tables] == [
        ("marts.dim_sessions", 1),
        ("marts.fct_laps", 3),
        ("marts.standings", 2),
        ("raw.ingested_files", 2),
    ]
    assert rows(
        done.path,
        "SELECT table_schema, table_name, row_count, run_id, storage_version FROM meta.publication ORDER BY 1, 2",
    ) == [
        ("marts", "dim_sessions", 1, "run-1", "v1.0.0"),
        ("marts", "fct_laps", 3, "run-1", "v1.0.0"),
        ("marts", "standings", 2, "run-1", "v1.0.0"),
        ("raw", "ingested_files", 2, "run-1", "v1.0.0"),
    ]


def test_copy_matches_the_build_file_row_for_row_with_types(build: Path, out: Path) -> None:
    done = pub.publish(build, out)
    for table in ("marts.fct_laps", "marts.standings", "raw.ingested_files"):
        assert rows(done.path, f"SELECT * FROM {table} ORDER BY ALL") == rows(
            build, f"SELECT * FROM {table} ORDER BY ALL"
        )
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
    assert rows(done.path, "SELECT comment FROM duckdb_tables() WHERE table_name = 'fct_laps'") == [
        ("One row per lap.",)
    ]
    assert rows(
        done.path,
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'fct_laps' ORDER BY column_index",
    ) == [("lap_number", None), ("car", None), ("lap_s", "Lap time, seconds."), ("flag", None), ("session_id", None)]
    assert rows(done.path, "SELECT comment FROM duckdb_tables() WHERE table_name = 'ingested_files'") == [
        ("The ingestion manifest.",)
    ]
    assert rows(done.path, "SELECT comment IS NOT NULL FROM duckdb_tables() WHERE table_name = 'publication'") == [
        (True,)
    ]


def parquet_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out / "parquet")) for p in (out / "parquet").rglob("*") if p.is_file())


def test_one_parquet_file_per_mart_equal_to_the_table(build: Path, out: Path) -> None:
    done = pub.publish(build, out)
    assert parquet_files(out) == ["dim_sessions.parquet", "fct_laps/season=2024/data.parquet", "standings.parquet"]
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{build}' AS b (READ_ONLY)")
        for table in ("fct_laps", "standings"):
            file = parquet_mod.reader_path(out / "parquet", table)
            assert (
                con.execute(f"SELECT * FROM read_parquet('{file}', hive_partitioning = false) ORDER BY ALL").fetchall()
                == con.execute(f"SELECT * FROM b.marts.{table} ORDER BY ALL").fetchall()
            )
        # HUGEINT (no Parquet type; DuckDB would write DOUBLE) is written as BIGINT
        types = {
            r[0]: r[1]
            for r in con.execute(f"DESCRIBE SELECT * FROM '{out / 'parquet' / 'standings.parquet'}'").fetchall()
        }
        assert types["points"] == "BIGINT"
        # Each footer records the checksum of the file's rows (what the next publication compares).
        for file in (out / "parquet").rglob("*.parquet"):
            read = f"read_parquet('{file}', hive_partitioning = false)"
            assert parquet_mod.recorded_checksum(con, file) == checksum(con, read)
    finally:
        con.close()
    assert {p.table: p.rows for p in done.parquet} == {"dim_sessions": 1, "fct_laps": 3, "standings": 2}


def test_republish_replaces_everything_and_removes_dropped_marts(build: Path, out: Path) -> None:
    pub.publish(build, out)
    make_build(build, laps=7)
    write(build, "DROP TABLE marts.standings")
    done = pub.publish(build, out)
    assert rows(done.path, "SELECT count(*) FROM marts.fct_laps") == [(7,)]
    assert rows(done.path, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'standings'") == [(0,)]
    assert parquet_files(out) == ["dim_sessions.parquet", "fct_laps/season=2024/data.parquet"]
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

    real = snapshot.checksum
    monkeypatch.setattr(snapshot, "checksum", lambda con, q: (0, 0) if q.startswith('"pub"') else real(con, q))
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
    real = parquet_mod.checksum
    monkeypatch.setattr(parquet_mod, "checksum", lambda con, q: (1, 1) if "read_parquet" in q else real(con, q))
    with pytest.raises(PublishError, match="parquet"):
        pub.publish(build, out)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# ------------------------------------------------------------------ the next copy starts from the last one


def add_sessions_table(build: Path, sessions: int = 40, rows_per_session: int = 50) -> None:
    write(
        build,
        f"CREATE OR REPLACE TABLE marts.fct_results AS SELECT 's' || (range // {rows_per_session}) AS session_id, "
        f"range AS n, (hash(range) % 1000003) * 1.5 AS value FROM range({sessions * rows_per_session})",
    )  # little to compress


def actions(done) -> dict[str, str]:
    return {t.qualified: t.described for t in done.tables}


def checks(done) -> dict[str, str]:
    return {t.qualified: t.checked for t in done.tables}


def same_rows(a: Path, b: Path, table: str) -> bool:
    return rows(a, f"SELECT * FROM {table} ORDER BY ALL") == rows(b, f"SELECT * FROM {table} ORDER BY ALL")


def test_nothing_changed_keeps_every_table_and_parquet_file(build: Path, out: Path) -> None:
    add_sessions_table(build)
    first = pub.publish(build, out, descriptions=DESCRIPTIONS)
    assert not first.reused_previous
    parquet_before = {p.target: p.target.stat().st_mtime_ns for p in first.parquet}
    again = pub.publish(build, out, run_id="run-2", descriptions=DESCRIPTIONS)
    assert again.reused_previous and set(actions(again).values()) == {"kept"}
    assert all(p.kept for p in again.parquet)
    assert {p.target: p.target.stat().st_mtime_ns for p in again.parquet} == parquet_before
    for table in ("marts.fct_laps", "marts.standings", "marts.fct_results", "raw.ingested_files"):
        assert same_rows(again.path, build, table)
    assert rows(again.path, "SELECT DISTINCT run_id FROM meta.publication") == [("run-2",)]
    assert rows(again.path, "SELECT comment FROM duckdb_tables() WHERE table_name = 'fct_laps'") == [
        ("One row per lap.",)
    ]


def test_a_few_changed_sessions_are_replaced_and_the_rest_kept(build: Path, out: Path) -> None:
    add_sessions_table(build)
    pub.publish(build, out)
    write(
        build,
        "DELETE FROM marts.fct_results WHERE session_id = 's3'",  # a session gone
        "UPDATE marts.fct_results SET value = -1 WHERE session_id = 's7' AND n % 2 = 0",  # one changed
        "INSERT INTO marts.fct_results VALUES ('s99', -5, 1.0)",  # a new one
        "INSERT INTO marts.standings VALUES ('d3', 2, 1::HUGEINT)",
    )  # no session column
    done = pub.publish(build, out)
    assert actions(done)["marts.fct_results"] == "updated (3 sessions)"
    # The previous copy was untouched since its publication: only the replaced sessions were read back.
    assert done.previous_sealed and checks(done)["marts.fct_results"] == "changed sessions"
    assert actions(done)["marts.standings"] == "written"
    assert actions(done)["marts.fct_laps"] == "kept"
    for table in ("marts.fct_laps", "marts.standings", "marts.fct_results"):
        assert same_rows(done.path, build, table)
    for table in ("fct_laps", "fct_results"):
        assert rows(build, f"SELECT * FROM marts.{table} ORDER BY ALL") == rows(
            build,
            f"SELECT * FROM read_parquet('{parquet_mod.reader_path(out / 'parquet', table)}', hive_partitioning = false) ORDER BY ALL",
        )
    assert rows(done.path, "SELECT * FROM marts.standings ORDER BY ALL") == [("d1", 1, 35), ("d2", 1, 32), ("d3", 2, 1)]


def test_a_copy_whose_record_of_sessions_is_wrong_is_repaired(build: Path, out: Path) -> None:
    """The next publication finds changed sessions by meta.publication_sessions; a copy edited by hand
    (its rows no longer what the record says) fails the whole-table check and is rewritten."""
    add_sessions_table(build)
    first = pub.publish(build, out)
    assert rows(first.path, "SELECT count(*) FROM meta.publication_sessions WHERE table_name = 'fct_results'") == [
        (len(rows(build, "SELECT DISTINCT session_id FROM marts.fct_results")),)
    ]
    write(first.path, "UPDATE marts.fct_results SET value = value + 1 WHERE session_id = 's5'")  # record untouched
    again = pub.publish(build, out)
    assert again.reused_previous and not again.previous_sealed  # the edit broke the seal
    assert actions(again)["marts.fct_results"] == "written"
    assert same_rows(again.path, build, "marts.fct_results")
    recorded = rows(
        again.path,
        "SELECT session_id, row_count, row_hash FROM meta.publication_sessions "
        "WHERE table_name = 'fct_results' ORDER BY 1",
    )
    assert recorded == rows(
        build, "SELECT session_id, count(*), sum(hash(t)) FROM marts.fct_results t GROUP BY 1 ORDER BY 1"
    )


def test_an_edit_that_puts_the_modification_time_back_still_breaks_the_seal(build: Path, out: Path) -> None:
    add_sessions_table(build)
    first = pub.publish(build, out)
    assert files.is_sealed(first.path)
    before = first.path.stat()
    write(first.path, "UPDATE marts.fct_results SET value = value + 1 WHERE session_id = 's5'")
    os.utime(first.path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert first.path.stat().st_mtime_ns == before.st_mtime_ns
    assert not files.is_sealed(first.path)  # the inode's change time moved
    write(build, "UPDATE marts.fct_results SET value = -1 WHERE session_id = 's7'")
    again = pub.publish(build, out)
    assert not again.previous_sealed and checks(again)["marts.fct_results"] == "whole table"
    assert actions(again)["marts.fct_results"] == "written"  # s5 as edited did not match the build file
    assert same_rows(again.path, build, "marts.fct_results")


def test_the_seal_sees_a_same_size_rewrite_with_the_times_put_back(tmp_path: Path) -> None:
    target = tmp_path / "copy.duckdb"
    target.write_bytes(b"abcdef")
    files.seal(target)
    assert files.is_sealed(target)
    before = target.stat()
    with open(target, "r+b") as f:
        f.write(b"x")  # same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns, target.stat().st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert not files.is_sealed(target)
    files.seal(target)
    assert files.is_sealed(target)
    target.rename(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").rename(target)  # a rename changes the inode's change time too
    assert not files.is_sealed(target)


def test_an_update_of_a_sealed_copy_that_loses_an_unchanged_row_is_caught(
    build: Path,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check by changed sessions also counts the whole table: a row of an unchanged session lost
    during the update fails it, and the whole-table check that follows rewrites the table."""
    add_sessions_table(build)
    pub.publish(build, out)
    write(build, "UPDATE marts.fct_results SET value = -1 WHERE session_id = 's7'")
    update = snapshot_mod._update_sessions

    def losing_a_row(con, source, copy, sessions, check=False):
        if "fct_results" in copy:
            con.execute(f"DELETE FROM {copy} WHERE n = (SELECT min(n) FROM {copy} WHERE session_id = 's2')")
        return update(con, source, copy, sessions, check)

    monkeypatch.setattr(snapshot_mod, "_update_sessions", losing_a_row)
    done = pub.publish(build, out)
    assert done.previous_sealed
    assert actions(done)["marts.fct_results"] == "written" and checks(done)["marts.fct_results"] == "whole table"
    assert same_rows(done.path, build, "marts.fct_results")


def test_many_changed_rows_or_a_new_column_rewrite_the_table(build: Path, out: Path) -> None:
    add_sessions_table(build)
    pub.publish(build, out)
    write(
        build,
        "UPDATE marts.fct_results SET value = value + 1 WHERE n % 2 = 0",  # every session
        "ALTER TABLE marts.fct_laps ADD COLUMN pit BOOLEAN",
    )
    done = pub.publish(build, out)
    assert actions(done)["marts.fct_results"] == "written"
    assert actions(done)["marts.fct_laps"] == "written"
    assert rows(
        done.path, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'fct_laps' ORDER BY column_index"
    )[-1] == ("pit",)
    assert same_rows(done.path, build, "marts.fct_results")


def test_a_dropped_mart_leaves_the_copy_and_its_parquet_file(build: Path, out: Path) -> None:
    add_sessions_table(build)
    pub.publish(build, out)
    write(build, "DROP TABLE marts.fct_results")
    done = pub.publish(build, out)
    assert ("marts", "fct_results") not in rows(done.path, "SELECT schema_name, table_name FROM duckdb_tables()")
    assert not (out / "parquet" / "fct_results.parquet").exists()


def test_a_parquet_file_changed_by_hand_is_rewritten(build: Path, out: Path) -> None:
    first = pub.publish(build, out)
    for file in (out / "parquet" / "standings.parquet", out / "parquet" / "fct_laps" / "season=2024" / "data.parquet"):
        con = duckdb.connect()
        try:
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{file}', hive_partitioning = false) LIMIT 1) TO '{file}' (FORMAT parquet)"
            )
        finally:
            con.close()
    done = pub.publish(build, out)
    for table in ("standings", "fct_laps"):
        file = parquet_mod.reader_path(out / "parquet", table)
        assert actions(done)[f"marts.{table}"] == "kept"
        assert not {p.table: p for p in done.parquet}[table].kept
        assert rows(build, f"SELECT count(*) FROM marts.{table}") == rows(
            build, f"SELECT count(*) FROM read_parquet('{file}')"
        )
    assert first.parquet  # (the first publication wrote every file)


def test_a_copy_with_much_free_space_is_not_reused(build: Path, out: Path) -> None:
    add_sessions_table(build, sessions=200, rows_per_session=2000)
    pub.publish(build, out)
    write(out / "pitwall.duckdb", "DROP TABLE marts.fct_results", "CHECKPOINT")  # frees most of the file's blocks
    done = pub.publish(build, out)
    assert not done.reused_previous
    assert set(actions(done).values()) == {"written"}
    assert same_rows(done.path, build, "marts.fct_results")


def test_laps_are_published_one_parquet_file_per_season(build: Path, out: Path) -> None:
    write(
        build,
        "CREATE OR REPLACE TABLE marts.dim_sessions AS SELECT * FROM (VALUES ('s1', 2023), ('s2', 2024), "
        "('s3', 2024), ('s4', 2025)) t(session_id, season)",
        "CREATE OR REPLACE TABLE marts.fct_laps AS SELECT range::INTEGER AS lap_number, 'car' AS car, "
        "90.5 + range AS lap_s, NULL::VARCHAR AS flag, 's' || (1 + range % 4) AS session_id FROM range(40)",
    )
    first = pub.publish(build, out)
    assert [f for f in parquet_files(out) if f.startswith("fct_laps")] == [
        f"fct_laps/season={season}/data.parquet" for season in (2023, 2024, 2025)
    ]
    # read as one table, the folder names give each row its session's season
    assert rows(
        build, f"SELECT * FROM read_parquet('{parquet_mod.reader_path(out / 'parquet', 'fct_laps')}') ORDER BY ALL"
    ) == rows(
        build, "SELECT l.*, s.season FROM marts.fct_laps l JOIN marts.dim_sessions s USING (session_id) ORDER BY ALL"
    )
    assert parquet_action_of(first, "fct_laps") == "written 3 of 3 seasons"
    mtimes = {p.season: p.target.stat().st_mtime_ns for p in first.parquet if p.table == "fct_laps"}

    write(
        build,
        "UPDATE marts.fct_laps SET lap_s = lap_s + 1 WHERE session_id = 's3'",  # one session of 2024
        "DELETE FROM marts.fct_laps WHERE session_id = 's4'",
    )  # 2025 gone
    again = pub.publish(build, out)
    laps = {p.season: p for p in again.parquet if p.table == "fct_laps"}
    assert sorted(laps) == [2023, 2024] and laps[2023].kept and not laps[2024].kept
    assert laps[2023].target.stat().st_mtime_ns == mtimes[2023]
    assert parquet_action_of(again, "fct_laps") == "written 1 of 2 seasons"
    assert not (out / "parquet" / "fct_laps" / "season=2025").exists()
    assert rows(
        build,
        f"SELECT * EXCLUDE (season) FROM read_parquet('{parquet_mod.reader_path(out / 'parquet', 'fct_laps')}') ORDER BY ALL",
    ) == rows(build, "SELECT * FROM marts.fct_laps ORDER BY ALL")


def test_laps_of_a_session_without_a_season_fail_the_publication(build: Path, out: Path) -> None:
    first = pub.publish(build, out)
    write(build, "INSERT INTO marts.fct_laps VALUES (99, 'car', 1.0, NULL, 'nowhere')")
    with pytest.raises(PublishError, match="1 rows whose session_id has no season"):
        pub.publish(build, out)
    assert rows(first.path, "SELECT count(*) FROM marts.fct_laps") == [(3,)]  # the old copy stands
    assert not [p for p in out.rglob("*") if files.TMP_SUFFIX in p.name]


def test_session_results_leave_their_own_season_to_the_folder_names(build: Path, out: Path) -> None:
    write(
        build,
        "CREATE OR REPLACE TABLE marts.dim_sessions AS SELECT * FROM (VALUES ('s1', 2023), ('s2', 2024)) t(session_id, season)",
        "CREATE TABLE marts.fct_session_results AS SELECT * FROM (VALUES ('s1', 2023, '7', 1), ('s1', 2023, '9', 2), "
        "('s2', 2024, '7', 2), ('s2', 2024, '9', 1)) t(session_id, season, car_number, class_position)",
    )
    first = pub.publish(build, out)
    assert [f for f in parquet_files(out) if f.startswith("fct_session_results")] == [
        f"fct_session_results/season={season}/data.parquet" for season in (2023, 2024)
    ]
    folder = parquet_mod.reader_path(out / "parquet", "fct_session_results")
    # no season inside the files (Spark refuses a column also in the folder names) ...
    assert [
        r[0] for r in rows(build, f"DESCRIBE SELECT * FROM read_parquet('{folder}', hive_partitioning = false)")
    ] == ["session_id", "car_number", "class_position"]
    # ... read as one table, the folder names give it back
    assert rows(
        build, f"SELECT session_id, season, car_number, class_position FROM read_parquet('{folder}') ORDER BY ALL"
    ) == rows(build, "SELECT * FROM marts.fct_session_results ORDER BY ALL")
    assert parquet_action_of(first, "fct_session_results") == "written 2 of 2 seasons"

    write(build, "UPDATE marts.fct_session_results SET class_position = 3 - class_position WHERE session_id = 's2'")
    again = pub.publish(build, out)
    assert parquet_action_of(again, "fct_session_results") == "written 1 of 2 seasons"
    assert rows(
        build, f"SELECT session_id, season, car_number, class_position FROM read_parquet('{folder}') ORDER BY ALL"
    ) == rows(build, "SELECT * FROM marts.fct_session_results ORDER BY ALL")

    # a row whose season is not its session's would be read back with the folder's
    write(build, "UPDATE marts.fct_session_results SET season = 2025 WHERE session_id = 's2' AND car_number = '7'")
    with pytest.raises(PublishError, match="1 rows whose season is not their session's"):
        pub.publish(build, out)


def test_the_single_laps_file_of_an_older_publication_is_removed(build: Path, out: Path) -> None:
    old = out / "parquet" / "fct_laps.parquet"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"PAR1")
    pub.publish(build, out)
    assert not old.exists() and (out / "parquet" / "fct_laps" / "season=2024" / "data.parquet").exists()


def parquet_action_of(done, table: str) -> str | None:
    from orchestration.defs.assets.published import parquet_action

    return parquet_action(done, table)


# ------------------------------------------------------------------ readers and older publications


def three_builds(build: Path) -> list[str]:
    """Edits of the build file between publications: one changed session, then a new one."""
    return [
        "UPDATE marts.fct_results SET value = -1 WHERE session_id = 's7'",
        "INSERT INTO marts.fct_results VALUES ('s99', -5, 1.0)",
    ]


def test_a_spare_copy_left_by_an_older_version_is_removed(build: Path, out: Path) -> None:
    add_sessions_table(build)
    first = pub.publish(build, out)
    spare = first.path.with_name(f".{first.path.name}.spare")
    spare.write_bytes(first.path.read_bytes())
    spare.with_name(spare.name + ".seal").write_text("{}")
    write(build, three_builds(build)[0])
    pub.publish(build, out)
    assert sorted(p.name for p in out.glob(".*") if p.is_file()) == [".pitwall.duckdb.seal"]


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
count = "SELECT count(*), sum(value) FROM marts.fct_results"
print(con.execute(count).fetchall(), flush=True)
sys.stdin.readline()
print(con.execute(count).fetchall(), flush=True)
"""


def test_a_reader_of_an_earlier_copy_reads_on(build: Path, out: Path) -> None:
    """A reader that opened the first copy keeps reading it, as it was, through the next two
    publications (each renames a new file into place; the reader's inode lives on)."""
    import subprocess
    import sys

    add_sessions_table(build)
    first = pub.publish(build, out)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(first.path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        seen = reader.stdout.readline()
        edits = three_builds(build)
        write(build, edits[0])
        pub.publish(build, out)
        write(build, edits[1])
        third = pub.publish(build, out)
        assert same_rows(third.path, build, "marts.fct_results")
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline() == seen  # the first copy, as it was
    finally:
        reader.kill()
        reader.wait()
