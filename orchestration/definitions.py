"""The Dagster code location `pitwall`: composition only."""

import dagster as dg

from .assets.dbt import pitwall_dbt
from .assets.raw import raw_alkamel
from .jobs import refresh_warehouse
from .resources import build_resources

defs = dg.Definitions(
    assets=[raw_alkamel, pitwall_dbt],
    jobs=[refresh_warehouse],
    resources=build_resources(),
    # Ad-hoc materializations from the UI also run in one process (DuckDB: one writer).
    executor=dg.in_process_executor,
)
