"""Load the raw root into the warehouse's `raw` schema, incrementally, all or nothing.

One run is one transaction: the raw tables and the manifest `raw.ingested_files` always
agree, and a run that dies leaves the warehouse as the previous run left it.

- A file whose path, size and modification time match the manifest is not opened again; one
  whose size or time changed is hashed, and read again only if its sha256 changed.
- Files of one report kind and header layout are read by one `read_csv` call with an explicit
  column list built from the header (no sniffing), rows as text, malformed rows caught by
  DuckDB's reject tables; a file with any malformed row or garbage value is set aside whole.
- Of several marks of the same session and report (Provisional, Official, Amended ...), only
  the highest is `loaded`; the others stay in raw as `superseded`. Official standings (JSON of a
  `Points Data` folder) are keyed by championship: the latest round's file is `loaded`.
- A file that disappears from the raw root keeps its rows (history) and becomes `removed`,
  so it no longer flows downstream.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

import duckdb

from ..warehouse.sql import quote_ident, quote_literal, table_columns
from ..warehouse.targets import Target, as_target
from . import json_reports
from .formats import (
    KINDS,
    KINDS_BY_NAME,
    LINEAGE_COLUMNS,
    UNSUPPORTED_REPORTS,
    Header,
    HeaderError,
    classify,
    normalise_name,
    split_header,
)
from .layout import RawFile, discover, parse_mark
from .streams import Stream, Streams

# The `session` block of JSON reports: one row per JSON file.
REPORT_SESSIONS = "report_sessions"
RAW_TABLES = [k.name for k in KINDS] + [REPORT_SESSIONS]

SNIFF_BYTES = 1 << 16

MANIFEST_COLUMNS = {
    "path": "VARCHAR",
    "sha256": "VARCHAR",
    "size_bytes": "BIGINT",
    "mtime_ns": "BIGINT",
    "kind": "VARCHAR",
    "header_variant": "VARCHAR",
    "report": "VARCHAR",
    "mark": "VARCHAR",
    "mark_rank": "INTEGER",
    "season": "INTEGER",
    "event_folder": "VARCHAR",
    "event_name": "VARCHAR",
    "series_folder": "VARCHAR",
    "series_name": "VARCHAR",
    "session_folder": "VARCHAR",
    "session_name": "VARCHAR",
    "session_start_local": "TIMESTAMP",
    "session_key": "VARCHAR",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "note": "VARCHAR",
    "rows_loaded": "BIGINT",
    "loaded_at": "TIMESTAMP",
}

# Types of the temp table `_files` (Ingestor._register_files).
FILES_TYPES = (
    ["VARCHAR", "VARCHAR", "VARCHAR", "INTEGER"] + ["VARCHAR"] * 6 + ["TIMESTAMP", "VARCHAR", "VARCHAR", "VARCHAR"]
)

FILE_COLUMNS = [  # lineage of a file, in the order of LINEAGE_COLUMNS without the row number
    "path",
    "sha256",
    "season",
    "event_folder",
    "event_name",
    "series_folder",
    "series_name",
    "session_folder",
    "session_name",
    "session_start_local",
    "session_key",
    "report",
    "mark",
]


def file_lineage(raw: RawFile, sha256: str) -> list:
    """The lineage values of a file, in the order of FILE_COLUMNS."""
    return [sha256 if column == "sha256" else getattr(raw, column) for column in FILE_COLUMNS]


LINEAGE_TYPES = {"_row_number": "BIGINT", "_season": "INTEGER", "_session_start_local": "TIMESTAMP"}


class Status(StrEnum):
    """A file's status in the manifest (raw.ingested_files.status)."""

    LOADED = "loaded"  # its rows count downstream
    SUPERSEDED = "superseded"  # a later mark or round of the same session and report counts instead
    SKIPPED = "skipped"  # not data the warehouse reads (PDF, a report kind without a parser ...)
    QUARANTINED = "quarantined"  # set aside with a reason: it cannot be read
    REMOVED = "removed"  # gone from the raw root; its rows are kept as history
    RESTORED = "restored"  # this run only: a removed file back with the same bytes (written as loaded)


class Known(NamedTuple):
    """What the manifest holds of a file."""

    sha256: str | None
    size_bytes: int
    mtime_ns: int
    status: str


class CsvGroup(NamedTuple):
    """CSV files read by one read_csv call: one report kind, one header layout."""

    kind: str
    columns: tuple[str, ...]
    n_cells: int


@dataclass
class FileOutcome:
    """What this run decided about one file that was new or changed."""

    path: str
    sha256: str | None
    size_bytes: int
    mtime_ns: int
    status: Status
    reason: str | None = None
    note: str | None = None  # informational (what a loaded file left out on purpose)
    kind: str | None = None
    header_variant: str | None = None
    rows_loaded: int = 0
    raw: RawFile | None = None


@dataclass
class Plan:
    """What a run does to each file of the raw root (Ingestor.plan), before it touches the warehouse."""

    files_seen: int = 0
    files_read: int = 0  # new or changed files opened
    files_unchanged: int = 0
    files_reloaded: int = 0  # files under force_prefix, read again whatever the manifest said
    outcomes: list[FileOutcome] = field(default_factory=list)  # every file new or changed, and its decision
    touch_only: list[tuple[str, int]] = field(default_factory=list)  # (path, mtime_ns): same bytes, new time
    removed: list[str] = field(default_factory=list)  # gone from the raw root since the last run
    replaced: list[str] = field(default_factory=list)  # files read again: their earlier rows are deleted
    csv_groups: dict[CsvGroup, list[tuple[RawFile, str]]] = field(default_factory=lambda: defaultdict(list))
    json_loads: list[tuple[RawFile, str, json_reports.JsonReport]] = field(default_factory=list)


@dataclass
class IngestReport:
    files_seen: int = 0
    files_read: int = 0  # new or changed files opened this run
    files_unchanged: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)  # over the whole manifest
    rows_loaded: dict[str, int] = field(default_factory=dict)  # this run, per raw table
    rows_total: dict[str, int] = field(default_factory=dict)  # in raw, per table
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # whole manifest: (path, reason)
    newly_quarantined: list[tuple[str, str]] = field(default_factory=list)
    changed_sessions: list[str] = field(default_factory=list)
    files_reloaded: int = 0  # files under force_prefix, read again whatever the manifest said
    seconds: float = 0.0

    @property
    def set_aside(self) -> int:
        return len(self.quarantined)

    def summary(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.status_counts.items()))
        rows = sum(self.rows_loaded.values())
        return (
            f"{self.files_seen} files seen, {self.files_read} read, {self.files_unchanged} unchanged; "
            f"{rows} rows loaded; manifest: {counts or 'empty'}; "
            f"{self.set_aside} file(s) set aside in {self.seconds:.1f} s"
        )


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    manifest_cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in MANIFEST_COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.ingested_files ({manifest_cols})")
    for kind in KINDS:
        cols = [f"{quote_ident(c)} VARCHAR" for c in kind.columns]
        cols += [f"{quote_ident(c)} {LINEAGE_TYPES.get(c, 'VARCHAR')}" for c in LINEAGE_COLUMNS]
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{quote_ident(kind.name)} ({', '.join(cols)})")
        # A warehouse made by an older version gains the kind's newer columns.
        Ingestor._add_missing_columns(con, kind.name, kind.columns)
    cols = [f"{quote_ident(c)} VARCHAR" for c in json_reports.SESSION_COLUMNS]
    cols += [f"{quote_ident(c)} {LINEAGE_TYPES.get(c, 'VARCHAR')}" for c in LINEAGE_COLUMNS if c != "_row_number"]
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.{REPORT_SESSIONS} ({', '.join(cols)})")


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, types: list[str], rows: list, columns: list[str] | None = None
) -> None:
    """INSERT many Python rows in one statement: one typed list parameter per column, unnested
    (into `columns` by name when given, else by position).

    (``executemany`` runs one INSERT per row: seconds for a few thousand files.)
    """
    if not rows:
        return
    values = list(zip(*rows))
    params = {f"c{i}": list(column) for i, column in enumerate(values)}
    select = ", ".join(f"unnest($c{i}::{t}[])" for i, t in enumerate(types))
    target = f" ({', '.join(quote_ident(c) for c in columns)})" if columns else ""
    con.execute(f"INSERT INTO {table}{target} SELECT {select}", params)


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # never in a text CSV (tab, CR, LF are)
_LONE_CR = re.compile(rb"\r(?=[^\n])")  # a CR that does not end a line (DuckDB's reader stops on it)
_GLOB = re.compile(r"([*?\[])")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def text_problem(data: bytes) -> str | None:
    """Why a whole file is not a complete UTF-8 text CSV (binary bytes, another encoding, mixed or
    missing line ends), or None. Checked before DuckDB reads it: such a file is set aside whole.

    The scans that find nothing in a good file run vectorised (numpy): ~10x faster than the regular
    expressions, which then only run to name the line of what was found."""
    import numpy as np

    octets = np.frombuffer(data, np.uint8)
    control = bool(((octets < 32) & (octets != 9) & (octets != 10) & (octets != 13)).any() or (octets == 127).any())
    found = _CONTROL.search(data) if control else None
    if found:
        byte = found.group()[0]
        what = "NUL bytes" if byte == 0 else f"control character 0x{byte:02X}"
        return f"binary content ({what} on line {_line_of(data, found.start())}): not a text CSV"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"line {_line_of(data, exc.start)} is not UTF-8 (Latin-1 or another encoding?)"
    if b"\n" in data:
        found = _LONE_CR.search(data)
        if found:
            return f"line {_line_of(data, found.start())}: carriage return inside a line (mixed line ends)"
    if not data.endswith((b"\n", b"\r")):
        return "the last line has no line end: the file looks truncated"
    # A line is at most the distance between two line feeds (or the ends of the file), minus one.
    ends = np.flatnonzero(octets == 10)
    widest = int(np.diff(ends, prepend=-1, append=len(data)).max()) - 1 if len(ends) else len(data)
    longest = max(data.splitlines(), key=len) if widest > SNIFF_BYTES else b""
    if len(longest) > SNIFF_BYTES:
        return f"line {_line_of(data, data.find(longest))} is longer than {SNIFF_BYTES // 1024} KiB: not a timing row"
    return None


def literal_path(path: str) -> str:
    """A path as read_csv reads it literally: its glob characters (* ? [) in brackets."""
    return _GLOB.sub(r"[\1]", path)


@functools.lru_cache(maxsize=1024)
def _classify_line(line: str) -> Header:
    """classify() of a header line: thousands of files share a few dozen header lines."""
    return classify(split_header(line))


def inspect_file(raw: RawFile, data: bytes | None = None) -> tuple[Header | None, int, str | None]:
    """Read a file (or take its bytes): (header, number of cells in its header line, reason to set it aside)."""
    if data is None:
        with open(raw.absolute_path, "rb") as fh:
            data = fh.read()
    head = data[:SNIFF_BYTES]
    if not head:
        return None, 0, "empty file (0 bytes)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, 0, "UTF-16 encoded: expected UTF-8"
    if b"\x00" in head:
        return None, 0, "binary content (NUL bytes): not a text CSV"
    line_end = head.find(b"\n")
    if line_end < 0 and raw.size_bytes > len(head):
        return None, 0, f"first line is longer than {SNIFF_BYTES // 1024} KiB: not a CSV header"
    first = head if line_end < 0 else head[:line_end]
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, 0, "header line is not UTF-8 (Latin-1 or another encoding?)"
    if ";" not in line:
        for delim, label in ((",", "','"), ("\t", "tab"), ("|", "'|'")):
            if delim in line:
                return None, 0, f"delimiter is {label}, expected ';'"
        return None, 0, "header line has no ';' separator"
    rest = b"" if line_end < 0 else head[line_end + 1 :]
    if not rest.strip() and raw.size_bytes <= len(head):
        return None, 0, "header only: no data rows"
    problem = text_problem(data)
    if problem:
        return None, 0, problem
    cells = line.rstrip("\r\n").split(";")
    try:
        header = _classify_line(line)
    except HeaderError as exc:
        return None, 0, str(exc)
    return header, len(cells), None


class Ingestor:
    def __init__(
        self,
        raw_root: Path,
        warehouse: Path | Target,
        progress: Callable[[str], None] | None = None,
        force_prefix: str | None = None,
    ):
        self.raw_root = Path(raw_root).resolve()
        self.target = as_target(warehouse)
        self.progress = progress or (lambda msg: None)
        self.force_prefix = normalise_prefix(force_prefix)
        self.unreadable: dict[str, str] = {}  # path -> reason: files DuckDB's CSV reader stopped on
        self.use_streams = True  # one read_csv per group over a stream of its files (streams.py)

    def forced(self, path: str) -> bool:
        """Is this file (relative path) under the prefix to read again?"""
        p = self.force_prefix
        return bool(p) and (path == p or path.startswith(p + "/"))

    def run(self) -> IngestReport:
        """Plan what each file needs, apply the plan in one transaction, report from both.

        The work is done in DuckDB: the warehouse file itself, or for PostgreSQL an in-memory copy
        of the manifest whose result the target writes to the server in one transaction."""
        started = time.perf_counter()
        if not self.raw_root.is_dir():
            raise FileNotFoundError(f"raw root {self.raw_root} is not a folder")
        con = self.target.open_ingestion()
        streams = Streams(self.target.scratch_dir) if self.use_streams else None
        try:
            ensure_schema(con)
            self.target.prepare_ingestion(con, RAW_TABLES)
            known = {
                r[0]: Known(*r[1:])
                for r in con.execute(
                    "SELECT path, sha256, size_bytes, mtime_ns, status FROM raw.ingested_files"
                ).fetchall()
            }
            plan = self.plan(known, streams)
            con.execute("BEGIN TRANSACTION")
            rows_loaded = self.apply(con, plan, known, streams)
            self.target.write_ingestion(con, RAW_TABLES, plan.replaced)
            con.execute("COMMIT")
            report = self.report(con, plan, rows_loaded, self.target.row_counts(con, [k.name for k in KINDS]))
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise
        finally:
            con.close()
            if streams is not None:
                streams.close()
        report.seconds = time.perf_counter() - started
        return report

    def plan(self, known: dict[str, Known], streams: Streams | None) -> Plan:
        """What each file of the raw root needs, against the manifest (`known`). Reads the new and
        changed files once: hashed, checked, parsed (JSON) or appended to their group's stream."""
        # Files the manifest holds with the same size and time are not described again (forced
        # ones are: they are read again); a removed file that is back counts as new.
        found = discover(
            self.raw_root,
            {
                path: (prev.size_bytes, prev.mtime_ns)
                for path, prev in known.items()
                if prev.status != Status.REMOVED and not self.forced(path)
            },
        )
        if self.force_prefix and not any(self.forced(f.path) for f in found.data):
            seasons = sorted({p.split("/", 1)[0] for p in [f.path for f in found.data] + found.unchanged})
            raise ValueError(
                f"no data file under {self.force_prefix!r} in {self.raw_root}: give a season folder "
                f"({', '.join(seasons[:10]) or 'none found'}) or <season>/<event folder>"
            )
        plan = Plan(
            files_seen=len(found.data) + len(found.skipped) + len(found.misplaced) + len(found.unchanged),
            files_unchanged=len(found.unchanged),
        )
        for other, status in [(f, Status.SKIPPED) for f in found.skipped] + [
            (f, Status.QUARANTINED) for f in found.misplaced
        ]:
            prev = known.get(other.path)
            if prev and (prev.size_bytes, prev.mtime_ns, prev.status) == (other.size_bytes, other.mtime_ns, status):
                plan.files_unchanged += 1
            else:
                plan.outcomes.append(
                    FileOutcome(other.path, None, other.size_bytes, other.mtime_ns, status, other.reason)
                )
        for raw in found.data:
            self._plan_data_file(plan, raw, known.get(raw.path), streams)
        seen = {f.path for f in found.data + found.skipped + found.misplaced} | set(found.unchanged)
        plan.removed = [p for p, prev in known.items() if p not in seen and prev.status != Status.REMOVED]
        return plan

    def _plan_data_file(self, plan: Plan, raw: RawFile, prev: Known | None, streams: Streams | None) -> None:
        """Decide one data file: unchanged, touched, restored, skipped, set aside, or to load."""
        forced = self.forced(raw.path)  # read again even if unchanged (a reload from the UI)
        plan.files_reloaded += forced
        if (
            prev
            and not forced
            and (prev.size_bytes, prev.mtime_ns) == (raw.size_bytes, raw.mtime_ns)
            and prev.status != Status.REMOVED
        ):
            plan.files_unchanged += 1
            return
        with open(raw.absolute_path, "rb") as fh:
            data = fh.read()  # read once: hashed, checked, and appended to its group's stream
        sha = hashlib.sha256(data).hexdigest()
        if prev and prev.sha256 == sha and not forced:
            if prev.status == Status.REMOVED:
                # The same content is back: its rows were kept, it counts again.
                plan.outcomes.append(FileOutcome(raw.path, sha, raw.size_bytes, raw.mtime_ns, Status.RESTORED, raw=raw))
            else:
                plan.touch_only.append((raw.path, raw.mtime_ns))
                plan.files_unchanged += 1
            return
        plan.files_read += 1
        outcome = FileOutcome(raw.path, sha, raw.size_bytes, raw.mtime_ns, Status.LOADED, raw=raw)
        plan.outcomes.append(outcome)
        unsupported = UNSUPPORTED_REPORTS.get(normalise_name(raw.report).replace("_", ""))
        if unsupported:
            outcome.status, outcome.reason = Status.SKIPPED, unsupported
        elif raw.extension == ".json":
            parse = json_reports.parse_standings if raw.standings else json_reports.parse
            try:
                parsed = parse(data)
            except json_reports.ReportError as exc:
                outcome.status, outcome.reason = Status.QUARANTINED, str(exc)
                return
            if raw.mark is None and parsed.session.get("report_mark"):
                # The file name carries no mark: the report's own session block says it.
                mark, rank = parse_mark(parsed.session["report_mark"])
                raw = outcome.raw = dataclasses.replace(raw, mark=mark, mark_rank=rank)
            outcome.kind, outcome.header_variant = parsed.kind.name, parsed.variant
            plan.json_loads.append((raw, sha, parsed))
        else:
            header, n_cells, reason = inspect_file(raw, data)
            reason = reason or self.unreadable.get(raw.path)
            if reason:
                outcome.status, outcome.reason = Status.QUARANTINED, reason
                return
            outcome.kind, outcome.header_variant = header.kind.name, header.variant
            group = CsvGroup(header.kind.name, tuple(header.columns), n_cells)
            plan.csv_groups[group].append((raw, sha))
            if streams is not None:
                streams.add(group, data)

    def apply(
        self, con: duckdb.DuckDBPyConnection, plan: Plan, known: dict[str, Known], streams: Streams | None
    ) -> dict[str, int]:
        """Carry the plan out inside the caller's transaction: replace the rows of files read again,
        load the groups and JSON reports (setting aside what fails), write the manifest, resolve
        supersession. Returns the rows loaded per raw table."""
        by_path = {o.path: o for o in plan.outcomes}
        # Rows of files read again (changed content) are replaced: old rows go first.
        plan.replaced = [o.path for o in plan.outcomes if o.status != Status.RESTORED and o.path in known]
        if plan.replaced:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _replaced AS SELECT unnest($paths::VARCHAR[]) AS path",
                {"paths": plan.replaced},
            )
            for table in RAW_TABLES:
                con.execute(f"DELETE FROM raw.{quote_ident(table)} WHERE _file_path IN (SELECT path FROM _replaced)")
        rows_loaded: dict[str, int] = defaultdict(int)
        for group, files in plan.csv_groups.items():
            stream = streams.get(group) if streams is not None else None
            loaded = self._load_group(
                con, KINDS_BY_NAME[group.kind], list(group.columns), group.n_cells, files, by_path, stream
            )
            rows_loaded[group.kind] += loaded
            self.progress(f"{group.kind}: {len(files)} file(s), {loaded} rows")
        for kind_name, loaded in self._load_json(con, plan.json_loads, by_path).items():
            rows_loaded[kind_name] += loaded
        self._write_manifest(con, plan.outcomes, plan.touch_only, plan.removed, datetime.now(UTC).replace(tzinfo=None))
        self._resolve_supersession(con)
        return dict(rows_loaded)

    @staticmethod
    def report(
        con: duckdb.DuckDBPyConnection, plan: Plan, rows_loaded: dict[str, int], rows_total: dict[str, int]
    ) -> IngestReport:
        """The run's report: the plan's counts, the manifest as the run left it, the raw tables' rows."""
        removed_sessions = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT session_key FROM raw.ingested_files "
                "WHERE list_contains($p, path) AND session_key IS NOT NULL",
                {"p": plan.removed},
            ).fetchall()
        }
        return IngestReport(
            files_seen=plan.files_seen,
            files_read=plan.files_read,
            files_unchanged=plan.files_unchanged,
            files_reloaded=plan.files_reloaded,
            status_counts=dict(
                con.execute("SELECT status, count(*) FROM raw.ingested_files GROUP BY status").fetchall()
            ),
            rows_loaded=rows_loaded,
            rows_total=rows_total,
            quarantined=con.execute(
                "SELECT path, reason FROM raw.ingested_files WHERE status = 'quarantined' ORDER BY path"
            ).fetchall(),
            newly_quarantined=[(o.path, o.reason or "") for o in plan.outcomes if o.status == Status.QUARANTINED],
            changed_sessions=sorted({o.raw.session_key for o in plan.outcomes if o.raw is not None} | removed_sessions),
        )

    def _load_group(
        self,
        con: duckdb.DuckDBPyConnection,
        kind,
        columns: list[str],
        n_cells: int,
        files: list[tuple[RawFile, str]],
        by_path: dict[str, FileOutcome],
        stream: Stream | None = None,
    ) -> int:
        """Read files sharing one header layout with a single read_csv; set aside the bad ones."""
        table = f"raw.{quote_ident(kind.name)}"
        self._add_missing_columns(con, kind.name, columns)
        # Cells past the named header columns (the empty one after the trailing ';') are read and dropped.
        csv_columns = {f"c{i}": "VARCHAR" for i in range(n_cells)}
        self._register_files(con, files)
        select_cols = ", ".join(f"c{i} AS {quote_ident(col)}" for i, col in enumerate(columns))
        target_cols = ", ".join(quote_ident(c) for c in columns + LINEAGE_COLUMNS)
        lineage = (
            "f.path, f.sha256, src._rn - min(src._rn) OVER (PARTITION BY src._source) + 1, f.season, "
            "f.event_folder, f.event_name, f.series_folder, f.series_name, f.session_folder, f.session_name, "
            "f.session_start_local, f.session_key, f.report, f.mark"
        )
        names = ", ".join(f"src.{quote_ident(c)}" for c in columns)
        con.execute("DROP TABLE IF EXISTS _reject_errors")
        con.execute("DROP TABLE IF EXISTS _reject_scans")
        if stream is not None and self._insert_stream(
            con, table, stream, files, n_cells, select_cols, target_cols, names
        ):
            return self._after_insert(con, kind, table, columns, files, by_path)
        # File by file (no stream, or the stream did not map back exactly): rejects name their file.
        # row_number() OVER () streams in read order (insertion order is preserved), so per file it
        # is the data row number; a row DuckDB rejects shifts later numbers, but its file is set aside.
        try:
            con.execute(
                f"""INSERT INTO {table} ({target_cols})
                    SELECT {names}, {lineage}
                    FROM (
                        SELECT {select_cols}, filename AS _source, row_number() OVER () AS _rn
                        FROM read_csv($files, columns = $columns, delim = ';', skip = 1, header = false,
                                      quote = '', escape = '', null_padding = true, auto_detect = false,
                                      strict_mode = true, filename = true, ignore_errors = true,
                                      store_rejects = true, rejects_table = '_reject_errors',
                                      rejects_scan = '_reject_scans')
                    ) src
                    JOIN _files f ON f.absolute_path = src._source""",
                {"files": [literal_path(r.absolute_path) for r, _ in files], "columns": csv_columns},
            )
        except duckdb.Error as exc:
            # Some malformed input stops DuckDB's CSV reader for the whole statement instead of
            # landing in the reject table, and the transaction is lost: ingest() runs again with
            # the file(s) at fault set aside (found by reading each file of the group alone).
            raise UnreadableFiles(probe_files([r for r, _ in files], csv_columns), exc) from exc
        return self._after_insert(con, kind, table, columns, files, by_path)

    def _insert_stream(
        self,
        con,
        table: str,
        stream: Stream,
        files: list[tuple[RawFile, str]],
        n_cells: int,
        select_cols: str,
        target_cols: str,
        names: str,
    ) -> bool:
        """Insert a group from its stream (streams.py); True if every row mapped back to its file and
        row number exactly. Otherwise the rows are deleted again, for the file-by-file load."""
        if len(files) != len(stream.rows_per_file):
            return False
        con.execute("ALTER TABLE _files ADD COLUMN _rows BIGINT")
        # The stream holds the group's files in the order of `files`: the rows each one wrote to it.
        con.execute(
            "UPDATE _files f SET _rows = p.n "
            "FROM (SELECT unnest($path::VARCHAR[]) AS path, unnest($n::BIGINT[]) AS n) p "
            "WHERE f.path = p.path",
            {"path": [r.path for r, _ in files], "n": stream.rows_per_file},
        )
        columns = {"_fid": "BIGINT", "_rn": "BIGINT", **{f"c{i}": "VARCHAR" for i in range(n_cells)}}
        # Lineage by the file's number, from constant lists: a join with _files would make DuckDB
        # hash the whole stream (its build side), holding every row in memory.
        lineages = [file_lineage(r, sha) for r, sha in files]
        params = {column: [values[n] for values in lineages] for n, column in enumerate(FILE_COLUMNS)}
        at = {column: f"(${column}::{t}[])[src._fid + 1]" for column, t in zip(FILE_COLUMNS, FILES_TYPES[1:])}
        lineage = ", ".join([at["path"], at["sha256"], "src._rn"] + [at[c] for c in FILE_COLUMNS[2:]])
        try:
            con.execute(
                f"""INSERT INTO {table} ({target_cols})
                    SELECT {names}, {lineage}
                    FROM (
                        SELECT {select_cols}, _fid, _rn
                        FROM read_csv($stream, columns = $columns, delim = ';', header = false,
                                      quote = '', escape = '', null_padding = true, auto_detect = false,
                                      strict_mode = true, ignore_errors = true,
                                      store_rejects = true, rejects_table = '_reject_errors',
                                      rejects_scan = '_reject_scans')
                    ) src""",
                {"stream": literal_path(str(stream.path)), "columns": columns, **params},
            )
        except duckdb.Error as exc:
            raise StreamFailed(str(exc)) from exc
        if self._stream_mapped_exactly(con, table):
            return True
        con.execute(f"DELETE FROM {table} WHERE _file_path IN (SELECT path FROM _files)")
        con.execute("DROP TABLE IF EXISTS _reject_errors")
        con.execute("DROP TABLE IF EXISTS _reject_scans")
        return False

    @staticmethod
    def _stream_mapped_exactly(con, table: str) -> bool:
        """No row rejected, and each file of `_files` got exactly its rows, numbered 1 to its count."""
        if con.execute("SELECT count(*) FROM _reject_errors").fetchone()[0]:
            return False
        return not con.execute(
            f"""SELECT count(*) FROM _files f LEFT JOIN (
                    SELECT _file_path, count(*) AS n, min(_row_number) AS lo, max(_row_number) AS hi
                    FROM {table} WHERE _file_path IN (SELECT path FROM _files) GROUP BY _file_path
                ) t ON t._file_path = f.path
                WHERE f._rows IS NULL OR coalesce(t.n, 0) <> f._rows
                   OR (f._rows > 0 AND (t.lo IS DISTINCT FROM 1 OR t.hi IS DISTINCT FROM f._rows))"""
        ).fetchone()[0]

    def _after_insert(
        self,
        con,
        kind,
        table: str,
        columns: list[str],
        files: list[tuple[RawFile, str]],
        by_path: dict[str, FileOutcome],
    ) -> int:
        """Rejected rows and garbage values set their file aside; the outcome of each file of the group."""
        bad: dict[str, str] = {}
        for path, line, error_type, message in con.execute(
            """SELECT f.path, min(e.line), arg_min(e.error_type, e.line), arg_min(e.error_message, e.line)
               FROM _reject_errors e JOIN _reject_scans s USING (scan_id, file_id)
               JOIN _files f ON f.absolute_path = s.file_path GROUP BY f.path"""
        ).fetchall():
            first_line = (message or "").splitlines()[0] if message else ""
            bad[path] = f"line {line}: {error_type.lower()}: {first_line}".strip()
        bad.update({p: r for p, r in self._shape_errors(con, kind, columns).items() if p not in bad})
        if bad:
            con.execute(
                f"DELETE FROM {table} WHERE _file_path IN (SELECT unnest($paths::VARCHAR[]))", {"paths": list(bad)}
            )
        counts = dict(
            con.execute(
                f"SELECT _file_path, count(*) FROM {table} WHERE _file_path IN (SELECT path FROM _files) GROUP BY ALL"
            ).fetchall()
        )
        total = 0
        for raw, _ in files:
            outcome = by_path[raw.path]
            if raw.path in bad:
                outcome.status, outcome.reason = Status.QUARANTINED, bad[raw.path]
                outcome.rows_loaded = 0
            else:
                outcome.rows_loaded = counts.get(raw.path, 0)
                total += outcome.rows_loaded
        return total

    @staticmethod
    def _register_files(con: duckdb.DuckDBPyConnection, files: list[tuple[RawFile, str]]) -> None:
        """Temp table `_files`: the files being loaded, with their lineage values."""
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _files (absolute_path VARCHAR, path VARCHAR, sha256 VARCHAR, season INTEGER,
                   event_folder VARCHAR, event_name VARCHAR, series_folder VARCHAR, series_name VARCHAR,
                   session_folder VARCHAR, session_name VARCHAR, session_start_local TIMESTAMP,
                   session_key VARCHAR, report VARCHAR, mark VARCHAR)"""
        )
        insert_rows(con, "_files", FILES_TYPES, [[r.absolute_path, *file_lineage(r, sha)] for r, sha in files])

    @staticmethod
    def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str, columns) -> None:
        existing = {name for name, _ in table_columns(con, "raw", table)}
        for col in columns:
            if col not in existing:
                # A column the kind does not know (other series and JSON add some): kept, as text.
                con.execute(f"ALTER TABLE raw.{quote_ident(table)} ADD COLUMN {quote_ident(col)} VARCHAR")
                existing.add(col)

    def _load_json(self, con, json_loads, by_path: dict[str, FileOutcome]) -> dict[str, int]:
        """Insert parsed JSON reports into the same raw tables as the CSV ones; set aside bad ones."""
        by_kind: dict[str, list] = defaultdict(list)
        for raw, sha, parsed in json_loads:
            by_kind[parsed.kind.name].append((raw, sha, parsed))
        return {kind: self._load_json_kind(con, KINDS_BY_NAME[kind], items, by_path) for kind, items in by_kind.items()}

    def _load_json_kind(self, con, kind, items: list, by_path: dict[str, FileOutcome]) -> int:
        """The parsed reports of one kind: their rows, checked; their session blocks; rows loaded."""
        import pandas as pd

        records = []
        for raw, sha, parsed in items:
            lineage = file_lineage(raw, sha)
            lineage = dict(zip(LINEAGE_COLUMNS, [*lineage[:2], None, *lineage[2:]]))
            records += [{**row, **lineage, "_row_number": n} for n, row in zip(parsed.entry_numbers, parsed.rows)]
        frame = pd.DataFrame.from_records(records)
        value_columns = [c for c in frame.columns if c not in LINEAGE_COLUMNS]
        frame[value_columns] = frame[value_columns].astype("object")
        self._add_missing_columns(con, kind.name, value_columns)
        con.register("_json_rows", frame)
        con.execute(f"INSERT INTO raw.{quote_ident(kind.name)} BY NAME SELECT * FROM _json_rows")
        con.unregister("_json_rows")
        self._register_files(con, [(raw, sha) for raw, sha, _ in items])
        bad = self._shape_errors(con, kind, value_columns, unit="entry")
        if bad:
            con.execute(
                f"DELETE FROM raw.{quote_ident(kind.name)} WHERE _file_path IN (SELECT unnest($paths::VARCHAR[]))",
                {"paths": list(bad)},
            )
        loaded, sessions = 0, []
        for raw, sha, parsed in items:
            outcome = by_path[raw.path]
            if raw.path in bad:
                outcome.status, outcome.reason, outcome.rows_loaded = Status.QUARANTINED, bad[raw.path], 0
                continue
            outcome.rows_loaded, outcome.note = len(parsed.rows), parsed.note
            loaded += outcome.rows_loaded
            if parsed.session:  # standings files have no session block
                sessions.append([parsed.session.get(c) for c in json_reports.SESSION_COLUMNS] + file_lineage(raw, sha))
        if sessions:
            types = ["VARCHAR"] * len(json_reports.SESSION_COLUMNS) + [
                LINEAGE_TYPES.get(c, "VARCHAR") for c in LINEAGE_COLUMNS if c != "_row_number"
            ]
            insert_rows(con, f"raw.{REPORT_SESSIONS}", types, sessions)
        return loaded

    @staticmethod
    def _shape_errors(con: duckdb.DuckDBPyConnection, kind, columns: list[str], unit: str = "line") -> dict[str, str]:
        """First garbage value of each file just inserted: required cell empty, or a value of the wrong shape."""
        checks = []
        for col in kind.required:
            if col in columns:
                checks.append((col, f"{quote_ident(col)} IS NULL", "is empty"))
            else:
                checks.append((col, "true", "column is missing"))
        for col, pattern in kind.shapes.items():
            if col in columns:
                match = f"regexp_full_match({quote_ident(col)}, {quote_literal(pattern)})"
                checks.append((col, f"NOT {match}", "is not a valid value"))
        if not checks:
            return {}
        cases = " ".join(
            f"WHEN {cond} THEN '{col.upper()} ' || "
            f"coalesce('''' || left({quote_ident(col) if col in columns else 'NULL'}, 40) || ''' ', '') || '{what}'"
            for col, cond, what in checks
        )
        any_bad = " OR ".join(f"coalesce({cond}, false)" for _, cond, _ in checks)
        rows = con.execute(
            f"""SELECT _file_path, min(_row_number), arg_min(CASE {cases} END, _row_number)
                FROM raw.{quote_ident(kind.name)}
                WHERE _file_path IN (SELECT path FROM _files) AND ({any_bad})
                GROUP BY _file_path"""
        ).fetchall()
        # _row_number counts data rows: in a CSV the header is line 1; in JSON it is the entry number.
        return {path: f"{unit} {row + 1 if unit == 'line' else row}: {message}" for path, row, message in rows}

    @staticmethod
    def _write_manifest(con, outcomes: list[FileOutcome], touch_only, removed: list[str], now: datetime) -> None:
        def set_mtimes(files: list[tuple[str, int]], restore: bool = False) -> None:
            """One UPDATE for all the files (path, mtime_ns), counting them again when `restore`:
            an UPDATE per file scans the manifest each time."""
            con.execute(
                "UPDATE raw.ingested_files AS m SET mtime_ns = t.mtime_ns, "
                "status = CASE WHEN $restore THEN 'loaded' ELSE m.status END, "
                "reason = CASE WHEN $restore THEN NULL ELSE m.reason END "
                "FROM (SELECT unnest($p::VARCHAR[]) AS path, unnest($m::BIGINT[]) AS mtime_ns) t WHERE m.path = t.path",
                {"p": [p for p, _ in files], "m": [m for _, m in files], "restore": restore},
            )

        if touch_only:
            set_mtimes(touch_only)
        if removed:
            con.execute(
                "UPDATE raw.ingested_files "
                "SET status = 'removed', reason = 'file no longer in the raw root; rows kept' "
                "WHERE list_contains($p, path)",
                {"p": removed},
            )
        restored = [o for o in outcomes if o.status == Status.RESTORED]
        if restored:
            set_mtimes([(o.path, o.mtime_ns) for o in restored], restore=True)
        fresh = [o for o in outcomes if o.status != Status.RESTORED]
        if not fresh:
            return
        con.execute("DELETE FROM raw.ingested_files WHERE list_contains($p, path)", {"p": [o.path for o in fresh]})
        rows = []
        for o in fresh:
            r = o.raw
            rows.append(
                [
                    o.path,
                    o.sha256,
                    o.size_bytes,
                    o.mtime_ns,
                    o.kind,
                    o.header_variant,
                    r.report if r else None,
                    r.mark if r else None,
                    r.mark_rank if r else None,
                    r.season if r else None,
                    r.event_folder if r else None,
                    r.event_name if r else None,
                    r.series_folder if r else None,
                    r.series_name if r else None,
                    r.session_folder if r else None,
                    r.session_name if r else None,
                    r.session_start_local if r else None,
                    r.session_key if r else None,
                    o.status,
                    o.reason,
                    o.note,
                    o.rows_loaded,
                    now if o.status == Status.LOADED else None,
                ]
            )
        insert_rows(con, "raw.ingested_files", list(MANIFEST_COLUMNS.values()), rows, list(MANIFEST_COLUMNS))

    @staticmethod
    def _resolve_supersession(con) -> None:
        """Of the loaded files of one session and report, the one of the latest round (event folder
        number), then of the highest mark, counts; the rest are superseded. Only a standings file's
        key spans rounds (its championship's): a later round's standings replace the earlier ones,
        whatever the marks; any other key has one event folder."""
        con.execute(
            """UPDATE raw.ingested_files AS m SET status = ranked.new_status, reason = ranked.new_reason
               FROM (
                   SELECT path,
                       CASE WHEN row_number() OVER w = 1 THEN 'loaded' ELSE 'superseded' END AS new_status,
                       CASE WHEN row_number() OVER w > 1 THEN 'superseded by ' || first_value(path) OVER w END
                           AS new_reason
                   FROM raw.ingested_files
                   WHERE status IN ('loaded', 'superseded')
                   -- On equal marks a JSON report counts over its CSV twin: it carries more (pit stops, causes).
                   WINDOW w AS (PARTITION BY session_key, kind, lower(report)
                                ORDER BY try_cast(split_part(event_folder, '_', 1) AS INTEGER) DESC NULLS LAST,
                                         mark_rank DESC, lower(path) LIKE '%.json' DESC, path DESC)
               ) ranked
               WHERE m.path = ranked.path
                 AND (m.status IS DISTINCT FROM ranked.new_status OR m.reason IS DISTINCT FROM ranked.new_reason)"""
        )


class StreamFailed(Exception):
    """DuckDB's reader stopped on a group's stream (streams.py); the run was rolled back."""


class UnreadableFiles(Exception):
    """DuckDB's CSV reader stopped on these files (path -> reason); the run was rolled back."""

    def __init__(self, reasons: dict[str, str], cause: BaseException):
        super().__init__(str(cause))
        self.reasons = reasons
        self.cause = cause


def probe_files(files: list[RawFile], csv_columns: dict[str, str]) -> dict[str, str]:
    """Read each file alone, in a scratch in-memory database: the ones DuckDB's reader stops on."""
    reasons: dict[str, str] = {}
    scratch = duckdb.connect()
    try:
        for raw in files:
            try:
                scratch.execute(
                    """SELECT count(*) FROM read_csv($files, columns = $columns, delim = ';', skip = 1, header = false,
                           quote = '', escape = '', null_padding = true, auto_detect = false, strict_mode = true,
                           ignore_errors = true)""",
                    {"files": [literal_path(raw.absolute_path)], "columns": csv_columns},
                ).fetchall()
            except duckdb.Error as exc:
                first = (str(exc).splitlines() or [""])[0]
                reasons[raw.path] = f"unreadable as CSV: {first}"[:300]
    finally:
        scratch.close()
    return reasons


def normalise_prefix(prefix: str | None) -> str:
    """A path prefix relative to the raw root, POSIX separators, no leading or trailing slash."""
    p = (prefix or "").strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p.strip("/")


def ingest(
    raw_root: Path,
    warehouse: Path | Target,
    progress: Callable[[str], None] | None = None,
    force_prefix: str | None = None,
) -> IngestReport:
    """Bring the warehouse's raw schema up to date with the raw root. Safe to run again.

    ``force_prefix`` (a season folder such as ``24_2024``, or ``24_2024/14_Road America``): the
    data files under it are read again even if unchanged, their rows replaced; the rest as usual.
    """
    ingestor = Ingestor(raw_root, warehouse, progress, force_prefix)
    with ingestor.target.lock("ingestion"):  # one writer at a time (warehouse/targets.py)
        while True:
            try:
                return ingestor.run()
            except StreamFailed:  # rolled back: run again, each group read file by file
                if not ingestor.use_streams:
                    raise
                ingestor.use_streams = False
            except UnreadableFiles as exc:  # rolled back: run again with those files set aside
                new = {p: r for p, r in exc.reasons.items() if p not in ingestor.unreadable}
                if not new:
                    raise exc.cause from exc
                ingestor.unreadable.update(new)
