"""The Dagster code location `pitwall`: composition only."""

import dagster as dg

from .defs.assets.dbt import pitwall_dbt
from .defs.assets.published import published_charts, published_warehouse
from .defs.assets.raw import raw_alkamel
from .defs.automation import fetch_sensor, raw_files_sensor, refresh_season_aggregates, season_aggregates_weekly
from .defs.fetch_job import fetch_and_refresh
from .defs.jobs import refresh_warehouse, reload_files
from .defs.resources import build_resources

defs = dg.Definitions(
    assets=[raw_alkamel, pitwall_dbt, published_warehouse, published_charts],
    jobs=[refresh_warehouse, reload_files, refresh_season_aggregates, fetch_and_refresh],
    schedules=[season_aggregates_weekly],
    sensors=[raw_files_sensor, fetch_sensor],
    resources=build_resources(),
    # Ad-hoc materializations from the UI also run in one process (DuckDB: one writer).
    executor=dg.in_process_executor,
)
