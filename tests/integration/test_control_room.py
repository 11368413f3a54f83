"""What the UI shows and offers, checked on the definitions: every asset described, owned and
kinded; freshness expectations on the season aggregates; the `reload_files` job; automation that
an environment variable can start stopped; one run at a time in the Dagster instance."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import pytest
import yaml
from helpers import REPO

pytestmark = pytest.mark.integration

EVENT = "24_2024/14_Road America"


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs


@pytest.fixture(scope="module")
def graph(defs):
    return defs.resolve_asset_graph()


def test_every_asset_is_described_owned_and_kinded(graph) -> None:
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description and node.description.strip(), key
        assert "team:pitwall" in node.owners, key
        assert node.kinds, key
        assert node.group_name in {"raw", "staging", "core", "season", "quality", "reference", "published"}, key
    kinds = {k: graph.get(k).kinds for k in graph.get_all_asset_keys()}
    assert kinds[dg.AssetKey(["raw", "weather"])] == {"python", "duckdb"}
    assert kinds[dg.AssetKey(["marts", "fct_laps"])] == {"dbt", "duckdb"}


def test_season_aggregates_expect_a_weekly_build(graph) -> None:
    season = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "season"]
    assert dg.AssetKey(["marts", "season_driver_standings"]) in season
    for key in season:
        policy = graph.get(key).freshness_policy
        assert isinstance(policy, dg.FreshnessPolicy), key  # the 1.11+ API, not LegacyFreshnessPolicy
        assert policy.deadline_cron == "0 9 * * 1" and policy.timezone == "America/New_York"
    assert graph.get(dg.AssetKey(["marts", "fct_laps"])).freshness_policy is None


def test_reload_job_offers_the_prefix_in_the_launchpad(defs, graph) -> None:
    job = defs.resolve_job_def("reload_files")
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert set(job.asset_layer.selected_asset_keys) == materializable
    assert job.executor_def.name == "in_process"
    default = job.run_config_schema.config_type.fields["ops"].default_value
    assert default == {"raw_alkamel": {"config": {"reload_prefix": ""}}}


def _ingest_step(defs, job_name: str, tmp_path, real_raw, prefix: str | None):
    from orchestration.defs.assets.raw import RAW_ASSET_KEYS

    job = defs.resolve_job_def(job_name)
    run_config: dict = {
        "resources": {"paths": {"config": {"raw_dir": str(real_raw), "warehouse": str(tmp_path / "w.duckdb")}}}
    }
    if prefix is not None:
        run_config["ops"] = {"raw_alkamel": {"config": {"reload_prefix": prefix}}}
    with dg.instance_for_test() as instance:
        return job.execute_in_process(
            run_config=run_config, instance=instance, asset_selection=RAW_ASSET_KEYS, raise_on_error=False
        )


def _manifest_metadata(result) -> dict:
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        if mat.asset_key == dg.AssetKey(["raw", "ingested_files"]):
            return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    raise AssertionError("no materialization of raw/ingested_files")


def test_reload_files_reads_one_event_again(defs, tmp_path, real_raw) -> None:
    first = _ingest_step(defs, "refresh_warehouse", tmp_path, real_raw, None)
    assert first.success
    assert _manifest_metadata(first)["files_read_this_run"] == 24
    again = _ingest_step(defs, "reload_files", tmp_path, real_raw, EVENT)
    assert again.success
    meta = _manifest_metadata(again)
    in_event = sum(1 for p in (real_raw / EVENT).rglob("*") if p.is_file())
    assert meta["files_reloaded"] == meta["files_read_this_run"] == in_event
    assert meta["reload_prefix"] == EVENT


def test_reload_files_without_a_prefix_says_what_to_set(defs, tmp_path, real_raw) -> None:
    result = _ingest_step(defs, "reload_files", tmp_path, real_raw, None)
    assert not result.success
    (failure,) = result.get_step_failure_events()
    assert "reload_prefix" in failure.step_failure_data.error.message
    assert not (tmp_path / "w.duckdb").exists()


def test_automation_can_start_stopped() -> None:
    code = (
        "import orchestration.defs.automation as a; "
        "print(a.season_aggregates_weekly.default_status.value, a.raw_files_sensor.default_status.value)"
    )
    for value, expected in ((None, "RUNNING RUNNING"), ("off", "STOPPED STOPPED")):
        env = {k: v for k, v in __import__("os").environ.items() if k != "PITWALL_AUTOMATION"}
        if value:
            env["PITWALL_AUTOMATION"] = value
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == expected.split(), (value, out.stdout, out.stderr)


def test_the_instance_runs_one_run_at_a_time(tmp_path) -> None:
    from orchestration.warehouse import settings

    home = settings.ensure_dagster_home(tmp_path / "home")
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
    assert config["telemetry"]["enabled"] is False
    # An older dagster.yaml written by pitwall is brought up to date; one of the user's is left alone.
    (home / "dagster.yaml").write_text(settings.dagster_yaml(home).split("concurrency:")[0])
    settings.ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == settings.dagster_yaml(home)
    # One written before the module moved (orchestration/settings.py, storage orchestration.run_history) too.
    old = settings.dagster_yaml(home).replace("orchestration/warehouse/settings.py", "orchestration/settings.py")
    (home / "dagster.yaml").write_text(old.replace("orchestration.defs.run_history", "orchestration.run_history"))
    settings.ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == settings.dagster_yaml(home)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    settings.ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(settings.dagster_yaml(home))
    with dg.DagsterInstance.from_config(str(home)) as instance:  # Dagster reads it as meant
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_tables_built_by_dbt_report_row_counts_and_key_marts_a_preview(refreshed, query) -> None:
    with dg.DagsterInstance.from_config(str(refreshed.dagster_home)) as instance:

        def latest(table: str) -> dict:
            records = instance.fetch_observations(dg.AssetKey(["marts", table]), limit=1).records
            assert records, f"no observation of marts/{table}"
            return records[0].asset_observation.metadata

        for table in ("fct_laps", "season_driver_standings", "race_notes", "dim_drivers"):
            meta = latest(table)
            assert meta["dagster/row_count"].value == query(f"select count(*) from marts.{table}")[0][0]
        preview = latest("season_driver_standings")["preview"]
        assert "driver" in [c.name for c in preview.schema.columns]
        assert 0 < len(preview.records) <= 10
        assert "preview" not in latest("fct_laps")
