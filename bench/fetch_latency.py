"""Latency: a file posted on the results site -> fetched -> in the published marts, with Dagster's
daemon running the fetch sensor and the raw files sensor.

    .venv/bin/python bench/fetch_latency.py [--interval 20] [--trials 3] [--out bench/runs/fetch-latency.json]
                                            [--results bench/RESULTS.md] [--render-only JSON]

A local Apache site (tests/apache_site.py, needs Debian's apache2) serves a copy of raw/ without the
race results of three sessions. A temporary raw root, warehouse and Dagster instance are filled
first (`pitwall fetch`, `pitwall refresh`: not measured). Then `dagster-daemon run` starts with
PITWALL_FETCH=on and the fetch interval given; once its first runs are over, each trial copies one
held-out results file into the site and polls the published copy (warehouse/published/pitwall.duckdb,
a fresh read-only connection every 0.25 s) until the session's rows are in marts.fct_session_results.
The runs' times from the Dagster instance split each latency into: waiting for the fetch sensor's
tick, the fetch run, waiting for the raw sensor's tick and the queue, and the refresh run. The
figures go to --out (JSON) and to the "Fetch latency" section of --results (bench/run.py keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "tests"))  # the local Apache site of the tests

from apache_site import ApacheSite, available  # noqa: E402

PITWALL = str(Path(sys.executable).parent / "pitwall")
DAEMON = str(Path(sys.executable).parent / "dagster-daemon")
HELD_OUT = [
    "24_2024/14_Road America/01_IMSA WeatherTech SportsCar Championship/202408041410_Race/03_Results_Race_Official.CSV",
    "24_2024/12_Watkins Glen International/01_IMSA WeatherTech SportsCar Championship/202406231110_Race/03_Results_Race_Official.CSV",
    "24_2024/10_Canadian Grand Prix/02_Porsche Carrera Cup North America/202406091020_Race 2/03_Results_Race 2_Official.CSV",
]
ROWS = (
    "select count(*) from marts.fct_session_results r join marts.dim_sessions s on s.session_id = r.session_id "
    "where s.season = 2024 and s.session_folder = ?"
)


def published_rows(published: Path, session_folder: str) -> int:
    import duckdb

    try:
        con = duckdb.connect(str(published), read_only=True)
    except duckdb.Error:
        return -1  # being renamed into place, or not there yet
    try:
        return con.execute(ROWS, [session_folder]).fetchone()[0]
    finally:
        con.close()


def runs(home: Path) -> list[dict]:
    """Every run of the instance with its job, status and times (epoch seconds)."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        return [
            {
                "job": r.dagster_run.job_name,
                "status": r.dagster_run.status.value,
                "created": r.create_timestamp.timestamp(),
                "started": r.start_time,
                "ended": r.end_time,
                "run_id": r.dagster_run.run_id,
            }
            for r in instance.get_run_records()
        ]


def settled(home: Path) -> bool:
    all_runs = runs(home)
    done = {"SUCCESS", "FAILURE", "CANCELED"}
    return (
        any(r["job"] == "fetch_and_refresh" and r["status"] == "SUCCESS" for r in all_runs)
        and any(r["job"] == "refresh_warehouse" and r["status"] in done for r in all_runs)
        and all(r["status"] in done for r in all_runs)
    )


COLUMNS = [
    ("latency_s", "posted → in the marts"),
    ("wait_fetch_tick_s", "wait for the fetch tick"),
    ("fetch_run_until_file_s", "fetch run until the file is in raw/"),
    ("wait_raw_sensor_s", "wait for the raw sensor"),
    ("refresh_queue_and_start_s", "refresh queued and starting"),
    ("refresh_until_published_s", "refresh until published"),
]


def write_section(results: Path, summary: dict) -> None:
    """Replace (or add) RESULTS.md's '## Fetch latency' section with this run's figures."""
    lines = [
        "## Fetch latency",
        "",
        f"Written by `bench/fetch_latency.py` on {summary['when']}: `{summary['command']}`. A results file copied into "
        "a local Apache site (a copy of `raw/`, 2023 and 2024, 48 folder pages) until its session's rows are in "
        "`marts.fct_session_results` of the published copy, with `dagster-daemon run` running `fetch_sensor` "
        f"(interval {summary['interval_s']} s, pause 0.2 s between requests) and `raw_files_sensor` (15 s). Seconds:",
        "",
        "| file | " + " | ".join(label for _, label in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for trial in summary["trials"]:
        lines.append(
            f"| `{trial['file'].split('/', 2)[1]} … {trial['file'].rsplit('/', 1)[1]}` | "
            + " | ".join(f"{trial[key]}" for key, _ in COLUMNS)
            + " |"
        )
    load = ", ".join(f"{x:.1f}" for x in summary["loadavg"])
    lines += [
        "",
        f"Median **{summary['median_latency_s']} s**, longest {summary['max_latency_s']} s; load average at the end "
        f"{load} (1/5/15 min) on 2 CPUs. The first refresh (not measured) took {summary.get('first_refresh_s', '?')} s.",
        "",
    ]
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    start = text.find("\n## Fetch latency")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + text[end + 1 :] if end >= 0 else text[: start + 1]
    results.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interval", type=int, default=20, help="PITWALL_FETCH_INTERVAL for the run (seconds)")
    parser.add_argument("--trials", type=int, default=3, choices=range(1, len(HELD_OUT) + 1))
    parser.add_argument("--out", type=Path, default=BENCH / "runs" / "fetch-latency.json")
    parser.add_argument("--results", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument(
        "--render-only", type=Path, metavar="JSON", help="write --results from a saved --out file, measure nothing"
    )
    args = parser.parse_args()
    if args.render_only:
        write_section(args.results, json.loads(args.render_only.read_text()))
        return
    why = available()
    if why:
        sys.exit(why)

    work = Path(tempfile.mkdtemp(prefix="pitwall-fetch-latency-"))
    raw, warehouse, home = work / "raw", work / "warehouse" / "pitwall.duckdb", work / "dagster_home"
    published = warehouse.parent / "published" / "pitwall.duckdb"
    site = ApacheSite()
    held = work / "held"
    daemon: subprocess.Popen | None = None
    finished = False
    try:
        for season in ("23_2023", "24_2024"):
            site.publish(REPO / "raw" / season)
        for rel in HELD_OUT:
            (held / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(site.results / rel, held / rel)
        past = time.time() - 3600
        for path in site.results.rglob("*"):
            os.utime(path, (past, past))
        site.start()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PITWALL_")},
            "PITWALL_RAW_DIR": str(raw),
            "PITWALL_WAREHOUSE": str(warehouse),
            "DAGSTER_HOME": str(home),
            "PITWALL_FETCH": "on",
            "PITWALL_FETCH_SITE": site.url,
            "PITWALL_FETCH_SEASONS": "2023,2024",
            "PITWALL_FETCH_INTERVAL": str(args.interval),
        }
        print(f"site {site.url}; work folder {work}", flush=True)
        subprocess.run(
            [PITWALL, "fetch", "--site", site.url, "--season", "all"], env=env, check=True, capture_output=True
        )
        started = time.perf_counter()
        subprocess.run([PITWALL, "refresh"], env=env, check=True, capture_output=True, cwd=REPO)
        first_refresh = round(time.perf_counter() - started, 1)
        print(f"first refresh: {first_refresh} s", flush=True)

        daemon = subprocess.Popen(
            [DAEMON, "run", "-w", str(REPO / "workspace.yaml")],
            cwd=REPO,
            env=env,
            start_new_session=True,
            stdout=open(work / "daemon.log", "wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 300
        while not settled(home):
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError(f"the daemon's first runs did not settle; see {work / 'daemon.log'}")
            time.sleep(1)
        print("daemon settled (first fetch run and raw-sensor refresh over)", flush=True)

        trials = []
        for rel in HELD_OUT[: args.trials]:
            time.sleep(args.interval / 3)  # not in step with the sensor's ticks
            session_folder = rel.split("/")[-2]
            assert published_rows(published, session_folder) == 0
            before = {r["run_id"] for r in runs(home)}
            posted = time.time()
            shutil.copyfile(held / rel, site.results / rel)
            site.open_up()
            while published_rows(published, session_folder) <= 0:
                if time.time() - posted > 600:
                    raise RuntimeError(f"{rel} not published after 600 s; see {work / 'daemon.log'}")
                time.sleep(0.25)
            seen = time.time()
            while not all(
                r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs(home) if r["job"] == "refresh_warehouse"
            ):
                time.sleep(1)  # the refresh draws its charts after publishing: let it end before the next trial
            fetched = (raw / rel).stat().st_mtime  # renamed into place by the fetch run
            new = sorted(
                (r for r in runs(home) if r["run_id"] not in before or r["ended"] is None or r["ended"] >= posted),
                key=lambda r: r["created"],
            )
            fetch = next(
                r
                for r in new
                if r["job"] == "fetch_and_refresh" and r["started"] and r["started"] <= fetched <= (r["ended"] or seen)
            )
            refresh = next(r for r in new if r["job"] == "refresh_warehouse" and r["created"] >= fetched)
            trial = {
                "file": rel,
                "latency_s": round(seen - posted, 1),
                # posted -> the fetch run that got it was created (the sensor's tick; 0 if a run was already under way)
                "wait_fetch_tick_s": round(max(0.0, fetch["created"] - posted), 1),
                "fetch_run_until_file_s": round(fetched - max(fetch["created"], posted), 1),
                "wait_raw_sensor_s": round(refresh["created"] - fetched, 1),
                "refresh_queue_and_start_s": round(refresh["started"] - refresh["created"], 1),
                "refresh_until_published_s": round(seen - refresh["started"], 1),
            }
            trials.append(trial)
            print(json.dumps(trial), flush=True)
        latencies = [t["latency_s"] for t in trials]
        summary = {
            "interval_s": args.interval,
            "trials": trials,
            "median_latency_s": statistics.median(latencies),
            "max_latency_s": max(latencies),
            "loadavg": os.getloadavg(),
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "first_refresh_s": first_refresh,
            "command": "bench/fetch_latency.py " + " ".join(sys.argv[1:]),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=1))
        write_section(args.results, summary)
        print(
            f"latency: median {summary['median_latency_s']} s, max {summary['max_latency_s']} s "
            f"(fetch interval {args.interval} s); written to {args.out}"
        )
        finished = True
    finally:
        if daemon is not None and daemon.poll() is None:
            os.killpg(daemon.pid, signal.SIGINT)  # the daemon's own session: it and the code server it started
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        site.close()
        if finished:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept for a look: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
