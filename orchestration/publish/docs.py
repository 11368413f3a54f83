"""`pitwall docs`: the dbt docs site (descriptions, column types, lineage graph) as one HTML file.

`dbt docs generate --static` writes ``static_index.html``, a single page with the manifest and the
catalog inside (it opens from the file system, no server needed); it is copied to
``<published dir>/docs/index.html`` with ``manifest.json`` and ``catalog.json`` beside it.

The catalog (column types) is read from the published copy by default, through a profile of its
own that opens it with ``access_mode: READ_ONLY``: it works while a refresh runs and never takes
a write lock on any file. The published copy holds the marts and ``raw.ingested_files``, so those
have their types; the staging, intermediate and reference models show their documented columns.
dbt's files go to ``dbt_project/target/docs`` (never ``target/manifest.json``, which Dagster loads).

Nothing here knows about Dagster.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import files

DOCS_DIR_NAME = "docs"
PROFILE_NAME = "pitwall"  # dbt_project.yml's profile

PROFILE = """\
# Written by orchestration/publish/docs.py for `pitwall docs`: the catalog comes from this file, read-only.
{profile}:
  target: docs
  outputs:
    docs:
      type: duckdb
      path: {path}
      schema: main
      threads: 1
      config_options:
        access_mode: READ_ONLY
        autoinstall_known_extensions: false
        autoload_known_extensions: false
"""


class DocsError(RuntimeError):
    """`dbt docs generate` failed."""


@dataclass
class DocsReport:
    index: Path
    models: int
    marts: int
    undescribed: list[str] = field(default_factory=list)  # "marts.table" or "marts.table.column"


def undocumented_marts(manifest: dict, catalog: dict, schema: str = "marts") -> tuple[int, list[str]]:
    """Marts without a description, and columns of the catalog (the real table) without one."""
    missing: list[str] = []
    count = 0
    catalog_nodes = catalog.get("nodes", {})
    for unique_id, node in sorted(manifest.get("nodes", {}).items()):
        if node.get("resource_type") != "model" or node.get("schema") != schema:
            continue
        count += 1
        name = f"{schema}.{node.get('alias') or node['name']}"
        if not (node.get("description") or "").strip():
            missing.append(name)
        described = {c.lower() for c, v in (node.get("columns") or {}).items() if (v.get("description") or "").strip()}
        real = (catalog_nodes.get(unique_id) or {}).get("columns", {})
        for column in real.values():
            if column["name"].lower() not in described:
                missing.append(f"{name}.{column['name']}")
    return count, missing


def build_docs(
    project_dir: Path,
    database: Path,
    out_dir: Path,
    *,
    manifest: Path,
    dbt_executable: str,
    env: dict[str, str],
) -> DocsReport:
    """Run `dbt docs generate --static` against `database` (read-only) and publish the site to `out_dir`.

    `manifest`: the project's parsed manifest.json (orchestration/project.py keeps it current)."""
    project_dir = Path(project_dir)
    work = project_dir / "target" / "docs"
    profiles_dir = project_dir / "target" / "docs-profile"
    profiles_dir.mkdir(parents=True, exist_ok=True)
    (profiles_dir / "profiles.yml").write_text(PROFILE.format(profile=PROFILE_NAME, path=json.dumps(str(database))))
    # --no-compile: compiling the incremental models would run their introspective queries
    # (macros/incremental.sql) against a copy that holds only the marts. The docs then come from
    # the parsed manifest (descriptions, columns, lineage), copied where dbt looks for it.
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest, work / "manifest.json")
    command = [dbt_executable, "docs", "generate", "--static", "--no-compile", "--quiet"]
    command += ["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir), "--target-path", str(work)]
    done = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True)
    static = work / "static_index.html"
    if done.returncode != 0 or not static.exists():
        output = "\n".join(part for part in (done.stdout.strip(), done.stderr.strip()) if part)
        raise DocsError(f"`dbt docs generate` failed (exit {done.returncode}):\n{output[-4000:]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for source, name in (
        (static, "index.html"),
        (work / "manifest.json", "manifest.json"),
        (work / "catalog.json", "catalog.json"),
    ):
        staged = files.temporary_sibling(out_dir / name)
        shutil.copyfile(source, staged)
        files.commit(staged, out_dir / name)
    manifest = json.loads((work / "manifest.json").read_text())
    catalog = json.loads((work / "catalog.json").read_text())
    marts, missing = undocumented_marts(manifest, catalog)
    models = sum(1 for n in manifest.get("nodes", {}).values() if n.get("resource_type") == "model")
    return DocsReport(index=out_dir / "index.html", models=models, marts=marts, undescribed=missing)
