"""The dbt project as Dagster assets: every model and seed an asset, every data test an asset check.

Asset keys are the warehouse relations, ``[schema, name]``: ``staging/stg_...``,
``marts/fct_laps``, ``reference/circuits``; the dbt source ``alkamel.<table>`` (schema ``raw``)
becomes ``raw/<table>``, the key of the ingestion multi-asset, so there is one lineage graph and
no dangling source assets. Groups come from ``meta.dagster.group`` set in dbt_project.yml
(dagster-dbt's default reads it); a node without one falls back to its folder under ``marts/``
or its schema.
"""


from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from ..project import dbt_project
from ..resources import WarehousePaths


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return (props.get("config") or {}).get("meta") or props.get("meta") or {}


class PitwallDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        configured = _meta(dbt_resource_props).get("dagster", {}).get("asset_key")
        if configured:
            return dg.AssetKey(configured)
        if dbt_resource_props["resource_type"] == "source":
            # alkamel.<table> lives in schema raw: the ingestion multi-asset's raw/<table>.
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        # The relation dbt builds: schema as resolved by macros/generate_schema_name.sql, then alias.
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        group = super().get_group_name(dbt_resource_props) or _meta(dbt_resource_props).get("dagster", {}).get("group")
        if group:
            return group
        fqn = dbt_resource_props.get("fqn") or []
        if len(fqn) > 3 and fqn[1] == "marts":  # pitwall / marts / <folder> / model
            return fqn[2]
        return dbt_resource_props.get("schema") or None


translator = PitwallDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=False)
)

# Dagster's dbt runs keep their artifacts in one folder of their own, target/dagster: dbt's
# partial parsing (partial_parse.msgpack) then carries over from run to run, instead of a full
# parse in a fresh target/<run id> folder each time, and a developer's own `dbt build` in target/
# does not race with them.
DBT_TARGET_PATH = Path(dbt_project.project_dir) / dbt_project.target_path / "dagster"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    name="pitwall_dbt",
)
def pitwall_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: WarehousePaths):
    """`dbt build` of the selected models, seeds and tests, streaming dbt's events as they happen."""
    warehouse = paths.export()
    context.log.info(f"dbt build against {warehouse}")
    yield from dbt.cli(["build"], context=context, target_path=DBT_TARGET_PATH).stream()
