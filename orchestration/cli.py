"""`pitwall`: fetch from the results site, refresh the warehouse, ingest alone, query it, open the Dagster UI.

Dagster and dbt are imported inside the commands that need them, so `pitwall ingest` and
`pitwall sql` start in well under a second.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .warehouse import settings

app = typer.Typer(
    name="pitwall",
    help="Motorsport results warehouse: Al Kamel timing files -> DuckDB -> dbt, orchestrated by Dagster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True)

RawOption = typer.Option(None, "--raw", help="Raw root of Al Kamel files [env PITWALL_RAW_DIR; default <repo>/raw].")
WarehouseOption = typer.Option(
    None, "--warehouse", help="DuckDB warehouse file [env PITWALL_WAREHOUSE; default <repo>/warehouse/pitwall.duckdb]."
)

TargetOption = typer.Option(
    None,
    "--target",
    help="duckdb (the warehouse file) or postgres (PITWALL_POSTGRES_URL, else `pitwall db start`'s server) "
    "[env PITWALL_TARGET; default duckdb].",
)

MAX_TABLE_ROWS = 1000  # rows drawn by `pitwall sql --format table`; csv and json print everything


def _status_table(status_counts: dict[str, int]) -> Table:
    table = Table(title="raw.ingested_files", title_justify="left")
    table.add_column("status")
    table.add_column("files", justify="right")
    for status, count in sorted(status_counts.items()):
        style = "yellow" if status == "quarantined" and count else None
        table.add_row(status, str(count), style=style)
    return table


def _rows_table(rows_loaded: dict[str, int], rows_total: dict[str, int]) -> Table:
    table = Table(title="raw tables", title_justify="left")
    table.add_column("table")
    table.add_column("rows loaded this run", justify="right")
    table.add_column("rows in raw", justify="right")
    for name in sorted(set(rows_total) | set(rows_loaded)):
        total = f"{rows_total[name]:,}" if name in rows_total else "?"
        table.add_row(f"raw.{name}", f"{rows_loaded.get(name, 0):,}", total)
    return table


def _set_aside_table(quarantined: list[tuple[str, str]], limit: int = 50) -> Table:
    table = Table(title=f"files set aside ({len(quarantined)})", title_justify="left", title_style="yellow")
    table.add_column("path", overflow="fold")
    table.add_column("reason", overflow="fold")
    for path, reason in quarantined[:limit]:
        table.add_row(Text(path), Text(reason or ""))
    if len(quarantined) > limit:
        table.add_row(f"... and {len(quarantined) - limit} more", "see raw.ingested_files where status = 'quarantined'")
    return table


def _target_or_exit(name: str | None, warehouse: Path | None = None, reader: bool = False):
    """The warehouse target of a command (warehouse/targets.py); exit 2 with the reason if it cannot be had."""
    from .warehouse.postgres import PostgresError
    from .warehouse.targets import target

    try:
        return target(name, settings._absolute(warehouse) if warehouse else None, reader=reader)
    except (ValueError, PostgresError) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(2) from None


def _one_writer(what: str):
    """Run a command under the warehouse's run lock (orchestration/warehouse/runlock.py): while another refresh
    or ingestion writes the same warehouse, refuse at once (exit code 3) and say who holds it."""
    import functools

    def wrap(command):
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            from .warehouse.runlock import WarehouseBusy

            warehouse = kwargs.get("warehouse")
            try:
                lock = _target_or_exit(kwargs.get("target"), warehouse).lock(what)
                lock.__enter__()
            except WarehouseBusy as exc:
                err.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
                raise typer.Exit(3) from None
            try:
                return command(*args, **kwargs)
            finally:
                lock.__exit__(None, None, None)

        return run

    return wrap


# ---------------------------------------------------------------------------------------------- fetch


SiteOption = typer.Option(
    "https://imsa.results.alkamelcloud.com/Results/",
    "--site",
    help="Root URL of the results site (its season folders).",
)
SeasonOption = typer.Option(
    [], "--season", help="Season to mirror (YYYY; repeat for several; 'all' for every one; default: the current year)."
)
SeriesOption = typer.Option(
    [], "--series", help="Only series folders whose name contains this (case-insensitive; repeatable)."
)
EventOption = typer.Option(
    [], "--event", help="Only event folders whose name contains this (case-insensitive; repeatable)."
)
RetriesOption = typer.Option(
    3,
    "--retries",
    min=0,
    help="Attempts after the first on a connection error or a 5xx answer (1 s back-off, doubled).",
)


@app.command()
def fetch(
    site: str = SiteOption,
    season: list[str] = SeasonOption,
    series: list[str] = SeriesOption,
    event: list[str] = EventOption,
    raw: Path | None = RawOption,
    pdf: bool = typer.Option(False, "--pdf", help="Mirror the PDFs too (ingestion skips them)."),
    pause: float = typer.Option(0.2, "--pause", min=0.0, help="Seconds between two requests to the site."),
    retries: int = RetriesOption,
) -> None:
    """Mirror the results site's data files (CSV, JSON) into the raw root: new and changed files only.

    Walks the site's folder pages (season, event, series, session and their subfolders) and writes
    each file under the raw root at the same path; the next `pitwall refresh` (or the raw-root sensor)
    loads them. Exit code 1 if any file or folder failed (the others are mirrored all the same).
    """
    from .fetch import FetchBusy, FetchOptions
    from .fetch.config import parse_seasons

    try:
        options = FetchOptions(
            site=site,
            seasons=parse_seasons(season),
            series=tuple(series),
            events=tuple(event),
            pdf=pdf,
            pause=pause,
            retries=retries,
        )
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    raw_root = settings._absolute(raw) if raw else settings.raw_dir()
    seasons = "every season" if options.seasons is None else "season " + ", ".join(map(str, options.seasons))
    filters = "".join(
        f"; {name} ~ {', '.join(values)}" for name, values in (("series", series), ("event", event)) if values
    )
    console.print(f"fetching {seasons}{escape(filters)} from [bold]{escape(site)}[/bold] into [bold]{raw_root}[/bold]")
    try:
        result = _fetch_with_progress_bar(raw_root, options)
    except (FetchBusy, ValueError) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(3 if isinstance(exc, FetchBusy) else 2) from None
    for failure in result.failed:
        err.print(f"[red]failed:[/red] {escape(str(failure))}", highlight=False)
    style = "red" if result.failed else "green"
    console.print(f"[{style}]{escape(result.summary())}[/{style}]", highlight=False)
    if result.downloaded:
        console.print(
            "new and changed files are loaded by the next [bold]pitwall refresh[/bold] (or the raw-root sensor)"
        )
    if result.failed:
        raise typer.Exit(1)


def _fetch_with_progress_bar(raw_root: Path, options: Any) -> Any:
    """orchestration.fetch.fetch with a progress bar: folders listed, then files mirrored."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .fetch import fetch as run_fetch

    columns = [
        TextColumn("{task.description}", style="bold"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[item]}", style="dim"),
    ]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("listing", total=None, item="")

        def progress(item: str, done: int, total: int | None) -> None:
            description = "listing folders" if total is None else "files"
            bar.update(task, description=description, completed=done, total=total, item=escape(item[-70:]))

        return run_fetch(raw_root, options, progress=progress)


# --------------------------------------------------------------------------------------------- ingest


@app.command()
@_one_writer("pitwall ingest")
def ingest(
    raw: Path | None = RawOption, warehouse: Path | None = WarehouseOption, target: str | None = TargetOption
) -> None:
    """Load new and changed raw files into the warehouse's raw schema (ingestion alone: no dbt, no Dagster)."""
    from .ingest import ingest as run_ingest

    current = settings.configure(raw=raw, warehouse=warehouse, target=target)
    if not current.raw_dir.is_dir():
        err.print(f"[red]raw root {current.raw_dir} is not a folder[/red]")
        raise typer.Exit(2)
    into = _target_or_exit(current.target, current.warehouse)
    console.print(f"ingesting [bold]{current.raw_dir}[/bold] into [bold]{escape(str(into))}[/bold]")
    with console.status("reading files ...") as status:

        def progress(message: str) -> None:
            console.print(f"  {escape(message)}", highlight=False)
            status.update(message)

        try:
            report = run_ingest(current.raw_dir, into, progress=progress)
        except Exception as exc:  # the load is one transaction: nothing was changed
            err.print(
                f"[red]ingestion failed, warehouse left as it was:[/red] {type(exc).__name__}: {escape(str(exc))}"
            )
            raise typer.Exit(1) from None
    console.print(_status_table(report.status_counts))
    console.print(_rows_table(report.rows_loaded, report.rows_total))
    if report.quarantined:
        console.print(_set_aside_table(report.quarantined))
    console.print(report.summary())


# -------------------------------------------------------------------------------------------- refresh


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _summarise_run(result: Any, warehouse: object, seconds: float) -> None:
    """Print what a refresh_warehouse run did, from its Dagster events."""
    import dagster as dg

    materialized: dict[dg.AssetKey, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        materialized[mat.asset_key] = {k: _metadata_value(v) for k, v in mat.metadata.items()}
    _print_ingestion(materialized)
    _print_dbt(result, materialized)
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None and error.cause is not None:  # the root cause, not Dagster's wrapper
            error = error.cause
        message = (error.message if error else "unknown error").strip()
        console.print(f"[red]step {event.step_key} failed:[/red] {escape(message[:2000])}", highlight=False)
    _print_publication(materialized)
    verdict = "[green]succeeded[/green]" if result.success else "[red]FAILED[/red]"
    console.print(f"run {result.run_id} {verdict} in {seconds:.1f} s")
    console.print(f"warehouse: [bold]{escape(str(warehouse))}[/bold]")


def _print_ingestion(materialized: dict) -> None:
    """Files by status, rows per raw table, the files set aside."""
    import dagster as dg

    from .defs.assets.raw import MANIFEST_TABLE, RAW_SCHEMA

    manifest = materialized.get(dg.AssetKey([RAW_SCHEMA, MANIFEST_TABLE]))
    if manifest is None:
        console.print("[red]ingestion did not complete[/red]")
        return
    statuses = {"loaded", "skipped", "quarantined", "superseded", "removed"}
    counts = {
        k[len("files_") :]: int(v)
        for k, v in manifest.items()
        if k.startswith("files_") and k[len("files_") :] in statuses
    }
    console.print(_status_table({k: v for k, v in counts.items() if v or k in ("loaded", "quarantined")}))
    rows_loaded, rows_total = {}, {}
    for key, meta in materialized.items():
        if key.path[0] == RAW_SCHEMA and key.path[-1] != MANIFEST_TABLE:
            rows_loaded[key.path[-1]] = int(meta.get("rows_loaded_this_run", 0))
            if "dagster/row_count" in meta:
                rows_total[key.path[-1]] = int(meta["dagster/row_count"])
    console.print(_rows_table(rows_loaded, rows_total))
    table = manifest.get("quarantined_files")
    records = [(r.data.get("path", ""), r.data.get("reason", "")) for r in getattr(table, "records", [])]
    set_aside = int(manifest.get("files_set_aside", len(records)))
    if set_aside:
        console.print(_set_aside_table(records))
        console.print(f"[yellow]{set_aside} file(s) set aside[/yellow] (status 'quarantined' in raw.ingested_files)")
    else:
        console.print("no file set aside")


def _print_dbt(result: Any, materialized: dict) -> None:
    """Models built, tests passed, failed and warned (failed ones listed, warned ones counted)."""
    import dagster as dg

    from .defs.assets.dbt import pitwall_dbt
    from .defs.assets.raw import RAW_SCHEMA

    dbt_keys = [k for k in pitwall_dbt.keys if k.path[0] != RAW_SCHEMA]
    built = [k for k in materialized if k in set(dbt_keys)]
    checks = result.get_asset_check_evaluations()
    passed = [c for c in checks if c.passed]
    warned = [c for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.WARN]
    failed = [c for c in checks if not c.passed and c.severity != dg.AssetCheckSeverity.WARN]
    dbt_line = f"dbt: {len(built)} of {len(dbt_keys) or '?'} models and seeds built"
    dbt_line += f"; tests: {len(passed)} passed, {len(failed)} failed, {len(warned)} warned"
    # The dbt step succeeded and built nothing: it found nothing new since the last full build.
    up_to_date = (
        not built and not failed and any(e.step_key == pitwall_dbt.op.name for e in result.get_step_success_events())
    )
    if up_to_date:
        dbt_line = (
            f"dbt: nothing new since the last full build: build skipped, {len(dbt_keys)} models and seeds up to date"
        )
        dbt_keys = []
    console.print(dbt_line, style="red" if failed or (dbt_keys and len(built) < len(dbt_keys)) else None)
    if failed:
        table = Table(title="failed dbt tests", title_justify="left", title_style="red")
        table.add_column("asset")
        table.add_column("test", overflow="fold")
        table.add_column("severity")
        for check in failed:
            table.add_row(
                check.asset_key.to_user_string(),
                Text(check.check_name),
                str(getattr(check.severity, "value", check.severity)),
            )
        console.print(table)
    if warned:
        _print_findings(warned)
    if dbt_keys and len(built) < len(dbt_keys):
        missing = sorted(k.to_user_string() for k in set(dbt_keys) - set(built))
        shown = ", ".join(missing[:15]) + (f" ... (+{len(missing) - 15})" if len(missing) > 15 else "")
        console.print(f"[red]not built:[/red] {shown}")


def _print_publication(materialized: dict) -> None:
    """Where the readers' copy and the charts went."""
    import dagster as dg

    published = materialized.get(dg.AssetKey(["published", "warehouse"]))
    if published is not None and published.get("path"):
        console.print(
            f"published: [bold]{published.get('path')}[/bold] ({published.get('table_count')} tables, "
            f"{published.get('size_mb')} MB; {published.get('parquet_files')} Parquet files, "
            f"{published.get('parquet_size_mb')} MB) in {published.get('seconds')} s"
        )
    elif published is not None:  # PostgreSQL: readers' schemas swapped in (warehouse/targets.py)
        console.print(
            f"published: [bold]marts[/bold] and [bold]meta[/bold] ({published.get('table_count')} tables, "
            f"{published.get('dagster/row_count'):,} rows) in {published.get('seconds')} s"
        )
    charts = materialized.get(dg.AssetKey(["published", "charts"]))
    if charts is not None and charts.get("charts_dir"):
        console.print(f"charts: {charts.get('chart_count')} PNG in {charts.get('charts_dir')}")
    elif charts is not None:
        console.print("charts: not drawn (they are drawn from the DuckDB published copy)")


def _print_findings(warned: list) -> None:
    """The warned dbt tests: the findings table's checks, the standings reconciliation, any other, with counts."""
    from .defs.assets.dbt import FINDINGS_KEY, FINDINGS_TEST_PREFIX, RECONCILIATION_KEY

    table = Table(
        title="warnings: findings in the official files, differences from the official standings (never fail a run)",
        title_justify="left",
        title_style="yellow",
    )
    table.add_column("check", overflow="fold")
    table.add_column("rows", justify="right")
    totals = {FINDINGS_KEY: 0, RECONCILIATION_KEY: 0}
    for check in sorted(warned, key=lambda c: c.check_name):
        meta = {k: _metadata_value(v) for k, v in check.metadata.items()}
        count = int(meta.get("findings", meta.get("dagster_dbt/failed_row_count", 0)) or 0)
        if check.asset_key in totals:
            totals[check.asset_key] += count
        name = (
            check.check_name.removeprefix(FINDINGS_TEST_PREFIX)
            if check.asset_key == FINDINGS_KEY
            else (f"{check.asset_key.to_user_string()}: {check.check_name}")
        )
        table.add_row(Text(name), f"{count:,}")
    console.print(table)
    if totals[FINDINGS_KEY]:
        console.print(
            f"[yellow]{totals[FINDINGS_KEY]:,} finding(s)[/yellow] in the official files: "
            "select * from marts.data_quality_findings"
        )
    if totals[RECONCILIATION_KEY]:
        console.print(
            f"[yellow]{totals[RECONCILIATION_KEY]:,} difference(s)[/yellow] from the official standings: "
            "select * from marts.standings_reconciliation where difference <> 0"
        )


def _sqlite_sync_at_checkpoints() -> None:
    """Dagster's SQLite storage commits each event of a run on its own (~600 for a refresh), and in
    WAL mode every commit waits for an fsync. With synchronous=NORMAL (this process's connections
    to WAL databases only) the WAL is synced at checkpoints: a crash of the process loses nothing,
    a power cut may lose the last events of the run history, never the warehouse."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            try:
                if (cursor.execute("PRAGMA journal_mode").fetchone() or [""])[0].lower() == "wal":
                    cursor.execute("PRAGMA synchronous=NORMAL")
            finally:
                cursor.close()


@app.command()
@_one_writer("pitwall refresh")
def refresh(
    raw: Path | None = RawOption,
    warehouse: Path | None = WarehouseOption,
    target: str | None = TargetOption,
    log_level: str = typer.Option("INFO", "--log-level", help="Dagster console log level (DEBUG shows every event)."),
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Run `dbt build` even when nothing is new since the last full build."
    ),
) -> None:
    """Run the `refresh_warehouse` job: ingestion, then `dbt build`. Recorded in the Dagster instance (UI history)."""
    started = time.perf_counter()
    current = settings.configure(raw=raw, warehouse=warehouse, target=target)
    if not current.raw_dir.is_dir():
        err.print(f"[red]raw root {current.raw_dir} is not a folder[/red]")
        raise typer.Exit(2)
    into = _target_or_exit(current.target, current.warehouse)
    if rebuild:
        from .warehouse.build_state import forget

        forget(into)
    console.print(f"refreshing [bold]{escape(str(into))}[/bold] from [bold]{current.raw_dir}[/bold]")
    console.print(f"DAGSTER_HOME={current.dagster_home}")

    from dagster import DagsterInstance

    from .project import DbtParseError

    try:
        from .definitions import defs
    except DbtParseError as exc:
        err.print(f"[red]the dbt project does not parse[/red] (nothing was run):\n{escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    from .defs.jobs import REFRESH_JOB_NAME

    job = defs.resolve_job_def(REFRESH_JOB_NAME)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level.upper()}}}}
    _sqlite_sync_at_checkpoints()
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)
    _summarise_run(result, into, time.perf_counter() - started)
    if not result.success:
        raise typer.Exit(1)
    option = "" if current.target == "duckdb" else f" --target {current.target}"
    console.print(
        f'query it: [bold].venv/bin/pitwall sql{option} "select * from marts.fct_session_results limit 10"[/bold]'
    )


# ------------------------------------------------------------------------------------------------ sql


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


@app.command()
def sql(
    query: str = typer.Argument(
        ..., help="SQL to run (several statements separated by ';': the last one's rows are shown)."
    ),
    warehouse: Path | None = WarehouseOption,
    target: str | None = TargetOption,
    format: str = typer.Option("table", "--format", "-f", help="table | csv | json"),
    live: bool = typer.Option(
        False,
        "--live",
        help="Query the build file instead of the published copy: only when no refresh is running "
        "(and a refresh cannot start while this query runs).",
    ),
) -> None:
    """Query the warehouse read-only, as readers see it (no writes, no file access from SQL).

    DuckDB: the published copy (<warehouse dir>/published/pitwall.duckdb), replaced whole after every
    successful refresh, so queries keep answering while a refresh runs. PostgreSQL: the server's
    `marts` and `meta` as the read-only role, swapped in whole by every refresh.
    """
    fmt = format.lower()
    if fmt not in ("table", "csv", "json"):
        err.print(f"[red]--format must be table, csv or json, not {format!r}[/red]")
        raise typer.Exit(2)
    try:
        name = settings.target_name(target)
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(2) from None
    if name == "duckdb":
        from .warehouse.targets import DuckDBTarget

        source = DuckDBTarget(_query_path(warehouse, live))
    else:
        source = _target_or_exit(name, reader=True)
    columns, rows = _run_query(source, query)
    if not columns:
        err.print("OK (no rows returned)")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    elif fmt == "json":
        json.dump([dict(zip(columns, map(_jsonable, row))) for row in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_rows(columns, rows)


def _query_path(warehouse: Path | None, live: bool) -> Path:
    """The file `pitwall sql` reads: the published copy, else (or with --live) the build file."""
    build = settings._absolute(warehouse) if warehouse else settings.warehouse_path()
    published = settings.published_warehouse_path(build)
    path = build if live or not published.exists() else published
    if not path.exists():
        err.print(f"[red]no warehouse at {path}[/red]: run `make run` or `pitwall refresh` first")
        raise typer.Exit(2)
    if path == build and not live:
        err.print(
            f"[yellow]no published copy at {escape(str(published))} yet[/yellow] (a successful "
            "`pitwall refresh` writes it): reading the build file"
        )
    if live:
        from .warehouse.runlock import holder_of

        holder = holder_of(build)
        if holder is not None:  # a run is writing the build file: do not get in its way
            err.print(
                f"[red]{escape(str(holder.get('what') or 'a run'))} (pid {holder.get('pid')}) holds "
                f"{escape(str(build))}[/red]: query the published copy (without --live), or wait for it to end"
            )
            raise typer.Exit(3)
    return path


def _run_query(source, query: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of the query's last statement, read-only (warehouse/targets.py)."""
    from .warehouse.targets import QueryError

    try:
        return source.query(query)
    except QueryError as exc:
        err.print(f"[red]{escape(str(source))}:[/red] {escape(str(exc))}", highlight=False)
        if "lock" in str(exc).lower():
            err.print(
                "another process is writing the warehouse (a refresh, dbt, or the UI): try again when it is "
                "done, or query the published copy (without --live)"
            )
        raise typer.Exit(1) from None


def _print_rows(columns: list[str], rows: list[tuple]) -> None:
    """The rows as a table on the console (the first MAX_TABLE_ROWS), their count on stderr."""
    table = Table(show_lines=False)
    for name in columns:
        table.add_column(Text(name), overflow="fold")
    for row in rows[:MAX_TABLE_ROWS]:
        table.add_row(*(Text("∅", style="dim") if v is None else Text(str(v)) for v in row))
    console.print(table)
    shown = min(len(rows), MAX_TABLE_ROWS)
    note = f"{len(rows)} row(s)" + (f", first {shown} shown (use --format csv for all)" if shown < len(rows) else "")
    err.print(note)


# ----------------------------------------------------------------------------------------------- docs


@app.command()
def docs(
    warehouse: Path | None = WarehouseOption,
    live: bool = typer.Option(
        False, "--live", help="Read column types from the build file instead of the published copy."
    ),
) -> None:
    """Build the dbt docs site (every model and column, lineage graph) into <warehouse dir>/published/docs/."""
    from .publish.docs import DOCS_DIR_NAME, DocsError, build_docs

    current = settings.configure(warehouse=warehouse)
    published = settings.published_warehouse_path(current.warehouse)
    database = current.warehouse if live or not published.exists() else published
    if not database.exists():
        err.print(f"[red]no warehouse at {database}[/red]: run `make run` or `pitwall refresh` first")
        raise typer.Exit(2)
    out_dir = settings.published_dir(current.warehouse) / DOCS_DIR_NAME
    console.print(f"dbt docs generate (column types from [bold]{database}[/bold], read-only) ...")
    try:
        from .project import dbt_project, ensure_manifest

        report = build_docs(
            settings.DBT_PROJECT_DIR,
            database,
            out_dir,
            manifest=ensure_manifest(dbt_project),
            dbt_executable=settings.dbt_executable(),
            env=settings.dbt_env(database),
        )
    except DocsError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"{report.models} models, {report.marts} marts documented")
    if report.undescribed:
        shown = ", ".join(report.undescribed[:20]) + (
            f" ... (+{len(report.undescribed) - 20})" if len(report.undescribed) > 20 else ""
        )
        console.print(f"[yellow]{len(report.undescribed)} mart(s) or column(s) without a description:[/yellow] {shown}")
    else:
        console.print("every mart and every column of the marts has a description")
    console.print(f"docs: [bold]{report.index}[/bold] (one file: open it in a browser)")


# ------------------------------------------------------------------------------------------------- ui


@app.command()
def ui(
    port: int = typer.Option(3000, "--port", "-p"),
    host: str = typer.Option("127.0.0.1", "--host", "-h"),
    raw: Path | None = RawOption,
    warehouse: Path | None = WarehouseOption,
) -> None:
    """Start the Dagster UI (`dagster dev`) on this project, sharing DAGSTER_HOME with `pitwall refresh`."""
    current = settings.configure(raw=raw, warehouse=warehouse)
    command = [settings.dagster_executable(), "dev", "-w", str(settings.WORKSPACE_FILE), "-h", host, "-p", str(port)]
    console.print(
        f"Dagster UI on [bold]http://{host}:{port}[/bold]  (DAGSTER_HOME={current.dagster_home}); Ctrl-C stops it"
    )
    code, signalled = _supervise(command)
    raise typer.Exit(0 if signalled else code)


@app.command()
def serve(
    port: int = typer.Option(3000, "--port", "-p", help="The webserver's port."),
    host: str = typer.Option("127.0.0.1", "--host", "-h", help="The webserver's address (0.0.0.0: every interface)."),
    grpc_port: int = typer.Option(4266, "--grpc-port", help="The code server's port (127.0.0.1 only)."),
    raw: Path | None = RawOption,
    warehouse: Path | None = WarehouseOption,
    target: str | None = TargetOption,
) -> None:
    """Dagster as a deployment: the code location's gRPC server, the webserver and the daemon as separate
    processes, runs in processes of their own, Dagster's storage in PostgreSQL (`pitwall db start`, or
    PITWALL_DAGSTER_POSTGRES_URL). Runs of one warehouse wait in the queue, one at a time."""
    from .warehouse import postgres

    home = settings.server_home()
    current = settings.configure(raw=raw, warehouse=warehouse, home=home, target=target)
    try:
        os.environ[settings.DAGSTER_POSTGRES_URL_ENV] = postgres.dagster_url(postgres.local_server())
    except postgres.PostgresError as exc:
        err.print(f"[red]{escape(str(exc))}[/red] (Dagster's storage lives in PostgreSQL)", highlight=False)
        raise typer.Exit(2) from None
    workspace = settings.write_server_home(home, grpc_port)
    dagster, bin_dir = settings.dagster_executable(), Path(settings.dagster_executable()).parent
    commands = {
        "code server": [dagster, "code-server", "start", "-m", "orchestration.definitions", "--location-name",
                        "pitwall", "-h", "127.0.0.1", "-p", str(grpc_port)],
        "webserver": [str(bin_dir / "dagster-webserver"), "-w", str(workspace), "-h", host, "-p", str(port)],
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)],
    }  # fmt: skip
    console.print(
        f"Dagster on [bold]http://{host}:{port}[/bold] (DAGSTER_HOME={home}; target {current.target}): "
        f"{', '.join(commands)}; Ctrl-C stops them"
    )
    code, signalled = _supervise_all(list(commands.values()), ready=lambda server: _wait_for_port(server, grpc_port))
    raise typer.Exit(0 if signalled else code)


def _wait_for_port(process: subprocess.Popen, port: int, timeout: float = 300) -> None:
    """Until something listens on 127.0.0.1:`port` (the code server has loaded the definitions), the
    process ends, or `timeout` seconds pass."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)


def _supervise_all(
    commands: list[list[str]], ready: Callable[[subprocess.Popen], None] | None = None
) -> tuple[int, bool]:
    """`_supervise` for several commands: all run until one ends or pitwall is signalled, then all stop.
    `ready(first)` returns when the first command can serve the others. (The exit code of the one
    that ended first, or of the last to stop; whether a signal stopped them.)"""
    groups = [_ProcessGroup() for _ in commands]
    signalled: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        signalled.append(signum)
        for group in groups:
            group.forward(signum, frame)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        for group, command in zip(groups, commands):
            group.child = subprocess.Popen(
                command, cwd=settings.REPO_ROOT, env=dict(os.environ), start_new_session=True
            )
            if ready is not None and group is groups[0]:
                ready(group.child)
        while not signalled and all(g.child.poll() is None for g in groups):
            time.sleep(0.5)
        ended = next((g for g in groups if g.child.poll() is not None), None)
        if ended is not None:
            what = " ".join([Path(ended.child.args[0]).name, *ended.child.args[1:3]])
            err.print(f"{what} ended with exit code {ended.child.returncode}: stopping the rest")
        for group in groups:
            group.forward(signal.SIGINT, None)
        codes = [group.wait() for group in groups]
        return (ended.child.returncode if ended else max(codes)), bool(signalled)
    finally:
        for group in groups:
            group.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


def _supervise(command: list[str]) -> tuple[int, bool]:
    """Run `command` in a session of its own until it ends: (its exit code, whether a signal to
    pitwall stopped it). SIGINT, SIGTERM or SIGHUP to pitwall reaches the child's whole process
    group once, as SIGINT."""
    group = _ProcessGroup()
    # Installed before the child starts: handlers (unlike an inherited SIG_IGN, as under `cmd &`
    # without job control) reset to the default in the child, so dagster dev can be interrupted.
    previous = {s: signal.signal(s, group.forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        # Its own session: a terminal's Ctrl-C reaches pitwall only, which forwards it once.
        group.child = subprocess.Popen(command, cwd=settings.REPO_ROOT, env=dict(os.environ), start_new_session=True)
        return group.wait(), group.signal is not None
    finally:
        group.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


class _ProcessGroup:
    """A child process and its process group (dagster dev: its webserver, daemon and code server)."""

    def __init__(self) -> None:
        self.child: subprocess.Popen | None = None
        self.signal: int | None = None  # the signal pitwall received, if any
        self.forwarded = False

    def send(self, sig: int) -> None:
        if self.child is None:
            return
        try:
            os.killpg(self.child.pid, sig)
        except ProcessLookupError:
            pass

    def forward(self, signum: int, _frame: Any) -> None:
        # SIGINT to the whole group, as Ctrl-C in a terminal would: each process stops cleanly on
        # it. (A SIGTERM to the group stops the code server first and dagster dev restarts it.)
        self.signal = signum
        if self.child is not None and self.child.poll() is None:
            self.forwarded = True
            self.send(signal.SIGINT)

    def wait(self) -> int:
        """The child's exit code; after a signal, 30 s for it to stop before it is killed."""
        while True:
            try:
                return self.child.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if self.signal is None:
                    continue
            if not self.forwarded:  # the signal came before the child existed
                self.forwarded = True
                self.send(signal.SIGINT)
            try:
                return self.child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                err.print("dagster dev did not stop within 30 s: killing it")
                self.send(signal.SIGKILL)
                return self.child.wait()

    def stop(self) -> None:
        """Whatever happened: the child ended, and nothing of its group left behind."""
        if self.child is None:
            return
        if self.child.poll() is None:
            self.send(signal.SIGTERM)
            try:
                self.child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.send(signal.SIGKILL)
                self.child.wait()
        self.send(signal.SIGTERM)  # anything of the group left behind by dagster dev


# ---------------------------------------------------------------------------------------------- db

db_app = typer.Typer(
    help="A local PostgreSQL server for the project (orchestration/warehouse/postgres.py).", no_args_is_help=True
)
app.add_typer(db_app, name="db")


def _db(action) -> None:
    from .warehouse.postgres import PostgresError, local_server

    try:
        console.print(action(local_server()), highlight=False)
    except PostgresError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(1) from None


@db_app.command("start")
def db_start() -> None:
    """Start the project's PostgreSQL on 127.0.0.1 (made the first time: database, writer and reader roles)."""
    from .warehouse.postgres import start

    _db(start)


@db_app.command("stop")
def db_stop() -> None:
    """Stop the project's PostgreSQL (its data stays)."""
    from .warehouse.postgres import stop

    _db(stop)


@db_app.command("status")
def db_status() -> None:
    """Whether the project's PostgreSQL runs, and where."""
    from .warehouse.postgres import is_running

    _db(lambda server: f"{'running' if is_running(server) else 'not running'}: 127.0.0.1:{server.port} ({server.data})")


@db_app.command("url")
def db_url(reader: bool = typer.Option(False, "--reader", help="The read-only role's URL (BI tools).")) -> None:
    """The postgresql:// URL of the pipeline's writer role, or with --reader of `pitwall_reader`."""
    from .warehouse.postgres import url

    _db(lambda server: url(server, reader=reader))


if __name__ == "__main__":  # pragma: no cover
    app()
