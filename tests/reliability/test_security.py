"""Security: `pitwall sql` cannot write or touch files; the UI binds to 127.0.0.1 unless told
otherwise; nothing outside the raw root is read (symbolic links are not followed, glob characters in
names are not expanded); no SQL is built from file contents or names (parameters or quoted
identifiers only).
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from helpers import REPO, ROAD_AMERICA_IMSA, copy_real_imsa
from reliability.common import manifest_problems, record, rows, start
from typer.testing import CliRunner

from orchestration import cli
from orchestration.ingest import ingest
from orchestration.warehouse import settings

runner = CliRunner()
RACE = ROAD_AMERICA_IMSA / "202408041410_Race"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file under a folder: (size, mtime, sha256)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = (
                path.stat().st_size,
                path.stat().st_mtime_ns,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return out


@pytest.fixture
def published_warehouse(tmp_path: Path) -> Path:
    """A build file and its published copy (orchestration/publish), as a refresh leaves them."""
    from orchestration.publish import publish

    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    warehouse.parent.mkdir()
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.laps AS SELECT * FROM (VALUES (1, 'Porsche', 92.5), (2, 'Cadillac', NULL)) t(n, make, lap_s)"
    )
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.ingested_files AS SELECT 'a.CSV' AS path, 'loaded' AS status")
    con.close()
    publish(warehouse, settings.published_dir(warehouse), run_id="test")
    return warehouse


def statements(tmp_path: Path) -> list[str]:
    secret = tmp_path / "secret.csv"
    secret.write_text("user,password\nroot,hunter2\n")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    out = tmp_path / "leak"
    return [
        "create table marts.x as select 1 as a",
        "insert into marts.laps values (3, 'BMW', 93.1)",
        "delete from marts.laps",
        "update marts.laps set make = 'x'",
        "drop table marts.laps",
        "alter table marts.laps add column y int",
        "create schema scratch",
        "create view marts.v as select 1",
        "create temp table t as select 1",
        "checkpoint",
        "vacuum",
        f"copy marts.laps to '{out}.csv'",
        f"copy (select * from marts.laps) to '{out}.parquet' (format parquet)",
        f"export database '{out}'",
        f"attach '{other}' as other",
        f"attach '{out}.duckdb' as fresh",
        f"select * from read_csv('{secret}')",
        f"select * from read_csv_auto('{secret}')",
        f"select * from '{secret}'",
        f"select * from read_text('{secret}')",
        f"select * from read_blob('{secret}')",
        f"select * from glob('{tmp_path}/*')",
        f"select * from read_parquet('{tmp_path}/*.parquet')",
        "select * from read_text('/etc/passwd')",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "set lock_configuration = false",
        "pragma enable_profiling = 'json'",
        f"set profiling_output = '{out}.json'",
        "create secret s (type s3, key_id 'a', secret 'b')",
        "call enable_logging()",
    ]


@pytest.mark.parametrize("live", [False, True], ids=["published copy", "build file (--live)"])
def test_pitwall_sql_cannot_write_or_touch_files(published_warehouse: Path, tmp_path: Path, live: bool):
    (tmp_path / "attempts").mkdir()
    tries = statements(tmp_path / "attempts")
    before = snapshot(tmp_path)
    tried, refused = 0, 0
    for statement in tries:
        args = ["sql", statement, "--warehouse", str(published_warehouse), "--format", "csv"] + (
            ["--live"] if live else []
        )
        result = runner.invoke(cli.app, args)
        tried += 1
        # `call enable_logging()` and the like may succeed harmlessly; what matters is below.
        refused += result.exit_code != 0
        assert "hunter2" not in result.output and "root:" not in result.output, statement
    after = snapshot(tmp_path)
    assert after == before, set(after) ^ set(before)  # nothing written, nothing changed
    assert rows(
        settings.published_warehouse_path(published_warehouse) if not live else published_warehouse,
        "SELECT count(*) FROM marts.laps",
    ) == [(2,)]
    record(
        f"security_sql_{'live' if live else 'published'}",
        {"statements_tried": tried, "refused": refused, "files_written_or_changed": 0, "secrets_read": 0},
    )


def test_ui_binds_to_localhost_unless_told(monkeypatch, tmp_path):
    seen = []

    class FakeDagsterDev:
        def __init__(self, command, **kwargs):
            seen.append(command)
            self.pid = os.getpid()

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", FakeDagsterDev)
    monkeypatch.setattr(cli.os, "killpg", lambda *a: None)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert runner.invoke(cli.app, ["ui", "--port", "3999"]).exit_code == 0
    assert runner.invoke(cli.app, ["ui", "--host", "0.0.0.0", "--port", "3999"]).exit_code == 0
    first, second = seen
    assert first[first.index("-h") + 1] == "127.0.0.1"
    assert second[second.index("-h") + 1] == "0.0.0.0"
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", (REPO / "Makefile").read_text(), re.M)


def _listening(port: int) -> set[str]:
    """Addresses listening on a TCP port (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_ui_really_listens_on_localhost_only(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "home"
    proc = start(["ui", "--port", str(port)], home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and not _listening(port):
            time.sleep(1)
        addresses = _listening(port)
        assert addresses == {"0100007F"}, addresses  # 127.0.0.1 only: not 0.0.0.0, not ::
        record("security_ui", {"port": port, "listening_on": ["127.0.0.1"]})
    finally:
        os.killpg(proc.pid, 2)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


def test_nothing_outside_the_raw_root_is_read(tmp_path):
    raw = copy_real_imsa(tmp_path / "raw")
    outside = tmp_path / "outside"
    session = outside / "24_2024" / "50_Elsewhere" / "01_IMSA" / "202408041410_Race"
    session.mkdir(parents=True)
    shutil.copy(RACE / "03_Results_Race_Official.CSV", session / "03_Results_Race_Official.CSV")
    inside = raw / "24_2024" / "14_Road America" / "01_IMSA WeatherTech SportsCar Championship"
    links = {
        "24_2024/51_Link/01_IMSA/202408041410_Race/03_Results_Race_Official.CSV": session
        / "03_Results_Race_Official.CSV",
        "24_2024/52_Linked event": outside / "24_2024" / "50_Elsewhere",
        "24_2024/53_Up/01_IMSA/202408041410_Race/03_Results_Race_Official.CSV": Path(
            "../../../../../outside/24_2024/50_Elsewhere/01_IMSA/202408041410_Race/03_Results_Race_Official.CSV"
        ),
        "24_2024/54_Inside/01_IMSA/202408041410_Race/03_Results_Race_Official.CSV": inside
        / "202408041410_Race"
        / "03_Results_Race_Official.CSV",
    }
    for rel, target in links.items():
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, raw / rel)
    report = ingest(raw, tmp_path / "w.duckdb")
    warehouse = tmp_path / "w.duckdb"
    statuses = dict(
        rows(warehouse, "SELECT path, status || ': ' || reason FROM raw.ingested_files WHERE path LIKE '24_2024/5%'")
    )
    assert statuses == {
        rel: (f"skipped: symbolic link{' to a folder' if not rel.endswith('.CSV') else ''}: not followed")
        for rel in links
    }, statuses
    landed = rows(warehouse, "SELECT count(*) FROM raw.race_results WHERE _file_path LIKE '24_2024/5%'")
    assert landed == [(0,)]
    assert manifest_problems(warehouse) == [] and report.set_aside == 0
    record("security_paths", {"symlinks_tried": len(links), "followed": 0, "rows_from_outside": 0})


def test_glob_characters_in_names_read_only_that_file(tmp_path):
    """A name with * ? [ ] is a name, not a pattern: each file's rows come from that file alone."""
    raw = copy_real_imsa(tmp_path / "raw")
    official = RACE / "03_Results_Race_Official.CSV"
    folder = raw / "24_2024" / "60_Glob [1]" / "01_IMSA" / "202408041410_Race"
    folder.mkdir(parents=True)
    names = [
        "03_Results_Race_Official.CSV",
        "03_Results_Race_Officia?.CSV",
        "03_Results_Race_*.CSV",
        "03_Results_Race_Official[1].CSV",
        "03_Results_Race_Official1.CSV",
    ]
    lines = official.read_bytes().split(b"\r\n")
    for i, name in enumerate(names):  # each file a different number of rows: 10, 11, 12 ...
        (folder / name).write_bytes(b"\r\n".join(lines[: 11 + i]) + b"\r\n")
    warehouse = tmp_path / "w.duckdb"
    ingest(raw, warehouse)
    for i, name in enumerate(names):
        rel = (folder / name).relative_to(raw).as_posix()
        assert rows(
            warehouse, "SELECT count(*), max(_row_number) FROM raw.race_results WHERE _file_path = ?", [rel]
        ) == [(10 + i, 10 + i)], name
        assert rows(warehouse, "SELECT rows_loaded FROM raw.ingested_files WHERE path = ?", [rel]) == [(10 + i,)], name
    assert manifest_problems(warehouse) == []


NASTY = [
    "O'Brien",
    'say "hi"',
    "a; DROP TABLE raw.race_results; --",
    "$1 ? %s {0}",
    "back\\slash",
    "日本語 Ünïcode",
    "x' OR '1'='1",
]


def test_names_that_look_like_sql_load_as_data(tmp_path):
    raw = copy_real_imsa(tmp_path / "raw")
    official = (RACE / "03_Results_Race_Official.CSV").read_bytes()
    expected = {}
    for i, nasty in enumerate(NASTY):
        rel = f"24_2024/7{i}_{nasty}/01_{nasty}/202408041410_Race {nasty}/03_Results_Race {nasty}_Official.CSV"
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        # ... and a value that looks like SQL in a text column (';' is the delimiter: not inside a value)
        (raw / rel).write_bytes(official.replace(b"Porsche Penske Motorsport", nasty.replace(";", ",").encode()))
        expected[rel] = official.count(b"\r\n") - 1
    warehouse = tmp_path / "w.duckdb"
    report = ingest(raw, warehouse)
    assert report.set_aside == 0
    for rel, n in expected.items():
        assert rows(warehouse, "SELECT status, rows_loaded FROM raw.ingested_files WHERE path = ?", [rel]) == [
            ("loaded", n)
        ], rel
        assert rows(warehouse, "SELECT count(*) FROM raw.race_results WHERE _file_path = ?", [rel]) == [(n,)]
    teams = {t for (t,) in rows(warehouse, "SELECT DISTINCT team FROM raw.race_results")}
    assert {n.replace(";", ",") for n in NASTY} <= teams
    assert manifest_problems(warehouse) == []
    record("security_names", {"names_tried": len(NASTY), "loaded_as_data": len(NASTY), "sql_executed_from_names": 0})


# Every expression pasted into SQL text in orchestration/ingest, reviewed: each is built by the code
# (quoted identifiers, column lists of quoted identifiers, regexes from formats.py as escaped literals,
# placeholders), never a file's content or name, which travel as parameters ($files, ?, lists).
REVIEWED = {
    "quote_ident(c)",
    "quote_ident(kind.name)",
    "quote_ident(table)",
    "quote_ident(col)",
    "table",
    "target_cols",
    "names",
    "lineage",
    "select_cols",
    "cases",
    "any_bad",
    "select",
    "REPORT_SESSIONS",
    "', '.join(cols)",
    "target",
    "manifest_cols",
    "col.upper()",
    "what",
    "literal",
    "unit",
    "row + 1 if unit == 'line' else row",
    "quote_ident(col) if col in columns else 'NULL'",
    "cond",
    "t",
    "i",
}


def sql_interpolations() -> set[str]:
    found = set()
    for path in sorted((REPO / "orchestration" / "ingest").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if re.search(r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE|ALTER|WHEN|FROM|TABLE)\b", text):
                    for value in node.values:
                        if isinstance(value, ast.FormattedValue):
                            found.add(ast.unparse(value.value))
    return found


def test_no_sql_is_built_from_file_contents_or_names():
    found = sql_interpolations()
    unreviewed = found - REVIEWED
    assert not unreviewed, (
        f"new expressions pasted into SQL: review them (parameters or quote_ident only), then list them: {unreviewed}"
    )
    record("security_sql_text", {"interpolations_reviewed": len(found)})
