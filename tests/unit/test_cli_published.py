"""`pitwall sql` reads the published copy by default, the build file with --live, and the published
copy is as locked down as the build file: read-only, no file access from SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from publish_helpers import make_build
from typer.testing import CliRunner

from orchestration import publish as pub
from orchestration.cli import app

runner = CliRunner()


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A build file with 3 laps, published; then the build file moves on to 5 laps."""
    build = make_build(tmp_path / "warehouse" / "pitwall.duckdb", laps=3)
    pub.publish(build, build.parent / "published")
    make_build(build, laps=5)
    return build


def sql(*args: str):
    return runner.invoke(app, ["sql", *args])


def test_default_is_the_published_copy(published: Path) -> None:
    result = sql("select count(*) as n from marts.fct_laps", "--warehouse", str(published), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "3"]
    # meta.publication exists only in the published copy
    result = sql("select count(*) as n from meta.publication", "--warehouse", str(published), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "4"]  # dim_sessions, fct_laps, standings, ingested_files


def test_live_is_the_build_file(published: Path) -> None:
    result = sql("select count(*) as n from marts.fct_laps", "--warehouse", str(published), "--format", "csv", "--live")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "5"]


def test_published_copy_from_the_environment(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_WAREHOUSE", str(published))
    result = sql("select count(*) as n from marts.fct_laps", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "3"]


def test_without_a_published_copy_the_build_file_is_read_and_said(tmp_path: Path) -> None:
    build = make_build(tmp_path / "w" / "pitwall.duckdb", laps=4)
    result = sql("select count(*) as n from marts.fct_laps", "--warehouse", str(build), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "4"]
    assert "no published copy" in result.stderr


@pytest.mark.parametrize(
    "statement",
    [
        "create table marts.x as select 1 as a",
        "delete from marts.fct_laps",
        "drop table marts.standings",
    ],
)
def test_published_copy_refuses_writes(published: Path, statement: str) -> None:
    result = sql(statement, "--warehouse", str(published))
    assert result.exit_code == 1
    assert "read-only" in result.output


def test_published_copy_refuses_file_access(published: Path, tmp_path: Path) -> None:
    out = tmp_path / "leak.csv"
    secret = tmp_path / "secret.csv"
    secret.write_text("user,password\nroot,hunter2\n")
    for statement in (
        f"copy marts.fct_laps to '{out}'",
        f"select * from read_csv('{secret}')",
        f"select * from '{published.parent / 'published' / 'parquet' / 'standings.parquet'}'",
        "set enable_external_access = true",
    ):
        result = sql(statement, "--warehouse", str(published), "--format", "csv")
        assert result.exit_code == 1, (statement, result.output)
        assert "hunter2" not in result.output
    assert not out.exists()


def test_live_is_refused_while_a_run_holds_the_build_file(published: Path) -> None:
    from orchestration.warehouse.runlock import warehouse_lock

    with warehouse_lock(published, "pitwall refresh"):
        result = sql(
            "select count(*) as n from marts.fct_laps", "--warehouse", str(published), "--format", "csv", "--live"
        )
        assert result.exit_code == 3, result.output
        assert "published copy" in result.stderr
        # the published copy keeps answering meanwhile
        result = sql("select count(*) as n from marts.fct_laps", "--warehouse", str(published), "--format", "csv")
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == ["n", "3"]
    result = sql("select count(*) as n from marts.fct_laps", "--warehouse", str(published), "--format", "csv", "--live")
    assert result.exit_code == 0 and result.stdout.splitlines() == ["n", "5"]
