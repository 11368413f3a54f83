"""The manifest is parsed when missing or stale, and a project that does not parse says so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from orchestration.project import DbtParseError, ensure_manifest, manifest_is_stale

pytestmark = pytest.mark.integration

PROFILES = """\
tiny:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('PITWALL_WAREHOUSE', 'tiny.duckdb') }}"
"""


@pytest.fixture
def tiny(tmp_path: Path) -> DbtProject:
    root = tmp_path / "tiny"
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: tiny\n")
    (root / "profiles.yml").write_text(PROFILES)
    (root / "models" / "one.sql").write_text("select 1 as n\n")
    return DbtProject(project_dir=root, profiles_dir=root)


def test_parse_when_missing_then_only_when_stale(tiny: DbtProject) -> None:
    manifest = Path(tiny.manifest_path)
    assert not manifest.exists() and manifest_is_stale(manifest, Path(tiny.project_dir))
    ensure_manifest(tiny)
    assert manifest.exists() and not manifest_is_stale(manifest, Path(tiny.project_dir))

    parsed_at = manifest.stat().st_mtime
    ensure_manifest(tiny)  # current: no parse
    assert manifest.stat().st_mtime == parsed_at

    model = Path(tiny.project_dir) / "models" / "one.sql"
    model.write_text("select 2 as n\n")
    edited = parsed_at + 1  # saved after the parse
    os.utime(model, (edited, edited))
    assert manifest_is_stale(manifest, Path(tiny.project_dir))
    ensure_manifest(tiny)
    assert not manifest_is_stale(manifest, Path(tiny.project_dir))


def test_a_project_that_does_not_parse(tiny: DbtProject) -> None:
    (Path(tiny.project_dir) / "models" / "two.sql").write_text("select * from {{ ref('nowhere') }}\n")
    with pytest.raises(DbtParseError, match="nowhere"):
        ensure_manifest(tiny)
