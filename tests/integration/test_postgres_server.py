"""`pitwall db`: a real PostgreSQL (Debian's, installed by `make test`) started by the project in a
temporary folder on a free port, its two roles checked through psql over TCP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from apache_site import free_port
from helpers import REPO

pytestmark = pytest.mark.integration

PITWALL = [sys.executable, "-m", "orchestration.cli"]


@pytest.fixture
def env():
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        message = "PostgreSQL is needed (Debian: apt-get install postgresql; make test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Under /tmp, open to all: as root the cluster belongs to the OS user postgres, who must reach it.
    folder = Path(tempfile.mkdtemp(prefix="pitwall-pg-", dir="/tmp"))
    folder.chmod(0o755)
    env = {**os.environ, "PITWALL_POSTGRES_DIR": str(folder / "pg"), "PITWALL_POSTGRES_PORT": str(free_port())}
    env.pop("PITWALL_POSTGRES_URL", None)
    env.pop("PITWALL_POSTGRES_READER_URL", None)
    yield env
    subprocess.run([*PITWALL, "db", "stop"], env=env, cwd=REPO, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def db(env, *args: str) -> str:
    done = subprocess.run([*PITWALL, "db", *args], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def psql(url: str, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", url, "-X", "-Atc", sql], capture_output=True, text=True)


def test_start_roles_url_stop_and_start_again(env):
    port = env["PITWALL_POSTGRES_PORT"]
    assert db(env, "start").startswith(f"created and started on 127.0.0.1:{port}")
    assert db(env, "start").startswith("already running")  # idempotent
    assert db(env, "status").startswith("running")
    writer, reader = db(env, "url"), db(env, "url", "--reader")
    assert writer.startswith("postgresql://pitwall_writer:") and writer.endswith(f"@127.0.0.1:{port}/pitwall")
    assert reader.startswith("postgresql://pitwall_reader:") and reader.endswith(f"@127.0.0.1:{port}/pitwall")

    # The writer builds; the reader reads marts and meta (tables made after the grants too), nothing else.
    made = psql(
        writer,
        "create schema raw; create table raw.files(a int); create table marts.laps(a int); "
        "insert into marts.laps values (1), (2); create table meta.publication(a int)",
    )
    assert made.returncode == 0, made.stderr
    assert psql(reader, "select count(*) from marts.laps").stdout.strip() == "2"
    assert psql(reader, "select count(*) from meta.publication").stdout.strip() == "0"
    for refused in (
        "select * from raw.files",
        "create table marts.x(a int)",
        "create table public.x(a int)",
        "insert into marts.laps values (3)",
    ):
        done = psql(reader, refused)
        assert done.returncode != 0 and "permission denied" in done.stderr, (refused, done.stderr)
    # Passwords are checked: a wrong one is refused.
    wrong = reader.replace("pitwall_reader:", "pitwall_reader:x", 1)
    assert psql(wrong, "select 1").returncode != 0

    # Listening on the loopback interface only.
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    ours = [line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{port}")]
    assert ours == [f"127.0.0.1:{port}"], ours

    assert db(env, "stop") == "stopped"
    assert db(env, "status").startswith("not running")
    assert db(env, "start").startswith(f"started on 127.0.0.1:{port}")  # the same cluster, data kept
    assert psql(reader, "select count(*) from marts.laps").stdout.strip() == "2"


def test_an_external_server_is_not_managed(env):
    env = {
        **env,
        "PITWALL_POSTGRES_URL": "postgresql://w@db.example:5432/pitwall",
        "PITWALL_POSTGRES_READER_URL": "postgresql://r@db.example:5432/pitwall",
    }
    assert "none is started here" in db(env, "start")
    assert db(env, "url") == "postgresql://w@db.example:5432/pitwall"
    assert db(env, "url", "--reader") == "postgresql://r@db.example:5432/pitwall"
