"""The dbt project, and a manifest that is never older than the project's files.

Dagster builds the dbt assets from ``target/manifest.json`` when the code location loads, so the
manifest must exist and be current by then: if it is missing or older than any file under
``models/``, ``seeds/``, ``macros/``, ``tests/`` (or ``dbt_project.yml``, ``profiles.yml``), this
runs ``dbt parse`` with the venv's dbt. Partial parsing stays on (``target/partial_parse.msgpack``),
so a re-parse after a small edit is quick. A file lock keeps two processes (the webserver's code
server and a CLI run) from parsing at the same time.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dagster_dbt import DbtProject

from .warehouse import settings

WATCHED = ("models", "seeds", "macros", "tests", "snapshots", "analyses")
WATCHED_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml", "selectors.yml")


class DbtParseError(RuntimeError):
    """`dbt parse` failed: the dbt project does not compile into a manifest."""


def newest_source_mtime(project_dir: Path = settings.DBT_PROJECT_DIR) -> float:
    newest = 0.0
    for name in WATCHED_FILES:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for folder in WATCHED:
        root = project_dir / folder
        if not root.is_dir():
            continue
        newest = max(newest, root.stat().st_mtime)  # catches deletions and renames
        for path in root.rglob("*"):
            newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale(manifest_path: Path, project_dir: Path = settings.DBT_PROJECT_DIR) -> bool:
    if not manifest_path.exists():
        return True
    return manifest_path.stat().st_mtime < newest_source_mtime(project_dir)


def parse_env() -> dict[str, str]:
    """Environment of `dbt parse`: without PITWALL_WAREHOUSE, so profiles.yml renders its default.

    Parsing never opens the warehouse, but dbt keys its partial-parse cache on the profile's
    connection settings (the DuckDB path among them): with the warehouse of whichever run came
    last, every switch (tests on a temporary warehouse, `--warehouse`) would cost a full parse
    instead of a partial one. The profile's own default is also what a plain `dbt parse` in
    dbt_project/ uses, so a developer's manual runs keep the same cache valid. Runs that touch
    the warehouse (`dbt build` in the dbt asset) get it exported as an absolute path.
    """
    env = settings.dbt_env()
    env.pop(settings.WAREHOUSE_ENV, None)
    return env


def _lock(path: Path):
    try:
        from filelock import FileLock  # a Dagster dependency
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return FileLock(str(path), timeout=300)


def ensure_manifest(project: DbtProject, force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or stale; return the manifest's path."""
    manifest = Path(project.manifest_path)
    if not force and not manifest_is_stale(manifest, Path(project.project_dir)):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with _lock(manifest.parent / ".pitwall-parse.lock"):
        # Another process may have parsed while this one waited for the lock.
        if not force and not manifest_is_stale(manifest, Path(project.project_dir)):
            return manifest
        parsed_sources_at = newest_source_mtime(Path(project.project_dir))
        result = subprocess.run(
            [
                settings.dbt_executable(),
                "parse",
                "--quiet",
                "--project-dir",
                str(project.project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
            ],
            cwd=project.project_dir,
            env=parse_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not manifest.exists():
            output = "\n".join(part for part in (result.stdout.strip(), result.stderr.strip()) if part)
            raise DbtParseError(f"`dbt parse` failed in {project.project_dir} (exit {result.returncode}):\n{output}")
        # The manifest's time becomes that of the newest project file it was parsed from (a parse
        # may leave an unchanged manifest untouched): a file saved during or after the parse, or
        # one with a clock-skewed future time, then still counts as newer, or not, exactly.
        os.utime(manifest, (parsed_sources_at, parsed_sources_at))
    return manifest


dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
ensure_manifest(dbt_project)
