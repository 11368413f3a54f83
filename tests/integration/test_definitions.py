"""The Dagster code location loads and hangs together: one job, dbt sources on the ingestion's
asset keys (no dangling `alkamel/...` source assets), groups, dbt tests as asset checks."""

from __future__ import annotations

import json

import dagster as dg
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs


@pytest.fixture(scope="module")
def graph(defs: dg.Definitions):
    return defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def manifest() -> dict:
    from orchestration.project import dbt_project

    return json.loads(dbt_project.manifest_path.read_text())


def test_definitions_validate(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)


def test_refresh_job_runs_everything_in_one_process(defs: dg.Definitions, graph) -> None:
    job = defs.resolve_job_def("refresh_warehouse")
    assert job.executor_def.name == "in_process"
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert set(job.asset_layer.selected_asset_keys) == materializable
    assert defs.executor is not None and defs.executor.name == "in_process"  # ad-hoc UI runs too


def test_raw_assets(graph) -> None:
    from orchestration.defs.assets.raw import RAW_ASSET_KEYS

    assert dg.AssetKey(["raw", "ingested_files"]) in RAW_ASSET_KEYS
    for key in RAW_ASSET_KEYS:
        node = graph.get(key)
        assert node.group_name == "raw"
        assert node.kinds == {"python", "duckdb"}
        assert node.description


def test_dbt_sources_are_the_ingestion_assets(manifest: dict) -> None:
    from orchestration.defs.assets.dbt import translator
    from orchestration.defs.assets.raw import RAW_ASSET_KEYS
    from orchestration.project import dbt_project

    source_keys = {
        translator.get_asset_spec(manifest, unique_id, dbt_project).key
        for unique_id, source in manifest["sources"].items()
        if source["source_name"] == "alkamel"
    }
    assert source_keys == set(RAW_ASSET_KEYS)


def test_no_dangling_source_assets(graph) -> None:
    keys = graph.get_all_asset_keys()
    assert not [k for k in keys if k.path[0] == "alkamel"]
    external = sorted(k.to_user_string() for k in keys if not graph.get(k).is_materializable)
    assert external == [], f"assets nothing materializes (a dbt source without an ingestion asset?): {external}"


def test_dbt_models_keyed_by_schema(graph, manifest: dict) -> None:
    from orchestration.defs.assets.dbt import pitwall_dbt

    dbt_keys = set(pitwall_dbt.keys)
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "seed"):
            key = dg.AssetKey([node["schema"], node.get("alias") or node["name"]])
            assert key in dbt_keys, key
    assert {k.path[0] for k in dbt_keys} <= {"staging", "intermediate", "marts", "reference"}


def test_groups(graph) -> None:
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"raw", "staging", "core", "reference"} <= groups
    assert "default" not in groups
    assert graph.get(dg.AssetKey(["staging", "stg_alkamel__weather"])).group_name == "staging"
    assert graph.get(dg.AssetKey(["marts", "fct_laps"])).group_name == "core"


def test_dbt_tests_are_asset_checks(graph, manifest: dict) -> None:
    check_keys = set(graph.asset_check_keys)
    assert check_keys
    by_name = {c.name: c for c in check_keys}
    attached = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("attached_node")]
    assert attached
    for test in attached:
        target = manifest["nodes"].get(test["attached_node"])
        if target is None or target["resource_type"] not in ("model", "seed"):
            continue
        check = by_name.get(test["name"])
        assert check is not None, f"dbt test {test['name']} is not an asset check"
        assert check.asset_key == dg.AssetKey([target["schema"], target.get("alias") or target["name"]])


def test_manifest_is_current() -> None:
    from orchestration.project import dbt_project, manifest_is_stale

    assert not manifest_is_stale(dbt_project.manifest_path)
