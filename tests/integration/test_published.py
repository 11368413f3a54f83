"""After a real `pitwall refresh`: the published copy and the Parquet files match the build file
table by table, the Dagster assets carry their metadata, the charts exist, and a SQLAlchemy client
(duckdb-engine) lists the marts, answers a dashboard query and is refused writes."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess

import dagster as dg
import duckdb
import pytest
import sqlalchemy as sa
from helpers import REPO
from integration.conftest import PITWALL
from sqlalchemy.pool import NullPool

from orchestration.publish.parquet import BY_SEASON, file_columns, reader_path
from orchestration.warehouse import settings

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def published(refreshed):
    return settings.published_warehouse_path(refreshed.warehouse)


def tables_of(path, schemas=("marts", "raw", "meta")) -> list[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            f"SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN {tuple(schemas)} ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.close()


def differing_rows(con, left: str, right: str) -> int:
    return con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right})) "
        f"+ (SELECT count(*) FROM (SELECT * FROM {right} EXCEPT ALL SELECT * FROM {left}))"
    ).fetchall()[0][0]


def test_published_copy_and_parquet_match_the_build_file_table_by_table(refreshed, published) -> None:
    marts = [t for s, t in tables_of(refreshed.warehouse, ("marts",))]
    assert len(marts) >= 16
    assert tables_of(published) == [("marts", t) for t in marts] + [
        ("meta", "publication"),
        ("meta", "publication_sessions"),
        ("raw", "ingested_files"),
    ]
    parquet_dir = published.parent / "parquet"
    assert sorted(p.name for p in parquet_dir.iterdir()) == sorted(
        t if t in BY_SEASON else f"{t}.parquet" for t in marts
    )
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{refreshed.warehouse}' AS build (READ_ONLY)")
        con.execute(f"ATTACH '{published}' AS pub (READ_ONLY)")
        for schema, table in [("marts", t) for t in marts] + [("raw", "ingested_files")]:
            build_rows = con.execute(f"SELECT count(*) FROM build.{schema}.{table}").fetchall()[0][0]
            assert con.execute(f"SELECT count(*) FROM pub.{schema}.{table}").fetchall()[0][0] == build_rows, table
            assert differing_rows(con, f"build.{schema}.{table}", f"pub.{schema}.{table}") == 0, table
            assert (
                con.execute(f"DESCRIBE pub.{schema}.{table}").fetchall()
                == con.execute(f"DESCRIBE build.{schema}.{table}").fetchall()
            )
            if schema == "marts":
                file = f"read_parquet('{reader_path(parquet_dir, table)}', hive_partitioning = false)"
                assert con.execute(f"SELECT count(*) FROM {file}").fetchall()[0][0] == build_rows, table
                # the files' columns: the table's, but a season that the folder names carry
                columns = [(r[0], r[1]) for r in con.execute(f"DESCRIBE build.{schema}.{table}").fetchall()]
                kept = ", ".join(f'"{name}"' for name, _ in file_columns(table, columns))
                assert differing_rows(con, f"(SELECT {kept} FROM build.{schema}.{table})", file) == 0, table
                if "season" in dict(columns) and table in BY_SEASON:
                    hive = f"read_parquet('{reader_path(parquet_dir, table)}')"
                    assert (
                        differing_rows(
                            con,
                            f"(SELECT {kept}, season FROM build.{schema}.{table})",
                            f"(SELECT {kept}, season FROM {hive})",
                        )
                        == 0
                    ), table
        counts = {
            (s, t): n
            for s, t, n in con.execute(
                "SELECT table_schema, table_name, row_count FROM pub.meta.publication"
            ).fetchall()
        }
        for (schema, table), n in counts.items():
            assert con.execute(f"SELECT count(*) FROM pub.{schema}.{table}").fetchall()[0][0] == n
    finally:
        con.close()


def test_published_copy_is_in_the_older_storage_format(refreshed, published) -> None:
    from orchestration.publish import storage_version_of

    assert storage_version_of(published) == "v1.0.0+"
    assert storage_version_of(refreshed.warehouse) != "v1.0.0+"


def test_described_marts_columns_are_comments(published) -> None:
    from orchestration.project import dbt_project
    from orchestration.publish.descriptions import from_dbt_manifest

    described = from_dbt_manifest(dbt_project.manifest_path)
    con = duckdb.connect(str(published), read_only=True)
    try:
        comments = {
            (t, c): comment
            for t, c, comment in con.execute(
                "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts'"
            ).fetchall()
        }
        table_comments = dict(
            con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()
        )
    finally:
        con.close()
    assert all(table_comments.values()), [t for t, c in table_comments.items() if not c]
    checked = 0
    for (_schema, table), (description, columns) in described.items():
        assert table_comments[table] == description
        for column, text in columns.items():
            if (table, column) in comments:
                assert comments[(table, column)] == text
                checked += 1
    assert checked > 100


def test_dagster_metadata_of_the_published_assets(refreshed, published) -> None:
    with dg.DagsterInstance.from_config(str(refreshed.dagster_home)) as instance:
        warehouse_event = instance.get_latest_materialization_event(dg.AssetKey(["published", "warehouse"]))
        charts_event = instance.get_latest_materialization_event(dg.AssetKey(["published", "charts"]))
    assert warehouse_event is not None and charts_event is not None
    meta = warehouse_event.asset_materialization.metadata
    assert meta["path"].value == str(published)
    assert meta["storage_version"].value == "v1.0.0"
    records = meta["tables"].records
    assert {r.data["table"] for r in records} == {f"{s}.{t}" for s, t in tables_of(published) if s != "meta"}
    assert meta["dagster/row_count"].value == sum(r.data["rows"] for r in records)
    assert meta["size_mb"].value == round(published.stat().st_size / 1_000_000, 3)

    charts = charts_event.asset_materialization.metadata
    previews = [v.value for k, v in charts.items() if k.startswith("preview_")]
    assert len(previews) == 2
    for markdown in previews:
        encoded = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown).group(1)
        assert base64.b64decode(encoded).startswith(PNG_SIGNATURE)
    assert charts["chart_count"].value == len(charts["charts"].records)


def test_charts_are_the_expected_pngs(published) -> None:
    from PIL import Image

    con = duckdb.connect(str(published), read_only=True)
    try:
        standings = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT series_id, class_id FROM marts.season_driver_standings s "
            "WHERE season = (SELECT max(season) FROM marts.season_driver_standings x WHERE x.series_id = s.series_id))"
        ).fetchall()[0][0]
        series_with_races = con.execute(
            "SELECT count(DISTINCT s.series_id) FROM marts.dim_sessions s JOIN marts.fct_laps l USING (session_id) "
            "WHERE s.session_type = 'race'"
        ).fetchall()[0][0]
    finally:
        con.close()
    folder = published.parent / "charts"
    pngs = sorted(folder.glob("*.png"))
    assert standings >= 7 and series_with_races >= 2  # IMSA 2024 (4 classes) and Carrera Cup 2024 (3)
    assert len([p for p in pngs if p.name.startswith("standings_")]) == standings
    assert len([p for p in pngs if p.name.startswith("lap_chart_")]) == series_with_races
    for png in pngs:
        with Image.open(png) as image:
            assert image.format == "PNG" and image.width >= 800 and image.height >= 500, png.name
    assert (folder / "lap_chart_imsa-weathertech-2024-road-america-race.png").exists()
    assert (folder / "standings_imsa-weathertech-2024-gtp.png").exists()


# ------------------------------------------------------------------------------------- SQLAlchemy

DASHBOARD_QUERY = """
    SELECT c.class_name, d.full_name, st.points_counted
    FROM marts.season_driver_standings st
    JOIN marts.dim_classes c ON c.class_id = st.class_id
    JOIN marts.dim_drivers d ON d.driver_id = st.driver_id
    WHERE st.series_id = 'imsa-weathertech' AND st.season = 2024 AND st.position = 1
      AND st.round_number = (SELECT max(round_number) FROM marts.season_driver_standings
                             WHERE series_id = 'imsa-weathertech' AND season = 2024)
    ORDER BY 1, 2"""


def read_only_engine(path) -> sa.Engine:
    """As README.md tells BI users: read-only, no file access from SQL, a fresh connection per use."""
    return sa.create_engine(
        f"duckdb:///{path}?access_mode=read_only&enable_external_access=false&lock_configuration=true",
        poolclass=NullPool,
    )


def test_sqlalchemy_lists_the_marts_and_answers_a_dashboard_query(refreshed, published) -> None:
    engine = read_only_engine(published)
    inspector = sa.inspect(engine)
    assert sorted(inspector.get_table_names(schema="marts")) == [t for s, t in tables_of(published, ("marts",))]
    columns = {c["name"] for c in inspector.get_columns("fct_laps", schema="marts")}
    assert {"session_id", "car_number", "lap_number", "overall_position"} <= columns
    # the dbt descriptions reach the BI tool as comments
    assert inspector.get_table_comment("fct_laps", schema="marts")["text"]
    assert any(c.get("comment") for c in inspector.get_columns("fct_laps", schema="marts"))
    with engine.connect() as conn:
        leaders = conn.execute(sa.text(DASHBOARD_QUERY)).fetchall()
    con = duckdb.connect(str(refreshed.warehouse), read_only=True)
    try:
        expected = con.execute(DASHBOARD_QUERY).fetchall()
    finally:
        con.close()
    assert [tuple(r) for r in leaders] == expected
    assert {r[0] for r in leaders} == {"GTP", "LMP2", "GTD PRO", "GTD"}


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE marts.x AS SELECT 1 AS a",
        "DELETE FROM marts.dim_series",
        "COPY marts.dim_series TO '{tmp}/leak.csv'",
        "SELECT * FROM read_csv('{secret}')",
        "SET enable_external_access = true",
    ],
)
def test_sqlalchemy_writes_and_file_access_are_refused(published, tmp_path, statement) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("user,password\nroot,hunter2\n")
    engine = read_only_engine(published)
    with engine.connect() as conn:
        series = conn.execute(sa.text("SELECT count(*) FROM marts.dim_series")).scalar()
        with pytest.raises(sa.exc.DBAPIError) as caught:
            conn.execute(sa.text(statement.format(tmp=tmp_path, secret=secret))).fetchall()
    assert re.search(
        r"read-only|disabled by configuration|configuration has been locked|Cannot access file", str(caught.value)
    ), str(caught.value)
    assert not (tmp_path / "leak.csv").exists()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.dim_series")).scalar() == series > 0


def test_pitwall_sql_reads_the_published_copy_and_live_the_build_file(refreshed, published) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(refreshed.dagster_home)}

    def run(*args):
        return subprocess.run(
            [str(PITWALL), "sql", *args, "--warehouse", str(refreshed.warehouse), "--format", "json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=env,
        )

    done = run("select count(*) as n from meta.publication")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": len([t for s, t in tables_of(published) if s != "meta"])}]
    live = run("select count(*) as n from meta.publication", "--live")
    assert live.returncode == 1 and "meta" in live.stderr  # the build file has no meta schema
    live = run("select count(*) as n from staging.stg_alkamel__weather", "--live")
    assert live.returncode == 0, live.stderr


# ------------------------------------------------------------------------------------------- docs


def test_pitwall_docs_describes_every_mart_and_column_with_lineage(refreshed, published) -> None:
    done = subprocess.run(
        [str(PITWALL), "docs", "--warehouse", str(refreshed.warehouse)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "DAGSTER_HOME": str(refreshed.dagster_home), "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "every mart and every column of the marts has a description" in done.stdout, done.stdout[-3000:]
    docs = published.parent / "docs"
    index = (docs / "index.html").read_text()
    assert "fct_laps" in index and "season_driver_standings" in index  # one page: manifest and catalog inside
    manifest = json.loads((docs / "manifest.json").read_text())
    catalog = json.loads((docs / "catalog.json").read_text())
    laps = next(
        uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["name"] == "fct_laps"
    )
    assert catalog["nodes"][laps]["columns"]  # column types from the published copy

    def ancestors(uid: str) -> set[str]:
        found, todo = set(), [uid]
        while todo:
            for parent in manifest["parent_map"].get(todo.pop(), []):
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    assert "source.pitwall.alkamel.time_cards" in ancestors(laps)  # lineage from the raw table to the mart
