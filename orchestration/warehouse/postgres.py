"""A local PostgreSQL server for the project: `pitwall db start|stop|status|url` (no Dagster here).

The cluster lives in a git-ignored folder (``<repo>/warehouse/postgres/``, or PITWALL_POSTGRES_DIR):
``data/`` (the cluster), ``socket/`` (its Unix socket), ``server.log`` and ``credentials.json`` (the two
roles' passwords, readable by its owner only). It listens on 127.0.0.1 only, on PITWALL_POSTGRES_PORT
(default 54329), with password authentication over TCP. Database ``pitwall``; roles ``pitwall_writer``
(owns the database: the pipeline's) and ``pitwall_reader`` (SELECT on schemas ``marts`` and ``meta``,
including tables the writer creates there later; nothing else).

PostgreSQL refuses to run as root: as root, the cluster belongs to the OS user ``postgres`` (created
by Debian's package) and its programs run through ``runuser``. Another server (managed PostgreSQL, a
cluster) is used by setting PITWALL_POSTGRES_URL (and PITWALL_POSTGRES_READER_URL): then nothing here
starts or stops anything.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import settings

DATABASE = "pitwall"
DAGSTER_DATABASE = "dagster"  # `pitwall serve`'s Dagster storage (runs, events, schedules)
WRITER, READER = "pitwall_writer", "pitwall_reader"
DEFAULT_PORT = 54329
SERVICE_USER = "postgres"  # the OS user that owns the cluster when pitwall runs as root


class PostgresError(RuntimeError):
    """The local server cannot be set up, started or reached; the message says why."""


@dataclass(frozen=True)
class Server:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    @property
    def credentials(self) -> Path:
        return self.folder / "credentials.json"


def external_url(reader: bool = False) -> str | None:
    """The URL of a server pitwall does not manage, when one is configured."""
    if reader and os.environ.get("PITWALL_POSTGRES_READER_URL"):
        return os.environ["PITWALL_POSTGRES_READER_URL"]
    return os.environ.get("PITWALL_POSTGRES_URL") or None


def local_server() -> Server:
    folder = os.environ.get("PITWALL_POSTGRES_DIR")
    path = Path(folder).resolve() if folder else settings.REPO_ROOT / "warehouse" / "postgres"
    return Server(path, int(os.environ.get("PITWALL_POSTGRES_PORT", DEFAULT_PORT)))


def bindir() -> Path:
    """The newest Debian PostgreSQL's programs (/usr/lib/postgresql/<major>/bin)."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists() and (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise PostgresError("PostgreSQL is not installed (Debian package postgresql): run `make postgres`")
    return found[-1]


def _as_owner(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program as the cluster's owner: this user, or `postgres` when this is root."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", SERVICE_USER, "--", *args]
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def _check(done: subprocess.CompletedProcess, what: str) -> None:
    if done.returncode != 0:
        raise PostgresError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")


def is_running(server: Server) -> bool:
    if not (server.data / "PG_VERSION").exists():
        return False
    return _as_owner([str(bindir() / "pg_ctl"), "status", "-D", str(server.data)]).returncode == 0


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _init(server: Server) -> None:
    """A new cluster: the folders, the passwords, initdb (local superuser over the socket only)."""
    server.folder.mkdir(parents=True, exist_ok=True)
    server.socket_dir.mkdir(exist_ok=True)
    if not server.credentials.exists():
        secret = {WRITER: secrets.token_urlsafe(18), READER: secrets.token_urlsafe(18)}
        server.credentials.write_text(json.dumps(secret))
        server.credentials.chmod(0o600)
    if os.geteuid() == 0:
        for path in (server.folder, server.socket_dir):
            shutil.chown(path, SERVICE_USER, SERVICE_USER)
    done = _as_owner(
        [
            str(bindir() / "initdb"),
            "-D",
            str(server.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            # Text sorts by code point, as in DuckDB: the same first, best and tie-broken rows.
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ]
    )
    _check(done, "initdb")


def _psql(server: Server, sql: str, database: str = "postgres") -> str:
    """SQL as the cluster's superuser, over the Unix socket."""
    done = _as_owner(
        [
            str(bindir() / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(server.socket_dir),
            "-p",
            str(server.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-tA",
            "-c",
            sql,
        ]
    )
    _check(done, "psql")
    return done.stdout


def _roles(server: Server) -> None:
    """The database and the two roles, made or brought back to what this module says (idempotent)."""
    secret = json.loads(server.credentials.read_text())
    for role, password in secret.items():
        verb = "ALTER" if _psql(server, f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'").strip() else "CREATE"
        _psql(server, f"{verb} ROLE {role} LOGIN PASSWORD '{password}'")
    for database in (DATABASE, DAGSTER_DATABASE):
        if not _psql(server, f"SELECT 1 FROM pg_database WHERE datname = '{database}'").strip():
            _psql(server, f"CREATE DATABASE {database} OWNER {WRITER}")
    _psql(server, f"REVOKE ALL ON DATABASE {DAGSTER_DATABASE} FROM PUBLIC")
    grants = [
        f"REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {DATABASE} TO {READER}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    ]
    for schema in ("marts", "meta"):
        grants += [
            f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {WRITER}",
            f"GRANT USAGE ON SCHEMA {schema} TO {READER}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {READER}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {WRITER} IN SCHEMA {schema} GRANT SELECT ON TABLES TO {READER}",
        ]
    _psql(server, "; ".join(grants), database=DATABASE)


def start(server: Server) -> str:
    """Start the local server (a new cluster the first time); what was done, in words."""
    if external_url():
        return "PITWALL_POSTGRES_URL is set: that server is used, none is started here"
    if is_running(server):
        _roles(server)  # brought up to date: a newer pitwall may add a database or a grant
        return f"already running on 127.0.0.1:{server.port} ({server.data})"
    if _port_taken(server.port):
        raise PostgresError(f"port {server.port} on 127.0.0.1 is taken by another program: set PITWALL_POSTGRES_PORT")
    new = not (server.data / "PG_VERSION").exists()
    if new:
        _init(server)
    options = f"-c listen_addresses=127.0.0.1 -c port={server.port} -c unix_socket_directories={server.socket_dir}"
    done = _as_owner(
        [
            str(bindir() / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(server.data),
            "-l",
            str(server.folder / "server.log"),
            "-o",
            options,
        ]
    )
    _check(done, "pg_ctl start")
    _roles(server)
    return f"{'created and ' if new else ''}started on 127.0.0.1:{server.port} ({server.data})"


def stop(server: Server) -> str:
    if external_url():
        return "PITWALL_POSTGRES_URL is set: that server is not managed here"
    if not is_running(server):
        return "not running"
    _check(_as_owner([str(bindir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(server.data)]), "pg_ctl stop")
    return "stopped"


def dagster_url(server: Server) -> str:
    """Where `pitwall serve` keeps Dagster's storage: PITWALL_DAGSTER_POSTGRES_URL, else the database
    `dagster` of the local server (as the writer), else, with PITWALL_POSTGRES_URL, that database."""
    configured = os.environ.get(settings.DAGSTER_POSTGRES_URL_ENV) or external_url()
    if configured:
        return configured
    return url(server).rsplit("/", 1)[0] + f"/{DAGSTER_DATABASE}"


def url(server: Server, reader: bool = False) -> str:
    """The postgresql:// URL of the writer (the pipeline) or of the read-only role."""
    configured = external_url(reader)
    if configured:
        return configured
    if not server.credentials.exists():
        raise PostgresError("no local server yet: run `pitwall db start`")
    role = READER if reader else WRITER
    password = json.loads(server.credentials.read_text())[role]
    return f"postgresql://{role}:{password}@127.0.0.1:{server.port}/{DATABASE}"
