"""What each bespoke incremental model saves in a one-new-event refresh (issue 27, item 2).

    .venv/bin/python bench/incrementals.py [--seasons 1,20] [--rounds 3] [--headline-rounds 3]

For each synthetic tree (bench/run.py's, reused from bench/runs/trees/): the last two events are held
out, `pitwall refresh` builds the warehouse, the event before the last is put back and refreshed (the
state a user's one-event refresh starts from); then the last event is put back and ingested alone
(`pitwall ingest`): the warehouse as a refresh hands it to dbt. From copies of that file, always at the
same path, `dbt build` runs as the refresh runs it (incremental, not --full-refresh) with the project as
it is (`as is`) and with one model made a plain table (`plain <model>`: its config replaced by
`materialized='table'`, so is_incremental() is false and its filters fall away, the full-refresh code),
alternating within each round. Each project is a scratch copy (bench/runs/incrementals/projects/),
parsed once unmeasured. Per run: the model's execution_time and that of the tests attached to it
(target/run_results.json), the sum over all nodes and the dbt process's wall time, with the 1-minute
load average before it. A plain table's rows are checked equal to the incremental one's (count and
hash). Then, with --headline-rounds, the whole one-new-event `pitwall refresh` of the smallest and
largest trees, alternating (small, big, big, small, ...), each from the saved state before the event.

Samples go to bench/runs/incrementals-<stamp>.json; a markdown summary is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run import (  # noqa: E402
    PITWALL,
    PY,
    RUNS,
    Workload,
    last_events,
    loadavg,
    measure,
    pitwall_env,
    restore_warehouse,
    save_warehouse,
    settle,
    synthetic_tree,
    warm_dbt_parse,
)

MODELS = {
    "int_drivers_identified": "models/intermediate/int_drivers_identified.sql",
    "race_notes": "models/marts/season/race_notes.sql",
    "driver_career_stats": "models/marts/season/driver_career_stats.sql",
}
DBT = str(Path(PY).parent / "dbt")
WORK = RUNS / "incrementals"
CONFIG = re.compile(r"^\{\{ config\($.*?^\) \}\}$", re.S | re.M)  # the models' config block, closed on its own line


def project_copy(variant: str, model: str | None) -> Path:
    """A scratch copy of dbt_project/, with `model` made a plain table."""
    dest = WORK / "projects" / variant.replace(" ", "_")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REPO / "dbt_project", dest, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    if model:
        sql = dest / MODELS[model]
        text, n = CONFIG.subn("{{ config(materialized='table') }}", sql.read_text(), count=1)
        assert n == 1, f"no config block in {sql}"
        sql.write_text(text)
    return dest


def dbt_argv(command: str, project: Path) -> list[str]:
    return [
        DBT,
        command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(project / "target" / "bench"),
    ]


def dbt_env(warehouse: Path) -> dict:
    env = dict(os.environ)
    env["PITWALL_WAREHOUSE"] = str(warehouse.resolve())
    return env


def node_times(project: Path, models: list[str]) -> dict:
    """From the last run's artifacts: per model, its execution_time and that of its tests; all nodes."""
    target = project / "target" / "bench"
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    times = {r["unique_id"]: r["execution_time"] for r in results}
    statuses = {r["status"] for r in results}
    out = {"all_nodes_s": sum(times.values()), "statuses": sorted(statuses)}
    for model in models:
        uid = f"model.pitwall.{model}"
        tests = [u for u, n in nodes.items() if n["resource_type"] == "test" and uid in n["depends_on"]["nodes"]]
        out[model] = {"model_s": times.get(uid), "tests_s": sum(times.get(t, 0.0) for t in tests), "tests": len(tests)}
    return out


def table_fingerprint(warehouse: Path, project: Path, model: str) -> tuple[int, int]:
    import duckdb

    nodes = json.loads((project / "target" / "bench" / "manifest.json").read_text())["nodes"]
    relation = nodes[f"model.pitwall.{model}"]["relation_name"]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        count, total = con.execute(f"select count(*), sum(hash(t)) from {relation} as t").fetchone()
    finally:
        con.close()
    return count, int(total or 0)


def checked(s):
    if not s.ok:
        raise SystemExit(f"{s.contender} failed: {s.note}")
    return s


def prepare(seasons: int, events: int, reuse: bool = False) -> dict:
    """Warehouses of one tree: `before` (refreshed up to the event before the last, published) and
    `ingested` (that, with the last event ingested, dbt not run)."""
    tree = synthetic_tree(seasons, events)
    held_root = RUNS / "held" / tree.name
    for died in held_root.glob("*/*"):  # a run that died left these out
        died.rename(tree / died.relative_to(held_root))
    event, before = last_events(tree, 2)
    w = Workload(
        f"s{seasons}",
        tree,
        seasons,
        [(event, held_root / event.relative_to(tree))],
        [(before, held_root / before.relative_to(tree))],
    )
    work = WORK / w.name
    home = work / "dagster_home"
    main = work / "refresh" / "pitwall.duckdb"
    ingested = work / "ingested" / "pitwall.duckdb"
    done = work / "prepared.json"
    if reuse and done.exists():
        sealed = json.loads(done.read_text())["sealed"]
        return {"workload": w, "work": work, "home": home, "main": main, "sealed": sealed, "ingested": ingested}
    if work.exists():
        shutil.rmtree(work)
    (work / "logs").mkdir(parents=True)
    main.parent.mkdir()
    refresh = [PITWALL, "refresh", "--raw", str(tree), "--warehouse", str(main)]
    w.hold_out(earlier=True)
    try:
        checked(measure("refresh_full", w.name, refresh, pitwall_env(home), work / "logs" / "refresh_full.log"))
        w.put_back(earlier_only=True)
        checked(measure("refresh_prev_event", w.name, refresh, pitwall_env(home), work / "logs" / "refresh_prev.log"))
        sealed = save_warehouse(main, work / "before")
        ingested.parent.mkdir()
        shutil.copy2(main, ingested)
        w.put_back()
        checked(
            measure(
                "ingest_event",
                w.name,
                [PITWALL, "ingest", "--raw", str(tree), "--warehouse", str(ingested)],
                pitwall_env(home),
                work / "logs" / "ingest_event.log",
            )
        )
    finally:
        w.hold_out()
    done.write_text(json.dumps({"sealed": sealed}))
    return {"workload": w, "work": work, "home": home, "main": main, "sealed": sealed, "ingested": ingested}


def run_variants(ws: dict, projects: dict[str, Path], rounds: int, samples: list) -> None:
    w, work = ws["workload"], ws["work"]
    run = work / "run" / "pitwall.duckdb"  # one path: dbt's partial parsing keys on the profile
    run.parent.mkdir(exist_ok=True)
    order = list(projects)
    for project in projects.values():  # unmeasured: parse, so each measured run parses partially
        shutil.copy2(ws["ingested"], run)
        subprocess.run(dbt_argv("parse", project) + ["--quiet"], env=dbt_env(run), check=True, capture_output=True)
    reference: dict[str, tuple[int, int]] = {}
    for r in range(rounds):
        for variant in order if r % 2 == 0 else order[::-1]:
            project = projects[variant]
            for stale in run.parent.glob("pitwall.duckdb*"):
                stale.unlink()
            shutil.copy2(ws["ingested"], run)
            settle()
            s = measure(
                f"dbt_build[{variant}]",
                w.name,
                dbt_argv("build", project),
                dbt_env(run),
                work / "logs" / f"dbt-{variant.replace(' ', '_')}-{r}.log",
            )
            s.extra = {"variant": variant, "round": r, **node_times(project, list(MODELS))}
            model = variant.removeprefix("plain ") if variant.startswith("plain ") else None
            if r == 0:  # the plain table's rows equal the incremental one's
                for m in [model] if model else MODELS:
                    fp = table_fingerprint(run, project, m)
                    if model:
                        s.extra["same_rows_as_incremental"] = fp == reference.get(m)
                    else:
                        reference[m] = fp
            samples.append(s)
            times = ", ".join(f"{m} {s.extra[m]['model_s']:.2f}+{s.extra[m]['tests_s']:.2f}" for m in MODELS)
            print(f"      {variant}: {times}; all nodes {s.extra['all_nodes_s']:.1f} s", flush=True)


def run_headline(prepared: list[dict], rounds: int, samples: list) -> None:
    small, big = prepared[0], prepared[-1]
    for r in range(rounds):
        for ws in (small, big) if r % 2 == 0 else (big, small):
            w, main = ws["workload"], ws["main"]
            restore_warehouse(ws["work"] / "before", main, ws["sealed"])
            warm_dbt_parse(main, ws["home"])
            settle()
            w.put_back()
            try:
                s = measure(
                    "refresh_inc_paired",
                    w.name,
                    [PITWALL, "refresh", "--raw", str(w.tree), "--warehouse", str(main)],
                    pitwall_env(ws["home"]),
                    ws["work"] / "logs" / f"refresh_inc-{r}.log",
                )
            finally:
                w.hold_out()
            s.extra["round"] = r
            samples.append(s)


def summary(samples: list[dict]) -> str:
    """Medians; the saving is the median of each round's plain - incremental (model + its tests)."""

    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    def cost(s, model):
        return s["extra"][model]["model_s"] + s["extra"][model]["tests_s"]

    lines = [
        "| model | seasons | incremental: model + tests (tests) | plain: model + tests (tests) | saving | "
        "saving per round | dbt wall as is / plain | load (1 min) |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    workloads = sorted({s["workload"] for s in samples}, key=lambda x: int(x[1:]))
    for model in MODELS:
        for wl in workloads:
            a = {
                s["extra"]["round"]: s for s in samples if s["workload"] == wl and s["extra"].get("variant") == "as is"
            }
            b = {
                s["extra"]["round"]: s
                for s in samples
                if s["workload"] == wl and s["extra"].get("variant") == f"plain {model}"
            }
            rounds = sorted(set(a) & set(b))
            if not rounds:
                continue
            savings = [cost(b[r], model) - cost(a[r], model) for r in rounds]
            inc, plain = med([cost(a[r], model) for r in rounds]), med([cost(b[r], model) for r in rounds])
            inc_t = med([a[r]["extra"][model]["tests_s"] for r in rounds])
            plain_t = med([b[r]["extra"][model]["tests_s"] for r in rounds])
            loads = [s["load_before"] for r in rounds for s in (a[r], b[r])]
            lines.append(
                f"| {model} | {wl[1:]} | {inc:.2f} ({inc_t:.2f}) | {plain:.2f} ({plain_t:.2f}) | "
                f"{med(savings):+.2f} | {', '.join(f'{x:+.2f}' for x in savings)} | "
                f"{med([a[r]['wall_s'] for r in rounds]):.1f} / {med([b[r]['wall_s'] for r in rounds]):.1f} | "
                f"{min(loads):.1f}–{max(loads):.1f} |"
            )
    head = [s for s in samples if s["contender"] == "refresh_inc_paired"]
    if head:
        lines += ["", "| one-new-event refresh | runs (s) | median | load (1 min) |", "|---|---|---:|---:|"]
        for wl in workloads:
            xs = [s for s in head if s["workload"] == wl]
            if xs:
                walls = ", ".join(f"{s['wall_s']:.1f}" for s in xs)
                loads = ", ".join(f"{s['load_before']:.1f}" for s in xs)
                lines.append(f"| {wl} | {walls} | {med([s['wall_s'] for s in xs]):.1f} | {loads} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seasons", default="1,20")
    p.add_argument("--events-per-season", type=int, default=14)
    p.add_argument("--rounds", type=int, default=3, help="rounds of the dbt builds (as is and each plain model)")
    p.add_argument("--headline-rounds", type=int, default=3, help="paired one-new-event refreshes (0: none)")
    p.add_argument("--models", default=",".join(MODELS), help="models to make plain, one variant each")
    p.add_argument("--reuse", action="store_true", help="reuse the warehouses a previous invocation prepared")
    p.add_argument(
        "--from-json", type=Path, nargs="+", help="print the summary of earlier invocations (their rounds pooled)"
    )
    args = p.parse_args(argv)
    if args.from_json:
        pooled = []
        for i, path in enumerate(args.from_json):
            for s in json.loads(path.read_text())["samples"]:
                if "round" in s["extra"]:
                    s["extra"]["round"] += 1000 * i
                pooled.append(s)
        print(summary(pooled))
        return 0
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RUNS / f"incrementals-{stamp}.json"
    info = {
        "argv": sys.argv,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
        "load_start": loadavg(),
    }
    samples = []
    projects = {"as is": project_copy("as is", None)}
    for m in [m for m in args.models.split(",") if m]:
        projects[f"plain {m}"] = project_copy(f"plain {m}", m)
    prepared = []

    def save() -> None:
        out.write_text(json.dumps({"info": info, "samples": [asdict(s) for s in samples]}, indent=1))

    try:
        for n in [int(x) for x in args.seasons.split(",") if x.strip()]:
            print(f"== {n} seasons", flush=True)
            ws = prepare(n, args.events_per_season, args.reuse)
            prepared.append(ws)
            run_variants(ws, projects, args.rounds, samples)
            save()
        if args.headline_rounds and len(prepared) > 1:
            print("== headline: one-new-event refresh, paired", flush=True)
            run_headline(prepared, args.headline_rounds, samples)
    finally:
        for ws in prepared:
            ws["workload"].put_back()
        info["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
        save()
    print(f"\n{out}\n")
    print(summary(json.loads(out.read_text())["samples"]))
    return 0 if all(s.ok for s in samples) else 1


if __name__ == "__main__":
    sys.exit(main())
