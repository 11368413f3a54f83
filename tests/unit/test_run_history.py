"""The run history storage (orchestration/defs/run_history.py): the files and the events of Dagster's own
SQLite storage, so an instance configured either way reads the other's runs."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster import DagsterInstance
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.defs.run_history import MAX_ENGINES, EngineCachingSqliteEventLogStorage, PitwallSqliteStorage
from orchestration.warehouse import settings


@dg.asset
def one() -> int:
    return 1


@dg.asset_check(asset=one)
def one_is_one() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = settings.ensure_dagster_home(tmp_path / "home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def run_job(instance: DagsterInstance) -> str:
    job = dg.Definitions(assets=[one], asset_checks=[one_is_one]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def test_project_instance_uses_the_engine_caching_event_log(home):
    with DagsterInstance.get() as instance:
        storage = instance._event_storage
        inner = getattr(storage, "_storage", storage)  # Dagster wraps a custom storage
        assert isinstance(getattr(inner, "event_log_storage", inner), EngineCachingSqliteEventLogStorage)
        run_id = run_job(instance)
        events = instance.all_logs(run_id)
        assert any(e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION" for e in events)
        assert instance.get_latest_materialization_event(dg.AssetKey("one")).run_id == run_id


def test_default_dagster_storage_reads_the_same_history(home, tmp_path):
    with DagsterInstance.get() as instance:
        run_id = run_job(instance)
        written = [e.dagster_event.event_type_value for e in instance.all_logs(run_id) if e.dagster_event]
    # The same folder opened with Dagster's default storage (no `storage:` in dagster.yaml).
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.get() as default:
        assert default.get_run_by_id(run_id) is not None
        read = [e.dagster_event.event_type_value for e in default.all_logs(run_id) if e.dagster_event]
        assert read == written
        assert default.get_latest_materialization_event(dg.AssetKey("one")).run_id == run_id
        assert "ASSET_CHECK_EVALUATION" in read


def test_engines_are_reused_and_bounded(tmp_path):
    storage = EngineCachingSqliteEventLogStorage(str(tmp_path / "runs"))
    with storage.run_connection("run-a"):
        pass
    first = storage._engines["run-a"]
    with storage.run_connection("run-a"):
        pass
    assert storage._engines["run-a"] is first
    for n in range(MAX_ENGINES + 5):
        with storage.run_connection(f"run-{n}"):
            pass
    assert len(storage._engines) == MAX_ENGINES
    storage.dispose()
    assert not storage._engines


def test_storage_layout_is_dagsters(tmp_path):
    ours = PitwallSqliteStorage.from_local(str(tmp_path))
    assert isinstance(ours.event_log_storage, SqliteEventLogStorage)
    assert ours.event_log_storage._base_dir == SqliteEventLogStorage(str(tmp_path / "history" / "runs"))._base_dir
