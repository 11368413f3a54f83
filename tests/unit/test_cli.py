"""`pitwall sql`: read-only, no file-system access from SQL; and the fast commands do not load Dagster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.laps AS SELECT * FROM (VALUES (1, 'Porsche', 92.5), (2, 'Cadillac', NULL)) t(n, make, lap_s)"
    )
    con.close()
    return path


def sql(*args: str):
    return runner.invoke(app, ["sql", *args])


def rows_in(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM marts.laps").fetchall()[0][0]
    finally:
        con.close()


def test_select_as_csv_and_json(warehouse: Path) -> None:
    result = sql("select n, make, lap_s from marts.laps order by n", "--warehouse", str(warehouse), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == ["n,make,lap_s", "1,Porsche,92.5", "2,Cadillac,"]

    result = sql("select n, make from marts.laps order by n", "--warehouse", str(warehouse), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": 1, "make": "Porsche"}, {"n": 2, "make": "Cadillac"}]


def test_select_as_table(warehouse: Path) -> None:
    result = sql("select make from marts.laps order by n", "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.output
    assert "Porsche" in result.output and "Cadillac" in result.output


def test_warehouse_from_environment(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_WAREHOUSE", str(warehouse))
    result = sql("select count(*) as n from marts.laps", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "2"]


@pytest.mark.parametrize(
    "statement",
    [
        "create table marts.x as select 1 as a",
        "insert into marts.laps values (3, 'BMW', 93.1)",
        "delete from marts.laps",
        "update marts.laps set make = 'x'",
        "drop table marts.laps",
        "create schema scratch",
    ],
)
def test_writes_are_refused(warehouse: Path, statement: str) -> None:
    result = sql(statement, "--warehouse", str(warehouse))
    assert result.exit_code == 1
    assert "read-only" in result.output
    assert rows_in(warehouse) == 2


def test_copy_to_a_file_is_refused(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "leak.csv"
    for statement in (f"copy marts.laps to '{out}'", f"copy (select * from marts.laps) to '{out}' (format csv)"):
        result = sql(statement, "--warehouse", str(warehouse))
        assert result.exit_code == 1, result.output
        assert "disabled by configuration" in result.output
    assert not out.exists()
    result = sql(f"export database '{tmp_path / 'dump'}'", "--warehouse", str(warehouse))
    assert result.exit_code == 1
    assert not (tmp_path / "dump").exists() or not any((tmp_path / "dump").iterdir())


def test_reading_other_files_is_refused(warehouse: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("user,password\nroot,hunter2\n")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    for statement in (
        f"select * from read_csv('{secret}')",
        f"select * from read_csv_auto('{secret}')",
        f"select * from '{secret}'",
        f"select * from read_text('{secret}')",
        f"select * from glob('{tmp_path}/*')",
        f"attach '{other}' as other",
    ):
        result = sql(statement, "--warehouse", str(warehouse), "--format", "csv")
        assert result.exit_code == 1, (statement, result.output)
        assert "hunter2" not in result.output


def test_settings_cannot_be_switched_back(warehouse: Path) -> None:
    for statement in ("set enable_external_access = true", "set lock_configuration = false"):
        result = sql(statement, "--warehouse", str(warehouse))
        assert result.exit_code == 1, (statement, result.output)


def test_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.duckdb"
    result = sql("select 1", "--warehouse", str(missing))
    assert result.exit_code == 2
    assert "pitwall refresh" in result.output and "make run" in result.output
    assert not missing.exists()


def test_sql_error_is_reported(warehouse: Path) -> None:
    result = sql("select * from marts.nope", "--warehouse", str(warehouse))
    assert result.exit_code == 1
    assert "nope" in result.output


def test_fast_commands_do_not_import_dagster() -> None:
    code = (
        "import sys, orchestration.cli; print(sorted(m for m in ('dagster', 'dagster_dbt', 'dbt') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
