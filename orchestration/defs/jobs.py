"""Jobs. DuckDB allows one writer process, so everything runs in one process, one step at a time:
ingestion commits and closes its connection before dbt opens the warehouse. Every run carries the
warehouse it writes (tag pitwall/warehouse): `pitwall serve`'s run queue runs one per warehouse."""

from __future__ import annotations

import dagster as dg

from ..warehouse import settings, targets

TAGS = {settings.WAREHOUSE_TAG: targets.identity()}

REFRESH_JOB_NAME = "refresh_warehouse"
RELOAD_JOB_NAME = "reload_files"

refresh_warehouse = dg.define_asset_job(
    name=REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    tags=TAGS,
    description=(
        "Ingest new and changed Al Kamel files into the raw schema, then `dbt build` "
        "(models, seeds and data tests) on top."
    ),
)

# The same assets as refresh_warehouse; the ingestion step reads the files under `reload_prefix`
# again even if unchanged (a season or an event folder), then dbt builds on top. The launchpad
# opens with this config to fill in.
reload_files = dg.define_asset_job(
    name=RELOAD_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    tags=TAGS,
    config={"ops": {"raw_alkamel": {"config": {"reload_prefix": ""}}}},
    description=(
        "Read one season's or one event's files again, changed or not, then `dbt build`. Open the "
        "launchpad and set reload_prefix to a folder of the raw root: '24_2024' (a season) or "
        "'24_2024/14_Road America' (an event)."
    ),
)
