"""A small hand-made warehouse for the publication tests."""

from __future__ import annotations

from pathlib import Path

import duckdb


def make_build(path: Path, laps: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        for schema in ("marts", "raw", "staging", "reference"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute("CREATE OR REPLACE TABLE raw.time_cards AS SELECT range AS n FROM range(10)")
        con.execute(
            "CREATE OR REPLACE TABLE raw.ingested_files AS SELECT * FROM (VALUES ('a.csv', 'loaded', NULL), "
            "('b.csv', 'quarantined', 'empty file')) t(path, status, reason)"
        )
        con.execute("CREATE OR REPLACE VIEW staging.stg AS SELECT * FROM raw.time_cards")
        con.execute("CREATE OR REPLACE TABLE reference.points AS SELECT 1 AS position, 35 AS points")
        con.execute(
            f"CREATE OR REPLACE TABLE marts.fct_laps AS SELECT range::INTEGER AS lap_number, 'car ''7' AS car, "
            f"90.5 + range AS lap_s, NULL::VARCHAR AS flag, 's1' AS session_id FROM range({laps})"
        )
        # fct_laps is published one Parquet file per season, the season of its session
        con.execute("CREATE OR REPLACE TABLE marts.dim_sessions AS SELECT 's1' AS session_id, 2024 AS season")
        con.execute(
            "CREATE OR REPLACE TABLE marts.standings AS SELECT * FROM (VALUES ('d1', 1, 35::HUGEINT), "
            "('d2', 1, 32::HUGEINT)) t(driver_id, round_number, points)"
        )
        con.execute("CREATE OR REPLACE VIEW marts.a_view AS SELECT * FROM marts.standings")
    finally:
        con.close()
    return path
