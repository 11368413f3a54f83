"""A real PostgreSQL for the tests: Debian's (installed by `make test`), started by `pitwall db start`
in a folder of its own under /tmp on a free port, stopped and removed afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from apache_site import free_port
from helpers import REPO

PITWALL = [sys.executable, "-m", "orchestration.cli"]


def require_postgres() -> None:
    """Skip (fail on CI) when Debian's PostgreSQL is not installed."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        message = "PostgreSQL is needed (Debian: apt-get install postgresql; make test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def server_env() -> Iterator[dict[str, str]]:
    """The environment of a project whose `pitwall db` server lives in a new folder (not started)."""
    require_postgres()
    # Under /tmp, open to all: as root the cluster belongs to the OS user postgres, who must reach it.
    folder = Path(tempfile.mkdtemp(prefix="pitwall-pg-", dir="/tmp"))
    folder.chmod(0o755)
    env = {**os.environ, "PITWALL_POSTGRES_DIR": str(folder / "pg"), "PITWALL_POSTGRES_PORT": str(free_port())}
    for name in ("PITWALL_POSTGRES_URL", "PITWALL_POSTGRES_READER_URL", "PITWALL_TARGET"):
        env.pop(name, None)
    try:
        yield env
    finally:
        subprocess.run([*PITWALL, "db", "stop"], env=env, cwd=REPO, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def db(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*PITWALL, "db", *args], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def psql(url: str, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", url, "-X", "-Atc", sql], capture_output=True, text=True)
