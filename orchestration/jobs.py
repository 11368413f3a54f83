"""Jobs. DuckDB allows one writer process, so everything runs in one process, one step at a time:
ingestion commits and closes its connection before dbt opens the warehouse."""

from __future__ import annotations

import dagster as dg

REFRESH_JOB_NAME = "refresh_warehouse"

refresh_warehouse = dg.define_asset_job(
    name=REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description=(
        "Ingest new and changed Al Kamel files into the raw schema, then `dbt build` "
        "(models, seeds and data tests) on top."
    ),
)
