"""What the last successful full `dbt build` was built from, kept in the warehouse itself.

A refresh with nothing new (no file added, changed or removed, the same dbt project) would rebuild
every model from the same inputs to the same result. The dbt asset skips it instead when the
fingerprint of its inputs equals the one recorded by the last complete, successful build:

- the raw layer: the ingestion manifest's (path, sha256, status) of every file, in order;
- the dbt project: the parsed manifest (every model, seed, test, macro and config; dbt's own
  per-parse fields such as ``created_at`` and the invocation id left out);
- the dbt command and the dbt version.

The fingerprint lives in ``meta.dbt_build_state`` (one row) of the warehouse (``build_meta`` on
PostgreSQL, where ``meta`` is the readers': warehouse/targets.py): it goes with the data
(a copied, replaced or deleted warehouse carries its own, or none). It is cleared before every dbt
run and written only after a full build that passed, so a failed or partial build never counts.
After running dbt by hand against the warehouse, ``pitwall refresh --rebuild`` (or deleting the
row) makes the next refresh build again. No Dagster import here.

The same record drives the incremental fact tables (dbt_project/macros/incremental.sql): with it
go ``meta.dbt_built_files`` (the ingestion manifest the build read) and ``meta.dbt_built_drivers``
(the driver identities it resolved), so that the next build rebuilds only the sessions whose
inputs differ; and the digest of the dbt project it was built with: when the project changed
since (or nothing is recorded), the next build is a ``--full-refresh``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from .sql import quote_literal
from .targets import QueryError, as_target

TABLE = "dbt_build_state"
VOLATILE = {"created_at", "generated_at", "invocation_id", "invocation_started_at"}


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def manifest_digest(manifest_path: Path) -> str:
    manifest = json.loads(Path(manifest_path).read_text())
    manifest.pop("metadata", None)
    return hashlib.sha256(json.dumps(_stable(manifest), sort_keys=True, default=str).encode()).hexdigest()


def raw_digest(reader) -> str | None:
    """Digest of the ingestion manifest; None if the warehouse has none (nothing ingested yet)."""
    try:
        _, rows = reader(
            "SELECT count(*), md5(coalesce(string_agg("
            "path || '|' || coalesce(sha256, '') || '|' || coalesce(status, ''), chr(10) ORDER BY path), '')) "
            "FROM raw.ingested_files"
        )
    except QueryError:
        return None
    return f"{rows[0][0]}:{rows[0][1]}"


def fingerprint(warehouse, manifest: str, command: str, dbt_version: str) -> str | None:
    """The fingerprint of a build now (``manifest``: manifest_digest()), or None when it cannot be
    told (no warehouse, no raw layer)."""
    target = as_target(warehouse)
    if not target.exists():
        return None
    with target.reader() as reader:
        raw = raw_digest(reader)
    if raw is None:
        return None
    parts = {"raw": raw, "manifest": manifest, "command": command, "dbt": dbt_version}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def last_build(warehouse) -> tuple[str | None, datetime, str, str | None] | None:
    """(fingerprint, built_at, run_id, manifest digest) of the last successful full build, if recorded.

    The fingerprint is None while a dbt run is going on or after one that failed."""
    target = as_target(warehouse)
    if not target.exists():
        return None
    with target.reader() as reader:
        try:
            _, rows = reader(
                f"SELECT fingerprint, built_at, run_id, manifest_digest FROM {target.state_schema}.{TABLE}"
            )
        except QueryError:  # no table (nothing recorded), or one of an older layout
            return None
    return tuple(rows[0]) if rows else None


def forget(warehouse) -> None:
    """Before a dbt run: whatever it does, the warehouse no longer is the recorded build's (the
    record of what that build read stays: the next build's increment is counted from it)."""
    target = as_target(warehouse)
    if not target.exists():
        return
    try:
        target.execute([f"UPDATE {target.state_schema}.{TABLE} SET fingerprint = NULL"])
    except QueryError:
        pass


def record(warehouse, fingerprint_: str, run_id: str, manifest_digest_: str) -> None:
    """After a complete, successful build: what it read, and its fingerprint, in one transaction."""
    target = as_target(warehouse)
    schema = target.state_schema
    built_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    target.execute(
        [
            f"CREATE SCHEMA IF NOT EXISTS {schema}",
            f"DROP TABLE IF EXISTS {schema}.{TABLE}",
            f"CREATE TABLE {schema}.{TABLE} (fingerprint VARCHAR, built_at TIMESTAMP, run_id VARCHAR, "
            "manifest_digest VARCHAR)",
            f"INSERT INTO {schema}.{TABLE} VALUES "
            f"({quote_literal(fingerprint_)}, TIMESTAMP {quote_literal(built_at)}, {quote_literal(run_id)}, "
            f"{quote_literal(manifest_digest_)})",
            # Rewritten whole: keeping only the changed keys saved too little to keep (docs/decisions.md).
            f"DROP TABLE IF EXISTS {schema}.dbt_built_files",
            f"CREATE TABLE {schema}.dbt_built_files AS "
            "SELECT path, sha256, status, session_key FROM raw.ingested_files",
            f"DROP TABLE IF EXISTS {schema}.dbt_built_drivers",
            f"CREATE TABLE {schema}.dbt_built_drivers AS "
            "SELECT session_id, car_number, driver_order, driver_id "
            f"FROM {target.dbt_schema('marts')}.bridge_session_result_drivers",
        ]
    )
