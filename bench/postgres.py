"""PostgreSQL next to DuckDB: the full refresh and the one-new-event refresh of the same trees, on both
targets, in one invocation, alternating the targets round by round; writes a section of RESULTS.md.

    .venv/bin/python bench/postgres.py --raw raw --seasons 1 --rounds 2

The PostgreSQL server is the project's own (`pitwall db start`), in bench/runs/pg/ on a free port. Each
round starts both targets empty: a new DuckDB file; on PostgreSQL the schemas raw, build_* , marts and
meta dropped. The tree's last event is held out for the full refresh, then put back for the one-event
refresh (bench/run.py's workloads). Aim (issue 25): PostgreSQL ≤ 2 × DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))  # run as a script: `bench` and `orchestration` importable

from bench.run import GENERATOR, PITWALL, last_events, loadavg, measure, synthetic_tree  # noqa: E402

RUNS = BENCH / "runs"
SECTION = "## PostgreSQL and DuckDB"


def pitwall_db(env: dict, *args: str) -> str:
    done = subprocess.run([PITWALL, "db", *args], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def reset_postgres(url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname IN ('raw', 'marts', 'meta') OR nspname LIKE 'build%'"
        )
        for (schema,) in cur.fetchall():
            cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
        cur.execute("CREATE SCHEMA marts; CREATE SCHEMA meta")  # as `pitwall db start` leaves them
    conn.close()


def held_out(tree: Path) -> tuple[Path, Path]:
    """(the last event's folder in the tree, where it waits while held out)."""
    event = last_events(tree, 1)[0]
    return event, RUNS / "held" / tree.name / event.relative_to(tree)


def run_round(tree: Path, name: str, target: str, env: dict, work: Path) -> list:
    """Full refresh without the last event, then with it back: two samples."""
    event, away = held_out(tree)
    away.parent.mkdir(parents=True, exist_ok=True)
    home = work / f"dagster-{target}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    warehouse = work / f"{target}.duckdb"
    for stale in work.glob(f"{target}.duckdb*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    shutil.rmtree(work / "published", ignore_errors=True)
    if target == "postgres":
        reset_postgres(env["_WRITER_URL"])
    run_env = {k: v for k, v in env.items() if not k.startswith("_")}
    run_env.update({"DAGSTER_HOME": str(home), "PITWALL_TARGET": target, "PITWALL_WAREHOUSE": str(warehouse)})
    argv = [PITWALL, "refresh", "--raw", str(tree)]
    samples = []
    event.rename(away)
    try:
        samples.append(measure(f"{target}_full", name, argv, run_env, work / f"{target}-full.log"))
    finally:
        away.rename(event)
    samples.append(measure(f"{target}_one_event", name, argv, run_env, work / f"{target}-event.log"))
    return samples


def write_section(results: Path, rows: list[dict], info: dict) -> None:
    lines = [
        SECTION,
        "",
        f"`bench/postgres.py` ({info['date']}, commit {info['commit']}, {info['rounds']} round(s), targets "
        "alternating): `pitwall refresh` into an empty warehouse without the tree's last event (full), then "
        "with it back (one new event). Medians; the 1-minute load average before each run in brackets. "
        "Aim: PostgreSQL ≤ 2 × DuckDB.",
        "",
        "| tree | workload | DuckDB s | PostgreSQL s | PostgreSQL / DuckDB | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row["postgres"] / row["duckdb"]
        lines.append(
            f"| {row['tree']} | {row['workload']} | {row['duckdb']:.1f} [{row['duckdb_load']:.1f}] | "
            f"{row['postgres']:.1f} [{row['postgres_load']:.1f}] | {ratio:.2f} × | {'yes' if ratio <= 2 else '**no**'} |"
        )
    section = "\n".join(lines) + "\n"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    if SECTION in text:
        before, _, after = text.partition(SECTION)
        rest = after.split("\n## ", 1)
        text = before + section + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", action="append", type=Path, default=[], help="an Al Kamel tree (copied first)")
    parser.add_argument("--seasons", default="1", help="synthetic trees, by season count (comma-separated)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()

    trees: list[tuple[str, Path]] = []
    for raw in args.raw:
        copy = RUNS / "pg-trees" / raw.resolve().name
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(raw, copy)
        trees.append((f"raw:{raw.name}", copy))
    for seasons in [int(s) for s in args.seasons.split(",") if s.strip()]:
        trees.append((f"s{seasons}", synthetic_tree(seasons, GENERATOR["events_per_season"])))

    folder = RUNS / "pg"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    folder.chmod(0o755)  # as root the cluster belongs to the OS user postgres
    from socket import socket

    with socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PITWALL_POSTGRES_DIR": str(folder / "server"), "PITWALL_POSTGRES_PORT": str(port)}
    for name in ("PITWALL_POSTGRES_URL", "PITWALL_POSTGRES_READER_URL", "PITWALL_TARGET", "PITWALL_RAW_DIR"):
        env.pop(name, None)
    print(pitwall_db(env, "start"), flush=True)
    env["_WRITER_URL"] = pitwall_db(env, "url")
    samples = []
    try:
        for name, tree in trees:
            work = RUNS / "work" / f"pg-{name.replace(':', '-')}"
            work.mkdir(parents=True, exist_ok=True)
            for n in range(args.rounds):
                order = ("duckdb", "postgres") if n % 2 == 0 else ("postgres", "duckdb")
                for target in order:
                    samples += run_round(tree, name, target, env, work)
    finally:
        pitwall_db(env, "stop")
    failed = [s for s in samples if not s.ok]
    rows = []
    for name, _ in trees:
        for workload in ("full", "one_event"):
            row = {"tree": name, "workload": "full refresh" if workload == "full" else "one new event"}
            for target in ("duckdb", "postgres"):
                chosen = [s for s in samples if s.workload == name and s.contender == f"{target}_{workload}" and s.ok]
                row[target] = statistics.median(s.wall_s for s in chosen) if chosen else float("nan")
                row[f"{target}_load"] = statistics.median(s.load_before for s in chosen) if chosen else float("nan")
            rows.append(row)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit.stdout.strip(),
            "rounds": args.rounds}  # fmt: skip
    write_section(args.out, rows, info)
    out = RUNS / f"postgres-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps([s.__dict__ for s in samples], indent=1, default=str))
    print(f"{len(samples)} samples ({len(failed)} failed), load now {loadavg()[0]:.1f}: {out}; {args.out} updated")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
