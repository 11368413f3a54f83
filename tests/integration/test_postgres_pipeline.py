"""The pipeline on PostgreSQL (PITWALL_TARGET=postgres), against a real server started by `pitwall db
start`: a refresh of raw/ gives the marts of the DuckDB build of the same files, row for row; a second
refresh changes nothing; the reader role reads marts and meta and nothing else, writes nothing;
readers querying during a refresh see the previous refresh or the new one, whole, never an error;
a refresh killed with -9 leaves the published marts as they were, and the next one completes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from helpers import RAW, REPO
from integration.conftest import PITWALL
from pg_compare import compare_marts
from pg_server import db, psql, server_env

pytestmark = pytest.mark.integration

HELD_OUT = Path("24_2024") / "14_Road America"  # an event put back in the middle of the tests


@dataclass
class Server:
    env: dict[str, str]
    writer: str
    reader: str


@pytest.fixture(scope="module")
def server():
    with server_env() as env:
        db(env, "start")
        yield Server(env, db(env, "url"), db(env, "url", "--reader"))


def refresh(server: Server, raw: Path, home: Path, *args: str, check: bool = True, background: bool = False):
    """`pitwall refresh` on PostgreSQL; `background`: started in a session of its own, not waited for."""
    env = {**server.env, "DAGSTER_HOME": str(home), "PITWALL_TARGET": "postgres", "COLUMNS": "200"}
    command = [str(PITWALL), "refresh", "--raw", str(raw), *args]
    if background:
        quiet = subprocess.DEVNULL
        return subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True, stdout=quiet, stderr=quiet)
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    if check and done.returncode != 0:
        raise AssertionError(f"refresh failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}")
    return done


def digest(url: str, schema: str = "marts") -> dict[str, tuple]:
    """(rows, order-independent hash) of every table of `schema`."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", [schema])
            tables = [r[0] for r in cur.fetchall()]
            out = {}
            for table in tables:
                cur.execute(f'SELECT count(*), sum(hashtext(t::text)) FROM {schema}."{table}" AS t')
                out[table] = cur.fetchone()
            return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def built(server, tmp_path_factory, refreshed):
    """raw/ refreshed into the server (the DuckDB build of the same files: `refreshed`)."""
    root = tmp_path_factory.mktemp("pg")
    home = root / "dagster_home"
    home.mkdir()
    done = refresh(server, refreshed.raw, home)
    return root, home, done.stdout


def test_marts_equal_duckdb_and_a_second_refresh_changes_nothing(server, built, refreshed):
    root, home, first = built
    assert "succeeded" in first
    differences = compare_marts(refreshed.warehouse, server.reader, "marts")
    assert differences == [], "\n".join(differences[:50])
    before = digest(server.reader)
    assert len(before) >= 21 and before["fct_laps"][0] > 0

    second = refresh(server, refreshed.raw, home).stdout
    assert "dbt build skipped" in second or "nothing new" in second, second[-3000:]
    assert digest(server.reader) == before


def test_the_reader_role_reads_marts_and_meta_only(server, built):
    for allowed in ("select count(*) from marts.fct_laps", "select count(*) from meta.publication"):
        done = psql(server.reader, allowed)
        assert done.returncode == 0 and int(done.stdout) > 0, (allowed, done.stderr)
    for refused in (
        "create table marts.x (a int)",
        "create table public.x (a int)",
        "delete from marts.fct_laps",
        "insert into meta.publication (table_name) values ('x')",
        "select count(*) from raw.ingested_files",
        "select count(*) from build_marts.fct_laps",
    ):
        done = psql(server.reader, refused)
        assert done.returncode != 0 and "permission denied" in done.stderr, (refused, done.stderr)


# One statement: its tables and the publication record are read in one snapshot, after any swap
# that holds their locks has committed.
WHOLE = """
    select p.run_id, p.row_count, (select count(*) from marts.fct_laps) as laps,
           q.row_count, (select count(*) from marts.fct_session_results) as results
    from meta.publication p join meta.publication q using (run_id)
    where p.table_name = 'fct_laps' and q.table_name = 'fct_session_results'
"""


class Readers:
    """Threads querying as the reader role in a loop, each query one statement: what they saw."""

    def __init__(self, url: str, threads: int = 3):
        self.url, self.stop, self.seen, self.errors = url, threading.Event(), [], []
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _loop(self) -> None:
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        try:
            while not self.stop.is_set():
                try:
                    with conn.cursor() as cur:
                        cur.execute(WHOLE)
                        self.seen.append(cur.fetchone())
                except psycopg2.Error as exc:
                    self.errors.append(str(exc).strip())
                time.sleep(0.02)
        finally:
            conn.close()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_readers_see_whole_refreshes_and_a_killed_refresh_changes_nothing(server, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    held = tmp_path / "held"
    shutil.move(raw / HELD_OUT, held)
    home = tmp_path / "dagster_home"
    home.mkdir()
    refresh(server, raw, home)
    before = digest(server.reader)

    # The event comes back: readers query all through the refresh.
    shutil.move(held, raw / HELD_OUT)
    readers = Readers(server.reader)
    try:
        refresh(server, raw, home)
    finally:
        readers.finish()
    after = digest(server.reader)
    assert after != before
    assert readers.errors == []
    runs = {run for run, *_ in readers.seen}
    assert len(runs) == 2, runs  # the refresh before and the new one, nothing else
    torn = [row for row in readers.seen if row[1] != row[2] or row[3] != row[4]]
    assert torn == [], torn[:5]

    # The event goes again; that refresh is killed (-9, the whole process group) inside dbt.
    shutil.rmtree(raw / HELD_OUT)
    killed = refresh(server, raw, home, background=True)
    assert _wait_for_dbt(server.writer, killed), "dbt never started"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    assert digest(server.reader) == after  # readers still see the last whole refresh

    # The lock went with the process: the next refresh runs, and ends where the files are.
    refresh(server, raw, home)
    assert digest(server.reader) == before


def _wait_for_dbt(url: str, process: subprocess.Popen, timeout: float = 300) -> bool:
    """Until a dbt connection is busy on the server (dbt-postgres names its connections)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        done = psql(url, "select count(*) from pg_stat_activity where application_name like 'dbt%'")
        if done.returncode == 0 and done.stdout.strip() not in ("", "0"):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("which", ["archive", "mustang"])
def test_the_real_archive_on_postgres_equals_duckdb(server, tmp_path, request, which):
    """The real-archive builds (test_real_archive.py: IMSA 2021-2022 and raw/, Mustang 2026 in JSON)
    refreshed into PostgreSQL give the same marts as on DuckDB, table by table, row by row: what
    test_real_archive.py checks of the DuckDB marts holds of these too. Last in this module: it
    replaces the server's raw root."""
    duck = request.getfixturevalue(which)
    home = tmp_path / "dagster_home"
    home.mkdir()
    done = refresh(server, duck.raw, home)
    assert " 0 failed" in done.stdout, done.stdout[-4000:]
    differences = compare_marts(duck.warehouse, server.reader, "marts")
    assert differences == [], "\n".join(differences[:50])
    set_aside = psql(server.reader, "select count(*) from meta.ingested_files where status = 'quarantined'")
    assert set_aside.stdout.strip() == "0", set_aside
