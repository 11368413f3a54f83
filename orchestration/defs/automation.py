"""What keeps the warehouse fresh without a click: the raw-root sensor, the season schedule, the
job the schedule runs, and the fetch sensor (the results site into the raw root). Jobs run in one
process (DuckDB: one writer)."""

from __future__ import annotations

import os

import dagster as dg

from ..fetch.config import DEFAULT_INTERVAL, INTERVAL_ENV, SWITCH_ENV, interval_from_env, switched_on
from ..ingest.layout import listing_digest
from ..warehouse.settings import RAW_DIR_ENV
from .fetch_job import FETCH_JOB_NAME, fetch_and_refresh
from .jobs import REFRESH_JOB_NAME, refresh_warehouse

SEASON_GROUP = "season"

# PITWALL_AUTOMATION=off: the schedule and the sensor start stopped in a new Dagster instance
# (switch them on in the UI's Automation page). The UI test uses it, so its run is the only one.
AUTOMATION_ENV = "PITWALL_AUTOMATION"
AUTOMATION_ON = os.environ.get(AUTOMATION_ENV, "on").strip().lower() not in ("off", "0", "false", "no", "stopped")

refresh_season_aggregates = dg.define_asset_job(
    name="refresh_season_aggregates",
    selection=dg.AssetSelection.groups(SEASON_GROUP),
    executor_def=dg.in_process_executor,
    description=(
        "Rebuild the season aggregates (standings after every round, career stats, race notes) from "
        "the core marts, with their tests. New files are picked up by refresh_warehouse."
    ),
)

season_aggregates_weekly = dg.ScheduleDefinition(
    name="season_aggregates_weekly",
    job=refresh_season_aggregates,
    cron_schedule="0 6 * * 1",
    execution_timezone="America/New_York",
    default_status=dg.DefaultScheduleStatus.RUNNING if AUTOMATION_ON else dg.DefaultScheduleStatus.STOPPED,
    description="Monday 06:00 New York time: rebuild the season aggregates after the weekend's races.",
)

ACTIVE_RUN_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    name="raw_files_sensor",
    job=refresh_warehouse,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING if AUTOMATION_ON else dg.DefaultSensorStatus.STOPPED,
    description="Starts refresh_warehouse when files are added to, changed in or removed from the raw root.",
)
def raw_files_sensor(context: dg.SensorEvaluationContext):
    raw_root = os.environ.get(RAW_DIR_ENV)
    if not raw_root or not os.path.isdir(raw_root):
        return dg.SkipReason(f"raw root {raw_root!r} is not a folder")
    digest, count = listing_digest(raw_root)
    if digest == context.cursor:
        return dg.SkipReason(f"no change in {count} files")
    active = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=REFRESH_JOB_NAME, statuses=ACTIVE_RUN_STATUSES), limit=1
    )
    if active:
        # The running refresh may already be reading the new files; look again on the next tick.
        return dg.SkipReason(f"refresh run {active[0].run_id} is in progress")
    context.update_cursor(digest)
    return dg.RunRequest(
        run_key=f"raw-{digest[:16]}", tags={"pitwall/trigger": "raw_files_sensor", "pitwall/files": str(count)}
    )


try:
    FETCH_INTERVAL = interval_from_env()
except ValueError:
    FETCH_INTERVAL = DEFAULT_INTERVAL  # a bad PITWALL_FETCH_INTERVAL should not stop the code location loading


@dg.sensor(
    name="fetch_sensor",
    job=fetch_and_refresh,
    minimum_interval_seconds=FETCH_INTERVAL,
    # Off unless asked for (PITWALL_FETCH=on, or switched on in the UI): it talks to a site on the internet.
    default_status=dg.DefaultSensorStatus.RUNNING if switched_on() else dg.DefaultSensorStatus.STOPPED,
    description=(
        f"Every {FETCH_INTERVAL} s ({INTERVAL_ENV}), starts fetch_and_refresh: the results site's new and "
        f"changed files into the raw root, which raw_files_sensor then refreshes. {SWITCH_ENV}=on starts it running."
    ),
)
def fetch_sensor(context: dg.SensorEvaluationContext):
    active = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=FETCH_JOB_NAME, statuses=ACTIVE_RUN_STATUSES), limit=1
    )
    if active:
        # Still walking the site, or waiting in the queue: one fetch at a time.
        return dg.SkipReason(f"fetch run {active[0].run_id} is queued or in progress")
    refreshing = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=REFRESH_JOB_NAME, statuses=ACTIVE_RUN_STATUSES), limit=1
    )
    if refreshing:
        # One run at a time (dagster.yaml): a fetch queued now would only hold up the next refresh,
        # the one that publishes what the last fetch brought.
        return dg.SkipReason(f"refresh run {refreshing[0].run_id} is queued or in progress")
    return dg.RunRequest(tags={"pitwall/trigger": "fetch_sensor"})
