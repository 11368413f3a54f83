"""The schedule and the raw-root sensor: running by default, and the sensor fires on new or changed files only."""

from __future__ import annotations

import os
import shutil

import dagster as dg
import pytest
from helpers import ROAD_AMERICA_IMSA

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs


def test_season_schedule_runs_monday_morning_new_york_by_default(defs):
    schedule = defs.resolve_schedule_def("season_aggregates_weekly")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone == "America/New_York"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "refresh_season_aggregates"


def test_season_job_rebuilds_the_season_group(defs):
    job = defs.resolve_job_def("refresh_season_aggregates")
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {
        "marts/season_driver_standings",
        "marts/season_team_standings",
        "marts/driver_career_stats",
        "marts/race_notes",
    } <= keys
    assert not any(k.startswith("raw/") for k in keys)


def test_sensor_fires_on_new_and_changed_files_only(defs, tmp_path, monkeypatch):
    sensor = defs.resolve_sensor_def("raw_files_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    raw = tmp_path / "raw"
    session = raw / ROAD_AMERICA_IMSA.relative_to(ROAD_AMERICA_IMSA.parents[2]) / "202408041410_Race"
    session.mkdir(parents=True)
    shutil.copy2(ROAD_AMERICA_IMSA / "202408041410_Race" / "26_Weather_Race.CSV", session)
    monkeypatch.setenv("PITWALL_RAW_DIR", str(raw))
    with dg.instance_for_test() as instance:
        first = sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(first, dg.RunRequest)
        # Same files, with the cursor the first tick stored: nothing to do.
        ctx = dg.build_sensor_context(instance=instance)
        sensor(ctx)
        again = sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
        assert isinstance(again, dg.SkipReason) and "no change" in again.skip_message
        # A new session folder: a new run with a new key.
        shutil.copy2(ROAD_AMERICA_IMSA / "202408041410_Race" / "23_Time Cards_Race.CSV", session)
        new = sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
        assert isinstance(new, dg.RunRequest) and new.run_key != first.run_key
        # A file re-saved (new modification time): a run too.
        os.utime(session / "26_Weather_Race.CSV", ns=(1, 1))
        ctx2 = dg.build_sensor_context(instance=instance, cursor=ctx.cursor)
        touched = sensor(ctx2)
        assert isinstance(touched, dg.RunRequest)
