"""`pitwall db`: a real PostgreSQL (Debian's, installed by `make test`) started by the project in a
temporary folder on a free port, its two roles checked through psql over TCP."""

from __future__ import annotations

import subprocess

import pytest
from pg_server import db, psql, server_env

pytestmark = pytest.mark.integration


@pytest.fixture
def env():
    with server_env() as env:
        yield env


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
