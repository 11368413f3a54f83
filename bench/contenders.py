"""The baselines `bench/run.py` measures pitwall against, one per subcommand, each run in its own process.

    python bench/contenders.py limit  TREE WAREHOUSE   # the floor: bare DuckDB load of the same CSV files
    python bench/contenders.py pandas TREE WAREHOUSE   # peer: pandas.read_csv per file, then into DuckDB
    python bench/contenders.py union  TREE WAREHOUSE   # peer: DuckDB read_csv(union_by_name) over all files
    python bench/contenders.py bi     WAREHOUSE N      # five BI queries, N times each, on one read-only connection

Every loader reads every CSV data file under TREE (the files `pitwall ingest` reads; none of the
trees benchmarked holds JSON reports) and keeps every value as text, like pitwall's raw layer.
Each prints one JSON line on stdout: what it loaded (or the query latencies).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb


def csv_files(tree: Path) -> list[str]:
    return sorted(os.path.join(d, f) for d, _, names in os.walk(tree) for f in names if f.lower().endswith(".csv"))


def report_of(path: str) -> str:
    """The report a file holds, from its name (what a person writing a loader by hand would use)."""
    name = os.path.basename(path).lower()
    for key in ("time cards", "weather", "grid", "results"):
        if key in name:
            return key.replace(" ", "_")
    return "other"


def limit(tree: Path, warehouse: Path) -> dict:
    """One read_csv per distinct header line, explicit text columns, no sniffing, no lineage."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in csv_files(tree):
        with open(path, "rb") as fh:
            first = fh.readline()
        if first.strip():
            groups[first.decode("utf-8-sig", errors="replace").rstrip("\r\n")].append(path)
    con = duckdb.connect(str(warehouse))
    rows = 0
    for i, (header, files) in enumerate(groups.items()):
        columns = {f"c{j}": "VARCHAR" for j in range(len(header.split(";")))}
        con.execute(
            f"""CREATE TABLE t{i} AS SELECT * FROM read_csv($files, columns = $columns, delim = ';', skip = 1,
                    header = false, quote = '', escape = '', null_padding = true, auto_detect = false)""",
            {"files": files, "columns": columns},
        )
        rows += con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]
    con.close()
    return {"files": sum(len(f) for f in groups.values()), "groups": len(groups), "rows": rows}


def peer_pandas(tree: Path, warehouse: Path) -> dict:
    """pandas.read_csv of each file (all text), concatenated per report, each frame into DuckDB."""
    import pandas as pd

    frames: dict[str, list] = defaultdict(list)
    files = csv_files(tree)
    for path in files:
        try:
            frames[report_of(path)].append(
                pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
            )
        except pd.errors.EmptyDataError:
            continue
    con = duckdb.connect(str(warehouse))
    rows = 0
    for report, parts in frames.items():
        frame = pd.concat(parts, ignore_index=True)  # aligns columns by name
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {report} AS SELECT * FROM frame")
        con.unregister("frame")
        rows += len(frame)
    con.close()
    return {"files": len(files), "tables": len(frames), "rows": rows}


def peer_union(tree: Path, warehouse: Path) -> dict:
    """DuckDB read_csv over all files of a report at once, columns matched by name (union_by_name).

    Sniffing stays on (header, dialect); the dialect hints are the ones DuckDB's own error message
    asks for on these files (no quoting, rows padded), so that the load completes at all.
    """
    by_report: dict[str, list[str]] = defaultdict(list)
    files = csv_files(tree)
    for path in files:
        by_report[report_of(path)].append(path)
    con = duckdb.connect(str(warehouse))
    rows = 0
    for report, paths in by_report.items():
        con.execute(
            f"CREATE TABLE {report} AS SELECT * FROM read_csv($files, delim = ';', header = true, "
            f"union_by_name = true, all_varchar = true, quote = '', escape = '', null_padding = true)",
            {"files": paths},
        )
        rows += con.execute(f"SELECT count(*) FROM {report}").fetchone()[0]
    con.close()
    return {"files": len(files), "tables": len(by_report), "rows": rows}


# The questions a results site or a BI dashboard asks most. {season}/{session} are filled in from
# the warehouse itself (the latest season; its last race with the most laps) before timing.
BI_QUERIES = {
    "standings": """
        select position, d.full_name, points_counted, wins, podiums, gap_to_leader
        from marts.season_driver_standings s join marts.dim_drivers d using (driver_id)
        where s.series_id = $series and s.season = $season and s.class_id = $class
          and s.round_number = (select max(round_number) from marts.season_driver_standings
                                where series_id = $series and season = $season)
        order by position""",
    "career": """
        select d.full_name, c.series_id, c.starts, c.wins, c.podiums, c.poles, c.laps_led
        from marts.driver_career_stats c join marts.dim_drivers d using (driver_id)
        where c.driver_id = $driver and c.class_id is null""",
    "lap_chart": """
        select lap_number, car_number, overall_position
        from marts.fct_laps where session_id = $session order by car_number, lap_number""",
    "race_result": """
        select r.finish_position, r.class_position, r.car_number, t.team_name, r.laps, r.points
        from marts.fct_session_results r join marts.dim_teams t using (team_id)
        where r.session_id = $session order by r.finish_position""",
    "fastest_laps": """
        select e.event_name, l.car_number, min(l.lap_time_ms) as best_ms
        from marts.fct_laps l join marts.dim_sessions s using (session_id) join marts.dim_events e using (event_id)
        where e.series_id = $series and e.season = $season and s.session_type = 'race'
        group by all order by e.event_name, best_ms limit 200""",
}


def bi(warehouse: Path, times: int) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    # A series season with standings if there is one (a series without a points system has none: the
    # synthetic series), else the latest with the most race results; the standings query then finds no rows.
    series, season = (
        con.execute(
            "select series_id, season from marts.season_driver_standings "
            "group by all order by season desc, count(*) desc, series_id limit 1"
        ).fetchone()
        or con.execute(
            "select series_id, season from marts.fct_session_results where session_type = 'race' "
            "group by all order by season desc, count(*) desc, series_id limit 1"
        ).fetchone()
    )
    (session,) = con.execute(
        "select l.session_id from marts.fct_laps l join marts.dim_sessions s using (session_id) "
        "where s.session_type = 'race' and s.series_id = $series and s.season = $season "
        "group by l.session_id, s.start_at order by s.start_at desc, count(*) desc limit 1",
        {"series": series, "season": season},
    ).fetchone()
    (klass,) = con.execute(
        "select class_id from marts.fct_session_results where series_id = $series and season = $season "
        "group by all order by count(*) desc, class_id limit 1",
        {"series": series, "season": season},
    ).fetchone()
    (driver,) = con.execute(
        "select driver_id from marts.driver_career_stats where series_id = $series and class_id is null "
        "order by starts desc, driver_id limit 1",
        {"series": series},
    ).fetchone()
    params = {"series": series, "season": season, "session": session, "class": klass, "driver": driver}
    out = {}
    for name, sql in BI_QUERIES.items():
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        samples, rows = [], 0
        for _ in range(times):
            started = time.perf_counter()
            rows = len(con.execute(sql, used).fetchall())
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
        out[name] = {
            "rows": rows,
            "p50_ms": statistics.median(samples),
            "p95_ms": p95,
            "max_ms": samples[-1],
            "n": times,
        }
    con.close()
    return {"queries": out, "params": {k: str(v) for k, v in params.items()}}


def main(argv: list[str]) -> int:
    what = argv[0]
    if what == "bi":
        result = bi(Path(argv[1]), int(argv[2]))
    else:
        tree, warehouse = Path(argv[1]), Path(argv[2])
        result = {"limit": limit, "pandas": peer_pandas, "union": peer_union}[what](tree, warehouse)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
