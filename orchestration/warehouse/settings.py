"""Where things live: paths from the environment, with defaults inside the repository.

- ``PITWALL_RAW_DIR``    the raw root of Al Kamel files      (default ``<repo>/raw``)
- ``PITWALL_WAREHOUSE``  the DuckDB file                     (default ``<repo>/warehouse/pitwall.duckdb``)
- ``DAGSTER_HOME``       Dagster's instance (runs, events)   (default ``<repo>/.dagster_home``)

`configure()` writes all three into ``os.environ`` as absolute paths, so that dbt (which reads
``PITWALL_WAREHOUSE`` in ``profiles.yml``), the Dagster webserver and CLI runs agree on them.
Nothing here imports Dagster or dbt: the CLI's fast commands use it too.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
WORKSPACE_FILE = REPO_ROOT / "workspace.yaml"

RAW_DIR_ENV = "PITWALL_RAW_DIR"
WAREHOUSE_ENV = "PITWALL_WAREHOUSE"
TARGET_ENV = "PITWALL_TARGET"  # duckdb (the file above) or postgres (warehouse/targets.py)
TARGETS = ("duckdb", "postgres")
DAGSTER_HOME_ENV = "DAGSTER_HOME"

DEFAULT_RAW_DIR = REPO_ROOT / "raw"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "pitwall.duckdb"
DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster_home"

# Local SQLite storage (the default) under DAGSTER_HOME; no telemetry: nothing leaves the machine.
DAGSTER_YAML_TEMPLATE = """\
# Written by orchestration/warehouse/settings.py. Storage: SQLite files in this folder (Dagster's default),
# shared by `pitwall refresh` and `pitwall ui`, so CLI runs show in the UI's run history.
# Dagster's SQLite storage and layout, with an event log that reuses its database engines
# (orchestration/defs/run_history.py: a refresh stores ~230 events before its first step).
storage:
  custom:
    module: orchestration.defs.run_history
    class: PitwallSqliteStorage
    config:
      base_dir: {home}
telemetry:
  enabled: false
# One run at a time (DuckDB: one writer): a run launched from the UI while another one is going
# (the sensor's, the schedule's) waits in the queue instead of failing on the warehouse's lock.
concurrency:
  runs:
    max_concurrent_runs: 1
"""

# `pitwall serve`: Dagster as a deployment. Run, event-log and schedule storage in PostgreSQL
# (dagster-postgres; the URL from the environment, so no password is written here), webserver, daemon
# and code server as separate processes, each run in a process of its own (the default launcher),
# dequeued by the daemon: runs of the same warehouse (tag pitwall/warehouse) one at a time, runs of
# different warehouses side by side.
SERVER_HOME_ENV = "PITWALL_SERVER_HOME"
DEFAULT_SERVER_HOME = REPO_ROOT / ".dagster_server"
DAGSTER_POSTGRES_URL_ENV = "PITWALL_DAGSTER_POSTGRES_URL"
WAREHOUSE_TAG = "pitwall/warehouse"
SERVER_DAGSTER_YAML = f"""\
# Written by orchestration/warehouse/settings.py for `pitwall serve`: Dagster's storage in PostgreSQL.
storage:
  postgres:
    postgres_url:
      env: {DAGSTER_POSTGRES_URL_ENV}
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: {WAREHOUSE_TAG}
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""
SERVER_WORKSPACE = """\
# Written by orchestration/warehouse/settings.py for `pitwall serve`: the code location's gRPC server.
load_from:
  - grpc_server:
      host: 127.0.0.1
      port: {port}
      location_name: pitwall
"""


def server_home() -> Path:
    return _from_env(SERVER_HOME_ENV, DEFAULT_SERVER_HOME)


def write_server_home(home: Path, grpc_port: int) -> Path:
    """dagster.yaml and workspace.yaml of `pitwall serve`'s instance folder; the workspace's path."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(SERVER_DAGSTER_YAML)
    workspace = home / "workspace.yaml"
    workspace.write_text(SERVER_WORKSPACE.format(port=grpc_port))
    return workspace


# The first words of every dagster.yaml written here, now and before this module moved (its storage then
# named orchestration.run_history): such a file is pitwall's and ensure_dagster_home brings it up to date.
WRITTEN_BY = ("# Written by orchestration/warehouse/settings.py.", "# Written by orchestration/settings.py.")

# Environment for every dbt process: no usage statistics, no version check over the network.
DBT_QUIET_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DBT_VERSION_CHECK": "false",
    "DO_NOT_TRACK": "1",
}


def _absolute(value: str | os.PathLike[str]) -> Path:
    return Path(os.path.abspath(os.path.expanduser(os.fspath(value))))


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return _absolute(value) if value else default


def raw_dir() -> Path:
    return _from_env(RAW_DIR_ENV, DEFAULT_RAW_DIR)


def warehouse_path() -> Path:
    return _from_env(WAREHOUSE_ENV, DEFAULT_WAREHOUSE)


def target_name(value: str | None = None) -> str:
    """`value`, else PITWALL_TARGET, else duckdb; checked."""
    name = (value or os.environ.get(TARGET_ENV) or "duckdb").strip().lower()
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}: {TARGET_ENV} (or --target) is one of {', '.join(TARGETS)}")
    return name


# Readers' copy of the warehouse, next to the build file (orchestration/publish): a DuckDB file,
# one Parquet file per mart and the charts, replaced atomically after every successful refresh.
PUBLISHED_DIR_NAME = "published"
PUBLISHED_FILE_NAME = "pitwall.duckdb"


def published_dir(warehouse: Path | None = None) -> Path:
    """``<folder of the warehouse>/published/``."""
    return (warehouse or warehouse_path()).parent / PUBLISHED_DIR_NAME


def published_warehouse_path(warehouse: Path | None = None) -> Path:
    return published_dir(warehouse) / PUBLISHED_FILE_NAME


def dagster_home() -> Path:
    return _from_env(DAGSTER_HOME_ENV, DEFAULT_DAGSTER_HOME)


def venv_executable(name: str) -> str:
    """An executable of the running interpreter's environment (the venv), else the one on PATH."""
    candidate = Path(sys.executable).parent / name  # not resolved: the venv's bin, not the base Python's
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"`{name}` is neither next to {sys.executable} nor on PATH: run `make install`")


def dbt_executable() -> str:
    return venv_executable("dbt")


def dagster_executable() -> str:
    return venv_executable("dagster")


def dagster_yaml(home: Path) -> str:
    """The dagster.yaml pitwall writes for an instance folder (its own absolute path inside: Dagster
    also opens instances by folder, without DAGSTER_HOME set)."""
    return DAGSTER_YAML_TEMPLATE.format(home=json.dumps(str(_absolute(home))))


def ensure_dagster_home(home: Path | None = None) -> Path:
    home = home or dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = dagster_yaml(home)
    # Written if missing, and brought up to date if it is still one written here (a moved folder too).
    current = config.read_text() if config.exists() else None
    if current is None or (current.startswith(WRITTEN_BY) and current != wanted):
        config.write_text(wanted)
    return home


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    dagster_home: Path
    target: str = "duckdb"


def configure(
    raw: str | os.PathLike[str] | None = None,
    warehouse: str | os.PathLike[str] | None = None,
    home: str | os.PathLike[str] | None = None,
    target: str | None = None,
) -> Settings:
    """Resolve the paths and the target (arguments > environment > defaults) and export them,
    paths absolute."""
    settings = Settings(
        raw_dir=_absolute(raw) if raw else raw_dir(),
        warehouse=_absolute(warehouse) if warehouse else warehouse_path(),
        dagster_home=_absolute(home) if home else dagster_home(),
        target=target_name(target),
    )
    os.environ[RAW_DIR_ENV] = str(settings.raw_dir)
    os.environ[WAREHOUSE_ENV] = str(settings.warehouse)
    os.environ[DAGSTER_HOME_ENV] = str(settings.dagster_home)
    os.environ[TARGET_ENV] = settings.target
    for key, value in DBT_QUIET_ENV.items():
        os.environ.setdefault(key, value)
    ensure_dagster_home(settings.dagster_home)
    return settings


def dbt_env(warehouse: Path | None = None) -> dict[str, str]:
    """Environment for a dbt subprocess: the current one, the warehouse as an absolute path, no tracking."""
    env = dict(os.environ)
    env.update(DBT_QUIET_ENV)
    env[WAREHOUSE_ENV] = str(warehouse or warehouse_path())
    return env
