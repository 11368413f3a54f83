"""A reader of the published copy, run as its own process by test_concurrent_readers.py.

    python published_reader.py MODE PUBLISHED_DB OUT_JSONL STOP_FILE [PITWALL WAREHOUSE]

Loops until STOP_FILE exists (then reads once more; it also stops if the process that started it
ends, or after MAX_SECONDS), appending one JSON line per read to OUT_JSONL:
``{"counts": {"schema.table": rows}, "meta": {"schema.table": rows}}`` or ``{"error": "..."}``.

Modes: ``duckdb`` (a new read-only connection per read), ``held`` (one connection for the whole
run), ``sqlalchemy`` (duckdb-engine, NullPool), ``pitwall`` (`pitwall sql --format json`),
``parquet`` (each marts Parquet file). Each is a separate process because DuckDB shares one open
database per file within a process: a connection held in the same process would pin the old copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

MAX_SECONDS = 1800  # a reader left behind by a test that died stops by itself

LOCKED = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


def parquet_files(folder: Path, mart: str) -> Path:
    """A mart's Parquet file, or the glob of its season files (a folder in the hive layout)."""
    return folder / mart / "*" / "*.parquet" if (folder / mart).is_dir() else folder / f"{mart}.parquet"


def tables_of(published: Path) -> list[str]:
    import duckdb

    con = duckdb.connect(str(published), read_only=True, config=LOCKED)
    try:
        return [
            f"{s}.{t}"
            for s, t in con.execute("SELECT table_schema, table_name FROM meta.publication ORDER BY 1, 2").fetchall()
        ]
    finally:
        con.close()


def counts_sql(tables: list[str]) -> str:
    counts = " UNION ALL ".join(f"SELECT '{t}' AS t, 'counts' AS kind, count(*) AS n FROM {t}" for t in tables)
    return (
        f"{counts} UNION ALL SELECT table_schema || '.' || table_name, 'meta', row_count FROM meta.publication "
        "ORDER BY 2, 1"
    )


def split(rows) -> dict:
    out: dict = {"counts": {}, "meta": {}}
    for table, kind, n in rows:
        out[kind][table] = int(n)
    return out


def main() -> None:
    mode, published, out_path, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    tables = tables_of(published)
    query = counts_sql(tables)
    held = None
    engine = None
    if mode == "held":
        import duckdb

        held = duckdb.connect(str(published), read_only=True, config=LOCKED)
    if mode == "sqlalchemy":
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        engine = sa.create_engine(
            f"duckdb:///{published}?access_mode=read_only&enable_external_access=false&lock_configuration=true",
            poolclass=NullPool,
        )

    def read() -> dict:
        if mode == "duckdb":
            import duckdb

            con = duckdb.connect(str(published), read_only=True, config=LOCKED)
            try:
                return split(con.execute(query).fetchall())
            finally:
                con.close()
        if mode == "held":
            return split(held.execute(query).fetchall())
        if mode == "sqlalchemy":
            import sqlalchemy as sa

            with engine.connect() as conn:
                return split(conn.execute(sa.text(query)).fetchall())
        if mode == "pitwall":
            pitwall, warehouse = sys.argv[5], sys.argv[6]
            done = subprocess.run(
                [pitwall, "sql", query, "--warehouse", warehouse, "--format", "json"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            if done.returncode != 0:
                raise RuntimeError(f"pitwall sql exit {done.returncode}: {done.stderr.strip()[-500:]}")
            return split((r["t"], r["kind"], r["n"]) for r in json.loads(done.stdout))
        if mode == "parquet":
            import duckdb

            con = duckdb.connect()
            try:
                folder = published.parent / "parquet"
                return {
                    "counts": {
                        t: con.execute(
                            f"SELECT count(*) FROM read_parquet('{parquet_files(folder, t.split('.')[1])}')"
                        ).fetchall()[0][0]
                        for t in tables
                        if t.startswith("marts.")
                    },
                    "meta": {},
                }
            finally:
                con.close()
        raise SystemExit(f"unknown mode {mode}")

    parent = os.getppid()
    deadline = time.monotonic() + MAX_SECONDS
    with out_path.open("a") as out:
        last = False
        while True:
            # stop when told, and never outlive the test: its process gone, or the time limit reached
            last = stop.exists() or os.getppid() != parent or time.monotonic() > deadline
            started = time.time()
            try:
                record = read()
            except Exception as exc:  # recorded, and the test fails on it
                record = {"error": f"{type(exc).__name__}: {exc}"}
            record["at"] = started
            out.write(json.dumps(record) + "\n")
            out.flush()
            if last:
                break
            time.sleep(0.25)  # a reader in a loop, not a load test: leave the CPU to the refresh
    if held is not None:
        held.close()


if __name__ == "__main__":
    main()
