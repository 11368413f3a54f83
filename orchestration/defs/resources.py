"""Resources: where the raw files and the warehouse are, and the dbt CLI."""

from __future__ import annotations

import importlib.metadata
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import PrivateAttr

from ..project import dbt_project
from ..warehouse import settings, targets
from ..warehouse.targets import Target


class WarehousePaths(dg.ConfigurableResource):
    """The raw root read by ingestion and the DuckDB file written by ingestion and dbt.

    Read from PITWALL_RAW_DIR / PITWALL_WAREHOUSE when a run starts (orchestration/warehouse/settings.py
    exports them, defaults included, when the code location loads); a run may override them in
    its resource config, and the dbt step then exports the run's warehouse for dbt.
    """

    raw_dir: str
    warehouse: str
    target: str = "duckdb"  # or postgres: warehouse/targets.py

    _run_lock: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Hold the warehouse's run lock for the run (orchestration/warehouse/runlock.py): a run launched from
        the UI or a schedule while `pitwall refresh` writes fails at once with who holds it.
        (Re-entrant: `pitwall refresh` holds it already and runs its job in the same process.)"""
        run = getattr(context, "run", None)  # None when the resource is built outside a run (tests)
        run_id = getattr(run, "run_id", None) or "?"
        self._run_lock = self.warehouse_target.lock(f"Dagster run {run_id[:8]}")
        self._run_lock.__enter__()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._run_lock is not None:
            lock, self._run_lock = self._run_lock, None
            lock.__exit__(None, None, None)

    @property
    def raw_path(self) -> Path:
        return Path(os.path.abspath(self.raw_dir))

    @property
    def warehouse_path(self) -> Path:
        return Path(os.path.abspath(self.warehouse))

    @property
    def warehouse_target(self) -> Target:
        return targets.target(self.target, self.warehouse_path)

    def export(self) -> Target:
        """Put the warehouse into the environment dbt reads (profiles.yml); the target."""
        target = self.warehouse_target
        os.environ.update(target.dbt_env())
        os.environ[settings.RAW_DIR_ENV] = str(self.raw_path)
        for key, value in settings.DBT_QUIET_ENV.items():
            os.environ.setdefault(key, value)
        return target


class PitwallDbtCliResource(DbtCliResource):
    """DbtCliResource that knows its dbt version without running `dbt --version`.

    dagster-dbt runs `dbt --version` before each dbt command to tell dbt Core from dbt Fusion;
    dbt Core's `--version` asks pypi.org for the latest release (a network call at run time, and
    ~5 s here). The executable is the venv's dbt, so the installed dbt-core package's version is
    the same answer, read locally.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def build_resources() -> dict[str, object]:
    settings.configure()
    return {
        "paths": WarehousePaths(
            raw_dir=dg.EnvVar(settings.RAW_DIR_ENV),
            warehouse=dg.EnvVar(settings.WAREHOUSE_ENV),
            target=dg.EnvVar(settings.TARGET_ENV),
        ),
        "dbt": PitwallDbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable()),
    }
