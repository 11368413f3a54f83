"""The fetch sensor and the fetch_and_refresh job: stopped unless PITWALL_FETCH=on, one fetch at a
time, and the job's op mirrors a local Apache site into the raw root with its figures as metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest
from apache_site import ApacheSite, available
from helpers import RAW, REPO

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs


def _sensor_settings(env: dict[str, str]) -> dict:
    code = (
        "import json; from orchestration.defs.automation import fetch_sensor as s; "
        "print(json.dumps([s.default_status.value, s.minimum_interval_seconds]))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PITWALL_FETCH")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fetch_sensor_is_stopped_unless_switched_on() -> None:
    assert _sensor_settings({}) == ["STOPPED", 300]
    assert _sensor_settings({"PITWALL_FETCH": "on", "PITWALL_FETCH_INTERVAL": "20"}) == ["RUNNING", 20]
    assert _sensor_settings({"PITWALL_FETCH_INTERVAL": "soon"}) == ["STOPPED", 300]  # the code location still loads


def test_fetch_sensor_starts_one_fetch_at_a_time(defs: dg.Definitions) -> None:
    sensor = defs.resolve_sensor_def("fetch_sensor")
    assert sensor.job_name == "fetch_and_refresh"
    job = defs.resolve_job_def("fetch_and_refresh")
    with dg.instance_for_test() as instance:
        first = sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(first, dg.RunRequest) and first.tags["pitwall/trigger"] == "fetch_sensor"
        run = instance.create_run_for_job(job_def=job, status=dg.DagsterRunStatus.STARTED)
        busy = sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(busy, dg.SkipReason) and run.run_id in busy.skip_message
        instance.report_run_canceled(run)
        assert isinstance(sensor(dg.build_sensor_context(instance=instance)), dg.RunRequest)
        # Nor while a refresh runs: with one run at a time, a fetch would hold the next refresh up.
        refresh = instance.create_run_for_job(
            job_def=defs.resolve_job_def("refresh_warehouse"), status=dg.DagsterRunStatus.STARTED
        )
        waiting = sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(waiting, dg.SkipReason) and refresh.run_id in waiting.skip_message
        instance.report_run_canceled(refresh)
        assert isinstance(sensor(dg.build_sensor_context(instance=instance)), dg.RunRequest)


@pytest.mark.skipif(available() is not None, reason=available() or "")
def test_fetch_job_mirrors_the_site(defs: dg.Definitions, tmp_path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    monkeypatch.setenv("PITWALL_RAW_DIR", str(raw))
    monkeypatch.setenv("PITWALL_FETCH_PAUSE", "0")
    job = defs.resolve_job_def("fetch_and_refresh")
    with ApacheSite(extra_config='RedirectMatch 500 "^/Results/.*/BROKEN_[^/]*$"\n') as site:
        site.publish(RAW / "23_2023")
        config = {"ops": {"fetch_results_site": {"config": {"site": site.url, "seasons": ["2023"]}}}}
        with dg.instance_for_test() as instance:
            result = job.execute_in_process(run_config=config, instance=instance)
            assert result.success
            (materialization,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
            metadata = {k: getattr(v, "value", v) for k, v in materialization.step_output_data.metadata.items()}
            assert metadata["files_fetched"] == 14 and metadata["failures"] == 0
            assert metadata["bytes"] == sum(p.stat().st_size for p in (raw / "23_2023").rglob("*.CSV"))

            site.publish(RAW / "README.md", "23_2023/22_PCCNA COTA/BROKEN_Results.CSV")
            failed = job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)
            assert not failed.success
            (failure,) = failed.get_step_failure_events()
            data = failure.step_failure_data.user_failure_data
            assert "1 file(s) or folder(s) failed" in data.description
            assert data.metadata["failures"].value == 1 and data.metadata["files_fetched"].value == 0
