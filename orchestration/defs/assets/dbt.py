"""The dbt project as Dagster assets: every model and seed an asset, every data test an asset check.

Asset keys are the warehouse relations, ``[schema, name]``: ``staging/stg_...``,
``marts/fct_laps``, ``reference/circuits``; the dbt source ``alkamel.<table>`` (schema ``raw``)
becomes ``raw/<table>``, the key of the ingestion multi-asset, so there is one lineage graph and
no dangling source assets. Groups come from ``meta.dagster.group`` set in dbt_project.yml
(dagster-dbt's default reads it); a node without one falls back to its folder under ``marts/``
or its schema.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from ...project import dbt_project
from ...warehouse import build_state
from ...warehouse.sql import quote_literal
from ...warehouse.targets import QueryError, Target
from ..automation import SEASON_GROUP
from ..resources import WarehousePaths
from . import OWNERS

# The season aggregates are rebuilt every Monday at 06:00 New York time (season_aggregates_weekly)
# and after new files (raw_files_sensor): by Monday 09:00 the latest build must be under a week old.
SEASON_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 9 * * 1", lower_bound_delta=timedelta(days=7), timezone="America/New_York"
)


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

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return super().get_owners(dbt_resource_props) or OWNERS

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if spec.group_name == SEASON_GROUP and spec.freshness_policy is None:
            spec = spec.replace_attributes(freshness_policy=SEASON_FRESHNESS)
        return spec


translator = PitwallDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=False)
)

# Dagster's dbt runs keep their artifacts in one folder of their own, target/dagster: dbt's
# partial parsing (partial_parse.msgpack) then carries over from run to run, instead of a full
# parse in a fresh target/<run id> folder each time, and a developer's own `dbt build` in target/
# does not race with them.
DBT_TARGET_PATH = Path(dbt_project.project_dir) / dbt_project.target_path / "dagster"


def _dbt_versions() -> str:
    from importlib.metadata import version

    return f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}"


def _published_since(warehouse: Target, built_at) -> bool:
    """The readers' copy was written after the recorded build (on PostgreSQL: their schemas)."""
    return warehouse.published_at() >= built_at.replace(tzinfo=UTC)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    name="pitwall_dbt",
)
def pitwall_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: WarehousePaths):
    """`dbt build` of the selected models, seeds and tests, streaming dbt's events as they happen;
    then the row counts (and, for the key marts, the first rows) of the tables it built."""
    warehouse = paths.export()  # the target: the DuckDB file or the PostgreSQL database
    # Nothing new since the last full build (same raw files, same dbt project): skip it, and with
    # it everything downstream (orchestration/warehouse/build_state.py). Partial selections always run.
    full = (
        context.selected_asset_keys == context.assets_def.keys
        and context.selected_asset_check_keys == context.assets_def.check_keys
    )
    manifest = build_state.manifest_digest(Path(dbt_project.manifest_path))
    state = build_state.fingerprint(warehouse, manifest, "build", _dbt_versions()) if full else None
    last = build_state.last_build(warehouse)
    if state and last and last[0] == state and _published_since(warehouse, last[1]):
        context.log.info(
            f"dbt build skipped: nothing new since the full build of run {last[2]} ({last[1]:%Y-%m-%d %H:%M:%S} UTC)"
        )
        return
    args = ["build"]
    if last is None or last[3] != manifest:
        # The incremental tables (fct_laps, fct_weather, fct_session_results) only rebuild what changed
        # since the last complete build: after a change of the dbt project (or with none recorded), all.
        args.append("--full-refresh")
    args += ["--target", warehouse.dbt_target]  # profiles.yml: dev (DuckDB) or postgres
    build_state.forget(warehouse)
    context.log.info(f"dbt {' '.join(args)} against {warehouse}")
    built: list[dg.AssetKey] = []
    findings: list[dg.AssetCheckResult] = []  # warned checks shown with their rows (_warned_rows_query)
    try:
        for event in dbt.cli(args, context=context, target_path=DBT_TARGET_PATH).stream():
            if isinstance(event, dg.Output):
                built.append(context.asset_key_for_output(event.output_name))
            elif isinstance(event, (dg.AssetMaterialization, dg.MaterializeResult)) and event.asset_key:
                built.append(event.asset_key)
            elif isinstance(event, dg.AssetCheckResult) and not event.passed and _warned_rows_query(event):
                findings.append(event)
                continue
            yield event
    except BaseException:
        yield from findings  # as dbt reported them: the warehouse is not readable mid-failure
        raise
    if state:  # the stream raises on a failed model or test: here every node passed
        build_state.record(warehouse, state, context.run_id, manifest)
    # dbt has exited and closed the warehouse: now it can be read (DuckDB: one writer, or readers).
    yield from findings_with_rows(context, warehouse, findings)
    yield from table_observations(context, warehouse, built)


# Tables whose dbt tests warn instead of failing (never a reason to fail a run): a warned check on
# one of them is shown with its count and a table of its first rows. The findings table has one test
# per check (`no_findings_data_quality_findings_<check>`); the reconciliation one test on all its rows.
FINDINGS_KEY = dg.AssetKey(["marts", "data_quality_findings"])
FINDINGS_TEST_PREFIX = "no_findings_data_quality_findings_"
RECONCILIATION_KEY = dg.AssetKey(["marts", "standings_reconciliation"])
WARNED_ROWS_SHOWN = 50


def _warned_rows_query(check: dg.AssetCheckResult) -> tuple[str, list[str], str] | None:
    """(relation as readers name it, columns shown, filter) of the rows a warned check counts, or None."""
    if check.asset_key == FINDINGS_KEY:
        columns = [
            "season",
            "event_name",
            "session_name",
            "car_number",
            "lap_number",
            "expected",
            "found",
            "source_file_path",
        ]
        name = (check.check_name or "").removeprefix(FINDINGS_TEST_PREFIX)
        return "marts.data_quality_findings", columns, f"check_name = {quote_literal(name)}"
    if check.asset_key == RECONCILIATION_KEY:
        columns = [
            "championship_title",
            "competitor_key",
            "session_event_name",
            "session_name",
            "official_points",
            "warehouse_points",
            "difference",
            "reason",
        ]
        return "marts.standings_reconciliation", columns, "difference <> 0"
    return None


def findings_with_rows(
    context: dg.AssetExecutionContext, warehouse: Target, checks: list[dg.AssetCheckResult]
) -> Iterator[dg.AssetCheckResult]:
    """The warned checks of the findings and reconciliation tables, each with its count and a table
    of its first rows. Read after `dbt build` has exited; a check whose rows cannot be read is passed
    on as dbt reported it."""
    if not checks:
        return
    with ExitStack() as stack:
        try:
            read = stack.enter_context(warehouse.reader())
        except QueryError as exc:
            context.log.warning(f"warned rows not read: cannot open {warehouse} read-only: {exc}")
            yield from checks
            return
        for check in checks:
            relation, columns, where = _warned_rows_query(check)
            built = relation.replace("marts.", f"{warehouse.dbt_schema('marts')}.", 1)
            order = ", ".join(str(n + 1) for n in range(len(columns)))
            try:
                count = read(f"SELECT count(*) FROM {built} WHERE {where}")[1][0][0]
                _, rows = read(
                    f"SELECT {', '.join(columns)} FROM {built} WHERE {where} ORDER BY {order} LIMIT {WARNED_ROWS_SHOWN}"
                )
            except QueryError as exc:
                context.log.warning(f"rows of {check.check_name} not read: {exc}")
                yield check
                continue
            context.log.warning(f"{count} row(s) warned by {check.check_name} ({relation})")
            yield check._replace(
                metadata={
                    **check.metadata,
                    "findings": dg.MetadataValue.int(int(count)),
                    "rows": dg.MetadataValue.table(
                        records=[dg.TableRecord({c: _cell(v) for c, v in zip(columns, row)}) for row in rows],
                        schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns]),
                    ),
                    "query": dg.MetadataValue.md(
                        f"`select * from {relation} where {where}`"
                        + (f" (first {WARNED_ROWS_SHOWN} shown)" if count > WARNED_ROWS_SHOWN else "")
                    ),
                }
            )


# Tables whose row count is reported; views (staging, intermediate) are not counted: counting one
# runs its whole query. The key marts also show a preview, names instead of hashed keys; a preview
# whose query fails (a renamed column) is left out with a warning, the row count stays.
COUNTED_SCHEMAS = ("marts", "reference")
PREVIEW_ROWS = 10
_LATEST_ROUND = """s.round_number = (select max(x.round_number) from {table} x
    where x.series_id = s.series_id and x.season = s.season and x.class_id = s.class_id)"""
PREVIEWS: dict[str, str] = {
    "season_driver_standings": f"""
        select s.series_id, s.season, c.class_name, s.round_number, s.position, d.full_name as driver,
               s.points, s.wins, s.podiums, s.gap_to_leader
        from marts.season_driver_standings s
        join marts.dim_classes c using (class_id) join marts.dim_drivers d using (driver_id)
        where {_LATEST_ROUND.format(table="marts.season_driver_standings")}
        order by s.series_id, s.season desc, c.class_name, s.position, driver""",
    "season_team_standings": f"""
        select s.series_id, s.season, c.class_name, s.round_number, s.position, s.car_number, t.team_name,
               s.points, s.wins, s.gap_to_leader
        from marts.season_team_standings s
        join marts.dim_classes c using (class_id) left join marts.dim_teams t using (team_id)
        where {_LATEST_ROUND.format(table="marts.season_team_standings")}
        order by s.series_id, s.season desc, c.class_name, s.position, s.car_number""",
    "fct_session_results": """
        select e.season, e.event_name, s.session_name, c.class_name, r.class_position, r.finish_position,
               r.car_number, t.team_name, r.laps, r.status
        from marts.fct_session_results r
        join marts.dim_sessions s using (session_id) join marts.dim_events e on e.event_id = r.event_id
        join marts.dim_classes c on c.class_id = r.class_id left join marts.dim_teams t on t.team_id = r.team_id
        where r.session_type = 'race' and r.class_position = 1
        order by s.start_at desc, r.finish_position""",
    "driver_career_stats": """
        select d.full_name as driver, k.series_id, k.starts, k.wins, k.podiums, k.poles, k.laps_led,
               k.best_overall_finish, k.debut_date
        from marts.driver_career_stats k join marts.dim_drivers d using (driver_id)
        where k.grain = 'series'
        order by k.wins desc, k.podiums desc, driver""",
    "race_notes": "select season, series_id, kind, sentence from marts.race_notes order by session_id, kind_order",
    "dim_events": """
        select season, series_id, round_number, event_name, start_date, end_date, session_count, race_count
        from marts.dim_events order by start_date desc""",
}


def _cell(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def table_observations(
    context: dg.AssetExecutionContext, warehouse: Target, built: list[dg.AssetKey]
) -> Iterator[dg.AssetObservation]:
    """`dagster/row_count` (and a preview) of each table this build made, as asset observations.

    Read after `dbt build` has exited, from a read-only connection closed before the step ends;
    dagster-dbt's fetch_row_counts() instead queries while dbt runs, and holds its events meanwhile.
    Best effort: a failure here is logged and never fails the build.
    """
    keys = [k for k in dict.fromkeys(built) if len(k.path) == 2 and k.path[0] in COUNTED_SCHEMAS]
    if not keys or not warehouse.exists():
        return
    observations: list[dg.AssetObservation] = []
    marts = warehouse.dbt_schema("marts")
    with ExitStack() as stack:
        try:
            read = stack.enter_context(warehouse.reader())
        except QueryError as exc:
            context.log.warning(f"row counts skipped: cannot open {warehouse} read-only: {exc}")
            return
        for key in keys:
            relation = f'"{warehouse.dbt_schema(key.path[0])}"."{key.path[1]}"'
            try:
                count = read(f"SELECT count(*) FROM {relation}")[1][0][0]
            except QueryError as exc:
                context.log.warning(f"row count of {key.to_user_string()} skipped: {exc}")
                continue
            metadata: dict[str, Any] = {"dagster/row_count": dg.MetadataValue.int(int(count))}
            preview = PREVIEWS.get(key.path[1]) if key.path[0] == "marts" else None
            if preview:
                try:
                    columns, rows = read(
                        f"SELECT * FROM ({preview.replace('marts.', marts + '.')}) AS preview LIMIT {PREVIEW_ROWS}"
                    )
                    metadata["preview"] = dg.MetadataValue.table(
                        records=[dg.TableRecord({c: _cell(v) for c, v in zip(columns, row)}) for row in rows],
                        schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns]),
                    )
                except QueryError as exc:
                    context.log.warning(f"preview of {key.to_user_string()} skipped: {exc}")
            observations.append(dg.AssetObservation(asset_key=key, metadata=metadata))
    context.log.info(f"row counts of {len(observations)} tables")
    yield from observations
