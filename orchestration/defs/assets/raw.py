"""The `raw` schema: one multi-asset around the ingestion library (orchestration/ingest).

Asset keys are the warehouse relations, ``raw/<table>``; the dbt translator maps the dbt source
``alkamel.<table>`` onto the same keys, so dbt models hang off these assets in the lineage graph.
Files set aside (quarantined) do not fail the run: they are counted, listed and logged.
"""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from ...ingest import KINDS, IngestReport, ingest
from ...ingest import load as ingest_load
from ..jobs import RELOAD_JOB_NAME
from ..resources import WarehousePaths
from . import OWNERS

MANIFEST_TABLE = "ingested_files"
RAW_SCHEMA = "raw"
RAW_GROUP = "raw"
RAW_KINDS = {"python", "duckdb"}

# Statuses a manifest row can have (orchestration/ingest/load.py); always reported, 0 included,
# so their plots in the UI stay continuous.
STATUSES = ("loaded", "skipped", "quarantined", "superseded", "removed")
MAX_LISTED = 500  # quarantined files listed in one materialization's metadata

TABLE_DESCRIPTIONS: dict[str, str] = {
    MANIFEST_TABLE: (
        "The ingestion manifest: one row per file seen under the raw root, with its sha256, what "
        "its path says (season, event, series, session, report, mark), its status (loaded | skipped "
        "| quarantined | superseded | removed) and, when set aside, the reason. Only `loaded` files "
        "flow downstream."
    ),
    **{kind.name: kind.description for kind in KINDS},
}
# The `session` block of JSON reports, one row per JSON file (orchestration/ingest/json_reports.py).
REPORT_SESSIONS = getattr(ingest_load, "REPORT_SESSIONS", None)
if REPORT_SESSIONS:
    TABLE_DESCRIPTIONS[REPORT_SESSIONS] = (
        "The `session` block of each JSON report, one row per JSON file: championship, event and "
        "session names, report mark, session and creation dates, circuit name, length and country, "
        "weather, finish type, fastest lap."
    )
RAW_TABLES: list[str] = list(TABLE_DESCRIPTIONS)


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_SCHEMA, table])


RAW_ASSET_KEYS = [raw_asset_key(t) for t in RAW_TABLES]


def _quarantine_table(quarantined: list[tuple[str, str]]) -> dg.TableMetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord({"path": path, "reason": reason or ""}) for path, reason in quarantined[:MAX_LISTED]],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("path", "string", description="relative to the raw root"),
                dg.TableColumn("reason", "string", description="why the file was set aside"),
            ]
        ),
    )


def report_metadata(report: IngestReport, table: str) -> dict[str, object]:
    """Materialization metadata of one raw table, from an ingestion report."""
    relation = f"{RAW_SCHEMA}.{table}"
    if table != MANIFEST_TABLE:
        metadata: dict[str, object] = {"dagster/table_name": relation}
        if table in report.rows_total:
            metadata["dagster/row_count"] = dg.MetadataValue.int(int(report.rows_total[table]))
        metadata["rows_loaded_this_run"] = dg.MetadataValue.int(int(report.rows_loaded.get(table, 0)))
        return metadata
    counts = {status: int(report.status_counts.get(status, 0)) for status in STATUSES}
    counts.update({s: int(n) for s, n in report.status_counts.items() if s not in counts})
    metadata: dict[str, object] = {
        "dagster/table_name": relation,
        "dagster/row_count": dg.MetadataValue.int(sum(counts.values())),
        **{f"files_{status}": dg.MetadataValue.int(n) for status, n in counts.items()},
        "files_seen": dg.MetadataValue.int(report.files_seen),
        "files_read_this_run": dg.MetadataValue.int(report.files_read),
        "files_unchanged": dg.MetadataValue.int(report.files_unchanged),
        "files_set_aside": dg.MetadataValue.int(report.set_aside),
        "files_newly_set_aside": dg.MetadataValue.int(len(report.newly_quarantined)),
        "rows_loaded_this_run": dg.MetadataValue.int(int(sum(report.rows_loaded.values()))),
        "sessions_changed": dg.MetadataValue.int(len(report.changed_sessions)),
        "files_reloaded": dg.MetadataValue.int(report.files_reloaded),
        "seconds": dg.MetadataValue.float(round(report.seconds, 3)),
        "summary": dg.MetadataValue.text(report.summary()),
        "quarantined_files": _quarantine_table(report.quarantined),
    }
    if len(report.quarantined) > MAX_LISTED:
        metadata["quarantined_files_not_listed"] = dg.MetadataValue.int(len(report.quarantined) - MAX_LISTED)
    return metadata


class RawIngestConfig(dg.Config):
    """Launchpad config of the ingestion step (job `reload_files`, or a materialization from the UI)."""

    reload_prefix: str = Field(
        default="",
        description=(
            "Read the files under this folder of the raw root again, even if unchanged, and replace "
            "their rows: a season ('24_2024') or an event ('24_2024/14_Road America'). Empty: only "
            "new and changed files are read."
        ),
    )


@dg.multi_asset(
    name="raw_alkamel",
    specs=[
        dg.AssetSpec(
            key,
            description=TABLE_DESCRIPTIONS[key.path[-1]],
            group_name=RAW_GROUP,
            kinds=RAW_KINDS,
            owners=OWNERS,
            metadata={"dagster/table_name": f"{RAW_SCHEMA}.{key.path[-1]}"},
        )
        for key in RAW_ASSET_KEYS
    ],
    description="Load new and changed Al Kamel timing files from the raw root into the warehouse's raw schema.",
)
def raw_alkamel(
    context: dg.AssetExecutionContext, config: RawIngestConfig, paths: WarehousePaths
) -> Iterator[dg.MaterializeResult]:
    prefix = config.reload_prefix.strip()
    if context.job_name == RELOAD_JOB_NAME and not prefix:
        raise dg.Failure(
            "reload_files needs the folder to read again: open the job's launchpad and set "
            "ops: raw_alkamel: config: reload_prefix: a season ('24_2024') or an event ('24_2024/14_Road America')"
        )
    target = paths.warehouse_target
    context.log.info(f"ingesting {paths.raw_path} into {target}")
    if prefix:
        context.log.info(f"reading every file under {prefix!r} again, changed or not")
    # One transaction; the connection is closed when ingest() returns, before dbt opens the file.
    report = ingest(paths.raw_path, target, progress=context.log.info, force_prefix=prefix or None)
    context.log.info(report.summary())
    if report.newly_quarantined:
        listed = "\n".join(f"  {path}: {reason}" for path, reason in report.newly_quarantined[:50])
        context.log.warning(f"{len(report.newly_quarantined)} file(s) newly set aside this run:\n{listed}")
    if report.set_aside:
        context.log.warning(
            f"{report.set_aside} file(s) set aside in total (status 'quarantined' in raw.ingested_files); "
            "the run goes on without them"
        )
    else:
        context.log.info("no file set aside")
    for key in RAW_ASSET_KEYS:
        metadata = report_metadata(report, key.path[-1])
        if prefix and key.path[-1] == MANIFEST_TABLE:
            metadata["reload_prefix"] = dg.MetadataValue.text(prefix)
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
