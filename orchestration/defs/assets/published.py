"""Group `published`: the readers' copy of the warehouse and its charts, after every refresh.

Thin wrappers around orchestration/publish (no Dagster there): `published/warehouse` depends on
every mart (and the ingestion manifest), so in `refresh_warehouse` it runs after `dbt build` has
succeeded, and only then; `published/charts` draws from the copy it has just published.
"""

import base64

import dagster as dg

from ...project import dbt_project
from ...publish import Publication
from ...publish.descriptions import from_dbt_manifest
from ...warehouse import settings
from ...warehouse.targets import PostgresPublication
from ..resources import WarehousePaths
from . import OWNERS
from .dbt import pitwall_dbt
from .raw import MANIFEST_TABLE, RAW_SCHEMA, TABLE_DESCRIPTIONS, raw_asset_key

PUBLISHED_GROUP = "published"
PUBLISHED_WAREHOUSE_KEY = dg.AssetKey([PUBLISHED_GROUP, "warehouse"])
PUBLISHED_CHARTS_KEY = dg.AssetKey([PUBLISHED_GROUP, "charts"])
MARTS_KEYS = sorted((k for k in pitwall_dbt.keys if k.path[0] == "marts"), key=lambda k: k.to_user_string())
PREVIEWS = 2  # charts embedded in the materialization's metadata (all are listed, with their paths)


def _mb(size: int) -> float:
    return round(size / 1_000_000, 3)


@dg.asset(
    key=PUBLISHED_WAREHOUSE_KEY,
    group_name=PUBLISHED_GROUP,
    deps=[*MARTS_KEYS, raw_asset_key(MANIFEST_TABLE)],
    kinds={"duckdb", "parquet"},
    owners=OWNERS,
    description=(
        "Readers' copy of the warehouse, <warehouse dir>/published/: pitwall.duckdb (every table of "
        "marts, raw.ingested_files, meta.publication; DuckDB storage v1.0.0, readable by DuckDB 0.10 "
        "and later) and parquet/<mart>.parquet (fct_laps, fct_weather, bridge_session_result_drivers and "
        "fct_session_results: parquet/<mart>/season=<season>/data.parquet), each written beside the old file, "
        "checked against "
        "the build file and renamed into place. BI tools and `pitwall sql` read this, never the build file."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext, paths: WarehousePaths) -> dg.MaterializeResult:
    target = paths.warehouse_target
    descriptions = from_dbt_manifest(dbt_project.manifest_path)
    descriptions[(RAW_SCHEMA, MANIFEST_TABLE)] = (TABLE_DESCRIPTIONS[MANIFEST_TABLE], {})
    context.log.info(f"publishing {target}")
    publication = target.publish(run_id=context.run_id, descriptions=descriptions)
    if isinstance(publication, PostgresPublication):
        return _postgres_result(context, publication)
    tables = _tables_metadata(publication)
    actions = [t.action for t in publication.tables]
    context.log.info(
        f"published {len(publication.tables)} tables ({_mb(publication.bytes)} MB) and "
        f"{len(publication.parquet)} Parquet files ({_mb(publication.parquet_bytes)} MB) "
        f"in {publication.seconds:.1f} s; "
        f"tables kept {actions.count('kept')}, updated {actions.count('updated')}, written {actions.count('written')}; "
        f"Parquet files kept {sum(p.kept for p in publication.parquet)}"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "parquet_dir": dg.MetadataValue.path(str(publication.parquet_dir)),
            "tables": tables,
            "table_count": dg.MetadataValue.int(len(publication.tables)),
            "dagster/row_count": dg.MetadataValue.int(sum(t.rows for t in publication.tables)),
            "size_mb": dg.MetadataValue.float(_mb(publication.bytes)),
            "parquet_files": dg.MetadataValue.int(len(publication.parquet)),
            "parquet_size_mb": dg.MetadataValue.float(_mb(publication.parquet_bytes)),
            "storage_version": dg.MetadataValue.text(publication.storage_version),
            "published_at_utc": dg.MetadataValue.text(str(publication.published_at)),
            "seconds": dg.MetadataValue.float(round(publication.seconds, 3)),
            "started_from_previous_copy": dg.MetadataValue.bool(publication.reused_previous),
            "previous_copy_untouched": dg.MetadataValue.bool(publication.previous_sealed),
        }
    )


def _postgres_result(context: dg.AssetExecutionContext, publication: PostgresPublication) -> dg.MaterializeResult:
    """On PostgreSQL readers read the server's `marts` and `meta`, swapped in whole (warehouse/targets.py)."""
    context.log.info(f"published {len(publication.tables)} tables to marts and meta in {publication.seconds:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "tables": dg.MetadataValue.table(
                records=[dg.TableRecord({"table": f"{s}.{t}", "rows": n}) for s, t, n in publication.tables],
                schema=dg.TableSchema(columns=[dg.TableColumn("table", "string"), dg.TableColumn("rows", "int")]),
            ),
            "table_count": dg.MetadataValue.int(len(publication.tables)),
            "dagster/row_count": dg.MetadataValue.int(sum(n for _, _, n in publication.tables)),
            "published_at_utc": dg.MetadataValue.text(str(publication.published_at)),
            "seconds": dg.MetadataValue.float(round(publication.seconds, 3)),
        }
    )


# The `tables` metadata of a publication: one row per table, what was done and checked.
TABLES_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("table", "string"),
        dg.TableColumn("rows", "int"),
        dg.TableColumn("columns", "int"),
        dg.TableColumn("parquet_kb", "float", description="size of the table's Parquet file(s) (marts only)"),
        dg.TableColumn("copy", "string", description="kept, updated (changed sessions only) or written in the copy"),
        dg.TableColumn(
            "checked",
            "string",
            description="what was read to check the copy against the build file: "
            "whole table, changed sessions (update of an untouched previous copy) or sealed record",
        ),
        dg.TableColumn(
            "parquet", "string", description="kept (same rows, checked) or written; by season: files written of all"
        ),
    ]
)


def _tables_metadata(publication: Publication) -> dg.MetadataValue:
    parquet_bytes = {
        t: sum(p.bytes for p in publication.parquet if p.table == t) for t in {p.table for p in publication.parquet}
    }
    records = [
        dg.TableRecord(
            {
                "table": t.qualified,
                "rows": t.rows,
                "columns": t.columns,
                "parquet_kb": round(parquet_bytes[t.name] / 1000, 1) if t.name in parquet_bytes else None,
                "copy": t.described,
                "checked": t.checked,
                "parquet": parquet_action(publication, t.name),
            }
        )
        for t in publication.tables
    ]
    return dg.MetadataValue.table(records=records, schema=TABLES_SCHEMA)


def parquet_action(publication: Publication, table: str) -> str | None:
    """kept / written for a one-file mart; "written 1 of 20 seasons" for a mart written by season."""
    parts = [p for p in publication.parquet if p.table == table]
    if not parts:
        return None
    if parts[0].season is None:
        return "kept" if parts[0].kept else "written"
    return f"written {sum(not p.kept for p in parts)} of {len(parts)} seasons"


@dg.asset(
    key=PUBLISHED_CHARTS_KEY,
    group_name=PUBLISHED_GROUP,
    deps=[PUBLISHED_WAREHOUSE_KEY],
    kinds={"python"},
    owners=OWNERS,
    description=(
        "PNG charts drawn from the published copy into <warehouse dir>/published/charts/: championship "
        "points after each round (latest season of each series, one chart per class) and the lap chart "
        "(running order per lap) of the latest race of each series."
    ),
)
def published_charts(context: dg.AssetExecutionContext, paths: WarehousePaths) -> dg.MaterializeResult:
    from ...publish.charts import CHARTS_DIR_NAME, draw_charts  # matplotlib: imported when charts are drawn

    if paths.warehouse_target.name != "duckdb":
        # The charts read the DuckDB published copy; on PostgreSQL there is none (not drawn yet).
        context.log.warning("charts not drawn: they are drawn from the DuckDB published copy only")
        return dg.MaterializeResult(metadata={"chart_count": dg.MetadataValue.int(0)})
    folder = settings.published_dir(paths.warehouse_path)
    charts = draw_charts(settings.published_warehouse_path(paths.warehouse_path), folder / CHARTS_DIR_NAME)
    context.log.info(f"{len(charts)} charts in {folder / CHARTS_DIR_NAME}")
    metadata: dict[str, object] = {
        "charts_dir": dg.MetadataValue.path(str(folder / CHARTS_DIR_NAME)),
        "chart_count": dg.MetadataValue.int(len(charts)),
        "charts": dg.MetadataValue.table(
            records=[
                dg.TableRecord({"kind": c.kind, "title": c.title, "file": c.path.name, "kb": round(c.bytes / 1000, 1)})
                for c in charts
            ],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("kind", "string"),
                    dg.TableColumn("title", "string"),
                    dg.TableColumn("file", "string"),
                    dg.TableColumn("kb", "float"),
                ]
            ),
        ),
    }
    # Previews: the latest lap chart and a standings chart of the same series, as Markdown images.
    laps = [c for c in charts if c.kind == "lap_chart"]
    standings = [c for c in charts if c.kind == "standings"]
    previews = laps[:1] + [c for c in standings if not laps or c.series_id == laps[0].series_id][:1]
    for chart in (previews or charts)[:PREVIEWS]:
        encoded = base64.b64encode(chart.preview_png()).decode("ascii")
        metadata[f"preview_{chart.kind}"] = dg.MetadataValue.md(
            f"**{chart.title}** (`{chart.path}`)\n\n![{chart.title}](data:image/png;base64,{encoded})"
        )
    return dg.MaterializeResult(metadata=metadata)
