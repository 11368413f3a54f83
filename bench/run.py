"""Benchmark: ingestion and refresh of pitwall side by side with the limit and the peers, in one run.

    .venv/bin/python bench/run.py [--raw DIR ...] [--seasons 1,5,20] [--repeat 3] [--repeat-heavy 1]
                                  [--quick] [--out bench/RESULTS.md]

Workloads: every tree given with --raw (as it is), and one synthetic tree per --seasons value,
written by the seeded generator (bench/synthetic) into bench/runs/trees/ and reused when
already there. Of each synthetic tree, the last two events of the last season (all their series)
are held out (bench/runs/held/): the ingestion contenders and the full refresh read the rest; then
the event before the last is put back and refreshed (refresh_prev_event: a user's refresh before the
one measured, which leaves the published folder as every refresh but the first does: a sealed copy
that orchestration/publish updates by session), and the last event measures the incremental refresh: it is put back,
refreshed, taken out.

Contenders, each a separate process, measured for wall time, CPU time (user + sys of the process
and the children it waited for, e.g. dbt) and peak RSS (the sum over the process tree, sampled every
50 ms from /proc; Linux only):

    limit         bench/contenders.py limit: one DuckDB read_csv per distinct header, text, no lineage
    pandas        bench/contenders.py pandas: pandas.read_csv per file, concatenated, into DuckDB
    union         bench/contenders.py union: DuckDB read_csv(union_by_name) over all files of a report
    ingest        pitwall ingest, from an empty warehouse
    refresh_full  pitwall refresh, from an empty warehouse (ingest + dbt build + whatever the job holds)
    refresh_noop  pitwall refresh again, nothing new (the fixed cost)
    refresh_prev_event  pitwall refresh after the event before the last is put back (synthetic trees)
    refresh_inc   pitwall refresh after the held-out last event is put back (synthetic trees)
    refresh_inc_paired  the same, again, once every workload is done: the smallest and the largest
                  synthetic trees alternating (small, big, big, small, ...), so that the headline ratio
                  divides two refreshes measured minutes apart, not two phases of the run
    refresh_inc_paired_noseals, _fresh  (--publication-variants) the paired refresh with the
                  publication's seals or the whole previous copy taken away first
    bi            bench/contenders.py bi: five BI queries on the published copy (or the warehouse)

Within a repeat the light contenders run interleaved (limit, pandas, union, ingest, limit, ...), so a
burst of load from elsewhere on the machine hits all of them alike. Medians are reported, with the
1-minute load average read before each measurement. Raw numbers go to bench/runs/results-*.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orchestration.publish import files

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as bench/run.py: the generator is the package bench.synthetic

from bench.synthetic import TREE_VERSION  # noqa: E402

RUNS = BENCH / "runs"
PY = sys.executable
PITWALL = str(Path(sys.executable).parent / "pitwall")

LIGHT = ["limit", "pandas", "union", "ingest"]
GENERATOR = dict(seed=1, series=8, events_per_season=14, cars=40)


# ------------------------------------------------------------------------------------ measuring


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


@dataclass
class Sample:
    contender: str
    workload: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    load_before: float
    load_after: float
    ok: bool
    note: str = ""
    extra: dict = field(default_factory=dict)


def measure(contender: str, workload: str, argv: list[str], env: dict | None = None, log: Path | None = None) -> Sample:
    load_before = loadavg()[0]
    out = open(log, "w") if log else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=out, env=env, cwd=REPO, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if log:
        out.close()
        with open(log, "a") as fh:
            fh.write("\n--- stdout ---\n" + stdout)
    peak_mb = max(peak[0], usage.ru_maxrss * 1024) / 2**20
    extra = {}
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    if last.startswith("{"):
        try:
            extra = json.loads(last)
        except json.JSONDecodeError:
            pass
    extra.update(refresh_facts(stdout, log))
    sample_ = Sample(
        contender,
        workload,
        wall,
        usage.ru_utime + usage.ru_stime,
        peak_mb,
        load_before,
        loadavg()[0],
        proc.returncode == 0,
        "" if proc.returncode == 0 else f"exit {proc.returncode}, see {log}",
        extra,
    )
    state = "ok" if sample_.ok else "FAILED"
    print(
        f"  {workload:>10} {contender:<13} {wall:8.2f} s wall {sample_.cpu_s:8.2f} s cpu "
        f"{peak_mb:8.0f} MB  load {load_before:.1f}->{sample_.load_after:.1f}  {state}",
        flush=True,
    )
    return sample_


def refresh_facts(stdout: str, log: Path | None) -> dict:
    """What a `pitwall refresh` printed about its steps: run time, dbt command, publication time."""
    facts: dict = {}
    for line in stdout.splitlines():
        m = re.search(r"^run \S+ (?:succeeded|FAILED) in ([\d.]+) s", line)
        if m:
            facts["run_s"] = float(m.group(1))
        m = re.search(r"^published: .* in ([\d.]+) s", line)
        if m:
            facts["publish_s"] = float(m.group(1))
        if line.startswith("dbt: "):
            facts["dbt"] = line[5:].strip()
    if log and log.exists():
        m = re.findall(r"Running dbt command: `[^`]*? (build[^`]*)`", log.read_text(errors="replace"))
        if m:
            facts["dbt_command"] = m[-1]
    return facts


# ------------------------------------------------------------------------------------ workloads


@dataclass
class Workload:
    name: str
    tree: Path
    synthetic_seasons: int | None = None
    held: list[tuple[Path, Path]] = field(default_factory=list)  # (in the tree, held-out place): the event measured
    earlier: list[tuple[Path, Path]] = field(default_factory=list)  # the event refreshed before it

    def hold_out(self, earlier: bool = False) -> None:
        """Take the measured event out of the tree (and with `earlier`, the one before it)."""
        for inside, outside in self.held + (self.earlier if earlier else []):
            if inside.exists():
                outside.parent.mkdir(parents=True, exist_ok=True)
                inside.rename(outside)

    def put_back(self, earlier_only: bool = False) -> None:
        for inside, outside in self.earlier if earlier_only else self.held + self.earlier:
            if outside.exists():
                outside.rename(inside)


def synthetic_tree(seasons: int, events_per_season: int) -> Path:
    params = dict(GENERATOR, events_per_season=events_per_season)
    tag = (
        f"s{seasons}-seed{params['seed']}-series{params['series']}-ev{events_per_season}-cars{params['cars']}"
        f"-v{TREE_VERSION}"
    )
    root = RUNS / "trees" / tag
    if (root / ".complete").exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    print(f"generating {root} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [
            PY,
            "-m",
            "bench.synthetic",
            "--out",
            str(root),
            "--seed",
            str(params["seed"]),
            "--series",
            str(params["series"]),
            "--seasons",
            str(seasons),
            "--events-per-season",
            str(events_per_season),
            "--cars",
            str(params["cars"]),
            "--jobs",
            "2",
        ],
        cwd=REPO,
        check=True,
    )
    (root / ".complete").write_text(f"{time.perf_counter() - started:.1f} s\n")
    return root


def last_events(tree: Path, count: int = 1) -> list[Path]:
    """The event folders of the last season whose sessions started last (their session folders' time
    stamps), the last first."""
    seasons = sorted(p for p in tree.iterdir() if p.is_dir() and p.name[:2].isdigit())
    events = [p for p in seasons[-1].iterdir() if p.is_dir()]

    def latest_session(event: Path) -> str:
        stamps = [
            d.name[:12] for d, _, _ in ((Path(x[0]), x[1], x[2]) for x in os.walk(event)) if d.name[:12].isdigit()
        ]
        return max(stamps, default="")

    return sorted(events, key=lambda e: (latest_session(e), e.name), reverse=True)[:count]


def tree_stats(tree: Path) -> dict:
    files = [Path(d) / f for d, _, names in os.walk(tree) for f in names if f.lower().endswith((".csv", ".json"))]
    return {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}


# ------------------------------------------------------------------------------------ running


def pitwall_env(home: Path) -> dict:
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(home)
    env.pop("PITWALL_WAREHOUSE", None)
    env.pop("PITWALL_RAW_DIR", None)
    return env


def warehouse_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists())


def published_copy(warehouse: Path) -> Path | None:
    candidate = warehouse.parent / "published" / warehouse.name
    return candidate if candidate.exists() else None


def save_warehouse(main: Path, saved: Path) -> list[str]:
    """Copy the warehouse folder of `main` to `saved`; returns [the published copy's name] if it was
    sealed (untouched since its publication: orchestration/publish/files.py), else []."""
    copy = published_copy(main)
    sealed = [copy.name] if copy and files.is_sealed(copy) else []
    shutil.copytree(main.parent, saved)
    return sealed


def restore_warehouse(saved: Path, main: Path, sealed: list[str]) -> None:
    """Put the saved warehouse folder back at `main`'s. The copy gives the published file a new inode
    and new times, which breaks their seals; a user's files stay where their
    publication put them, so the copies of sealed files are sealed again (their bytes are the same)."""
    shutil.rmtree(main.parent, ignore_errors=True)
    shutil.copytree(saved, main.parent)
    for name in sealed:
        files.seal(main.parent / "published" / name)


def sealed_text(sealed) -> str:
    """RESULTS.md's words for save_warehouse()'s list (older runs recorded a yes/no)."""
    if isinstance(sealed, bool):
        return "yes" if sealed else "no"
    return "copy" if any(not name.startswith(".") for name in sealed) else "none"


def run_workload(w: Workload, args, samples: list[Sample], info: dict) -> None:
    work = RUNS / "work" / w.name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    logs = work / "logs"
    logs.mkdir()
    home = work / "dagster_home"
    env = pitwall_env(home)
    w.hold_out(earlier=True)
    info["tree"] = str(w.tree)
    info.update(tree_stats(w.tree))
    print(f"\n== {w.name}: {w.tree} ({info['files']} files, {info['bytes'] / 2**20:.0f} MB)", flush=True)

    def wh(name: str) -> Path:
        return work / name / "pitwall.duckdb"

    def fresh(path: Path) -> Path:
        if path.parent.exists():
            shutil.rmtree(path.parent)
        path.parent.mkdir(parents=True)
        return path

    big = bool(w.synthetic_seasons and w.synthetic_seasons >= args.single_from_seasons)
    repeat = 1 if big else args.repeat
    repeat_heavy = 1 if big else args.repeat_heavy
    # The one-new-event refresh is the headline ratio and varies most from run to run: it is repeated
    # on the big workloads too (where the full refresh and the light contenders run once).
    repeat_inc = args.repeat_heavy
    light = list(args.contenders_light)
    if "pandas" in light and info["bytes"] / 2**20 > args.pandas_max_mb:
        light.remove("pandas")
        info.setdefault("notes", []).append(
            f"pandas peer not run: {info['bytes'] / 2**20:,.0f} MB of CSV is over --pandas-max-mb {args.pandas_max_mb} "
            "(its peak RSS is about 10x the data read, measured on the smaller workloads)"
        )
    # Light contenders, interleaved.
    for r in range(repeat):
        for c in light:
            target = fresh(wh(c))
            if c == "ingest":
                argv = [PITWALL, "ingest", "--raw", str(w.tree), "--warehouse", str(target)]
                s = measure(c, w.name, argv, env, logs / f"{c}-{r}.log")
            else:
                argv = [PY, str(BENCH / "contenders.py"), c, str(w.tree), str(target)]
                s = measure(c, w.name, argv, None, logs / f"{c}-{r}.log")
            s.extra["warehouse_mb"] = warehouse_bytes(target) / 2**20
            samples.append(s)
            if c == "ingest" and r == 0:
                info["raw_rows"] = raw_rows(target)
            shutil.rmtree(target.parent)

    if args.no_refresh:
        w.put_back()
        return

    # Full refresh from empty; the last one stays for the fixed-cost and incremental runs.
    main = wh("refresh")
    for r in range(repeat_heavy):
        fresh(main)
        s = measure(
            "refresh_full",
            w.name,
            [PITWALL, "refresh", "--raw", str(w.tree), "--warehouse", str(main)],
            env,
            logs / f"refresh_full-{r}.log",
        )
        s.extra["warehouse_mb"] = warehouse_bytes(main) / 2**20
        samples.append(s)
    for r in range(repeat):
        s = measure(
            "refresh_noop",
            w.name,
            [PITWALL, "refresh", "--raw", str(w.tree), "--warehouse", str(main)],
            env,
            logs / f"refresh_noop-{r}.log",
        )
        samples.append(s)

    if w.earlier:
        # The refresh a user ran before the one measured: after it, as after every refresh but the first,
        # the published folder holds a sealed copy, which the next one updates by session.
        w.put_back(earlier_only=True)
        s = measure(
            "refresh_prev_event",
            w.name,
            [PITWALL, "refresh", "--raw", str(w.tree), "--warehouse", str(main)],
            env,
            logs / "refresh_prev_event.log",
        )
        samples.append(s)
    if w.held:
        saved = work / "before-event"
        saved.mkdir()
        sealed = save_warehouse(main, saved / "wh")
        for r in range(repeat_inc):
            if r:
                restore_warehouse(saved / "wh", main, sealed)
            settle()
            w.put_back()
            try:
                s = measure(
                    "refresh_inc",
                    w.name,
                    [PITWALL, "refresh", "--raw", str(w.tree), "--warehouse", str(main)],
                    env,
                    logs / f"refresh_inc-{r}.log",
                )
            finally:
                if r < repeat_inc - 1:
                    w.hold_out()
            samples.append(s)
        if args.paired_rounds:
            info["before_event"], info["home"], info["main"] = str(saved / "wh"), str(home), str(main)
            info["before_event_sealed"] = sealed
        else:
            shutil.rmtree(saved)
    w.put_back()
    info["warehouse_mb"] = warehouse_bytes(main) / 2**20
    copy = published_copy(main)
    target = copy or main
    info["bi_target"] = "published copy" if copy else "warehouse (no published copy found)"
    s = measure(
        "bi", w.name, [PY, str(BENCH / "contenders.py"), "bi", str(target), str(args.bi_times)], None, logs / "bi.log"
    )
    samples.append(s)
    if not args.keep:
        shutil.rmtree(work / "refresh", ignore_errors=True)


def settle() -> None:
    """Not measured: flush the page cache's dirty pages (the warehouse copy just made, 1 GB at 20
    seasons) so that the refresh measured next does not pay for writing back a copy it did not make."""
    os.sync()


def warm_dbt_parse(warehouse: Path, home: Path) -> None:
    """Not measured: `dbt parse` for this warehouse, as the refreshes of one warehouse leave it. dbt's
    partial parsing (dbt_project/target/dagster) is dropped when the profile changes, and the profile
    holds the warehouse path: alternating two warehouses would otherwise cost each refresh a full
    parse (~5 s) that a user refreshing one warehouse never pays."""
    env = pitwall_env(home)
    env["PITWALL_WAREHOUSE"] = os.path.abspath(warehouse)  # as the refresh exports it (orchestration/defs/resources.py)
    project = REPO / "dbt_project"
    subprocess.run(
        [
            str(Path(PY).parent / "dbt"),
            "parse",
            "--quiet",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(project / "target" / "dagster"),
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )


# --publication-variants: the paired refresh again with a publication mechanism taken away first, each
# from the same restored state, to measure what the mechanism saves (orchestration/publish).
PUBLICATION_VARIANTS = {
    "no seals": "refresh_inc_paired_noseals",  # the copy unsealed: its record is not trusted
    "no previous copy": "refresh_inc_paired_fresh",  # the published folder gone: every table written
}


def take_away(published: Path, variant: str) -> None:
    """Remove what `variant` names from a restored published folder (PUBLICATION_VARIANTS)."""
    copy = published / "pitwall.duckdb"
    if variant == "no seals":
        files.discard(files.seal_path(copy))
    elif variant == "no previous copy":
        shutil.rmtree(published, ignore_errors=True)


def run_paired(workloads: list[Workload], args, samples: list[Sample], info: dict) -> None:
    """The one-new-event refresh of the smallest and the largest synthetic trees again, alternating, each
    from the warehouse its workload kept from just before the event (see refresh_inc_paired above)."""
    kept = [w for w in workloads if w.synthetic_seasons and info["workloads"][w.name].get("before_event")]
    if len(kept) < 2:  # one synthetic tree (make bench): nothing to pair
        for w in kept:
            shutil.rmtree(Path(info["workloads"][w.name]["before_event"]).parent, ignore_errors=True)
        return
    small = min(kept, key=lambda w: w.synthetic_seasons)
    big = max(kept, key=lambda w: w.synthetic_seasons)
    print(f"\n== paired one-new-event refreshes: {small.name} and {big.name}, {args.paired_rounds} rounds", flush=True)
    try:
        variants = {"as is": "refresh_inc_paired", **(PUBLICATION_VARIANTS if args.publication_variants else {})}
        for r in range(args.paired_rounds):
            for w in (small, big) if r % 2 == 0 else (big, small):
                for variant, contender in variants.items():
                    wi = info["workloads"][w.name]
                    main = Path(wi["main"])
                    # the same path: the build state records it
                    restore_warehouse(Path(wi["before_event"]), main, wi.get("before_event_sealed", []))
                    take_away(main.parent / "published", variant)
                    warm_dbt_parse(main, Path(wi["home"]))
                    settle()
                    w.put_back()
                    try:
                        s = measure(
                            contender,
                            w.name,
                            [PITWALL, "refresh", "--raw", str(w.tree), "--warehouse", str(main)],
                            pitwall_env(Path(wi["home"])),
                            main.parent.parent / "logs" / f"{contender}-{r}.log",
                        )
                    finally:
                        w.hold_out()
                    s.extra["round"], s.extra["variant"] = r, variant
                    samples.append(s)
    finally:
        for w in kept:
            w.put_back()
            if not args.keep:
                shutil.rmtree(Path(info["workloads"][w.name]["main"]).parent, ignore_errors=True)
            shutil.rmtree(Path(info["workloads"][w.name]["before_event"]).parent, ignore_errors=True)


def raw_rows(warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' and table_name <> 'ingested_files'"
            ).fetchall()
        ]
        return {t: con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


# ------------------------------------------------------------------------------------ reporting


def machine() -> dict:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    versions = {"python": platform.python_version(), "duckdb": duckdb.__version__}
    for dist in ("pandas", "dagster", "dagster-dbt", "dbt-core", "dbt-duckdb"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:  # pragma: no cover
            pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem, 1),
        "kernel": platform.release(),
        "versions": versions,
    }


def med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(samples: list[Sample]) -> dict:
    out: dict = {}
    for s in samples:
        out.setdefault(s.workload, {}).setdefault(s.contender, []).append(s)
    table = {}
    for wname, by in out.items():
        table[wname] = {}
        for c, ss in by.items():
            ok = [s for s in ss if s.ok]
            table[wname][c] = {
                "n": len(ok),
                "failed": len(ss) - len(ok),
                "wall": med([s.wall_s for s in ok]),
                "cpu": med([s.cpu_s for s in ok]),
                "wall_min": min((s.wall_s for s in ok), default=None),
                "wall_max": max((s.wall_s for s in ok), default=None),
                "rss": max((s.peak_rss_mb for s in ok), default=None),
                "load": med([s.load_before for s in ss]),
                "load_range": (min(s.load_before for s in ss), max(s.load_before for s in ss)),
                "warehouse_mb": med(
                    [s.extra.get("warehouse_mb") for s in ok if s.extra.get("warehouse_mb") is not None]
                ),
                "extra": ok[-1].extra if ok else {},
            }
    return table


def fmt(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def write_results(
    path: Path,
    argv: list[str],
    info: dict,
    samples: list[Sample],
    started: str,
    finished: str,
    args,
    pending: list[str] | None = None,
) -> None:
    t = summarise(samples)
    m = info["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run.py` from one invocation, {started} to {finished} (UTC).",
        "",
        *(
            [
                f"**Partial: not measured (the invocation was still running, or was stopped): {', '.join(pending)}.** "
                "(The file is rewritten after each workload, so a run cut short keeps what it measured.)",
                "",
            ]
            if pending
            else []
        ),
        "```sh",
        " ".join(argv),
        "```",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + ".",
        f"Load averages (1/5/15 min): {info['load_start']} at the start, {info['load_end']} at the end; the 1-minute "
        "load before each measurement is in the tables (a load above the contender's own ~1-2 means something else "
        "ran). CPU time (user + sys, children included) is less sensitive to that noise and is given next to wall time.",
        f"Medians of {args.repeat} runs (full and incremental refreshes: {args.repeat_heavy}; workloads of "
        f"{args.single_from_seasons} seasons or more: one run, but {args.repeat_heavy} of the incremental refresh); "
        "peak RSS is the largest of the runs, summed over the process tree (pitwall + dbt).",
        "",
        "## Workloads",
        "",
        "Files, MB and rows are what the ingestion contenders and the full refresh read: of a synthetic tree, "
        "all but the last two events of the last season (the one before the last is refreshed next, then the "
        "last is the one new event).",
        "",
        "| workload | tree | files | MB | time-card laps | rows in raw |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for wname, wi in info["workloads"].items():
        rows = wi.get("raw_rows", {})
        lines.append(
            f"| {wname} | `{os.path.relpath(wi['tree'], REPO)}` | {wi.get('files', '—')} | "
            f"{fmt(wi.get('bytes', 0) / 2**20, 0)} | {rows.get('time_cards', 0):,} | {sum(rows.values()):,} |"
        )
    lines += [
        "",
        "## Ingestion: limit, peers, pitwall",
        "",
        "Seconds (median wall; CPU in brackets) and peak RSS. Ratios on wall time.",
        "",
        "| workload | limit | pandas | union_by_name | pitwall ingest | ingest / limit | pandas / ingest | union / ingest | load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]

    def cell(c: dict | None) -> str:
        if not c or c["n"] == 0:
            return "failed" if c else "—"
        return f"{fmt(c['wall'])} s ({fmt(c['cpu'])}) · {fmt(c['rss'], 0)} MB"

    for wname, by in t.items():
        lim, pdn, uni, ing = (by.get(k) for k in ("limit", "pandas", "union", "ingest"))
        lo = [by[c]["load_range"] for c in LIGHT if c in by]
        loads = f"{min(r[0] for r in lo):.1f}–{max(r[1] for r in lo):.1f}" if lo else "—"
        lines.append(
            f"| {wname} | {cell(lim)} | {cell(pdn)} | {cell(uni)} | {cell(ing)} | "
            f"{ratio(ing and ing['wall'], lim and lim['wall'])} | {ratio(pdn and pdn['wall'], ing and ing['wall'])} | "
            f"{ratio(uni and uni['wall'], ing and ing['wall'])} | {loads} |"
        )
    lines += [
        "",
        "## Refresh",
        "",
        "`pitwall refresh` (Dagster job `refresh_warehouse`, in process): from an empty warehouse (full), again "
        "with nothing new (fixed cost), and after one new event (the last event of the last season, all "
        "series) on top of the rest, the event before it refreshed first (`refresh_prev_event` below).",
        "",
        "| workload | full | fixed cost (nothing new) | one new event | (full − fixed) / limit | warehouse | load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for wname, by in t.items():
        full, noop, inc, lim = (by.get(k) for k in ("refresh_full", "refresh_noop", "refresh_inc", "limit"))
        lo = [by[c]["load_range"] for c in ("refresh_full", "refresh_noop", "refresh_inc") if c in by]
        loads = f"{min(r[0] for r in lo):.1f}–{max(r[1] for r in lo):.1f}" if lo else "—"
        net = (full["wall"] - noop["wall"]) if full and noop and full["wall"] and noop["wall"] else None
        wmb = info["workloads"][wname].get("warehouse_mb")
        lines.append(
            f"| {wname} | {cell(full)} | {cell(noop)} | {cell(inc)} | {ratio(net, lim and lim['wall'])} | "
            f"{fmt(wmb, 0)} MB | {loads} |"
        )
    details = [(s_.workload, s_.contender, s_) for s_ in samples if s_.contender.startswith("refresh") and s_.ok]
    if details:
        lines += [
            "",
            "What each refresh did (last run of each): the Dagster run's own time, the publication step "
            "(copy of the marts to the readers' file and Parquet) and the dbt command.",
            "",
            "| workload | refresh | run (s) | publish (s) | dbt |",
            "|---|---|---:|---:|---|",
        ]
        last = {}
        for w, c, s_ in details:
            last[(w, c)] = s_
        for (w, c), s_ in last.items():
            e = s_.extra
            what = e.get("dbt_command") or ""
            if e.get("dbt", "").startswith("nothing new"):
                what = "skipped (nothing new since the last full build)"
            lines.append(
                f"| {w} | {c.replace('refresh_', '')} | {fmt(e.get('run_s'))} | {fmt(e.get('publish_s'))} | {what} |"
            )
    paired = [s_ for s_ in samples if s_.contender == "refresh_inc_paired"]
    if paired:
        lines += [
            "",
            "## One new event, paired",
            "",
            "After every workload, the one-new-event refresh of the smallest and the largest synthetic trees "
            "once more, alternating (small, big, big, small, ...), each from the warehouse of just before the "
            "event: the two sides of the headline ratio measured minutes apart, at the same machine speed. "
            "A restored warehouse's published copy is sealed again when the saved one was "
            "(sealed: "
            + (
                ", ".join(
                    f"{w} {sealed_text(wi['before_event_sealed'])}"
                    for w, wi in info["workloads"].items()
                    if "before_event_sealed" in wi
                )
                or "not recorded"
            )
            + "): a copy gets a new inode and times, where a user's files stay where their publication put them.",
            "",
            "| round | workload | wall (s) | CPU (s) | publish (s) | load (1 min) |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for s_ in paired:
            lines.append(
                f"| {s_.extra.get('round', '?')} | {s_.workload} | "
                f"{fmt(s_.wall_s) if s_.ok else 'failed'} | {fmt(s_.cpu_s)} | {fmt(s_.extra.get('publish_s'))} | "
                f"{s_.load_before:.1f} |"
            )
    variants = [s_ for s_ in samples if s_.contender.startswith("refresh_inc_paired") and "variant" in s_.extra]
    if any(s_.extra["variant"] != "as is" for s_ in variants):
        lines += [
            "",
            "## Publication mechanisms",
            "",
            "The paired one-new-event refresh again, each time from the same restored warehouse, with one "
            "publication mechanism taken away first (`--publication-variants`): `no seals` "
            "(the copy unsealed: its record of sessions is not trusted, tables are checked whole), "
            "`no previous copy` (the published folder is gone: every table is written). Medians over the "
            "rounds; `saves` is the publish step's time without the mechanism minus with it.",
            "",
            "| workload | variant | runs | wall (s) | publish (s) | saves (s) |",
            "|---|---|---:|---:|---:|---:|",
        ]
        by: dict = defaultdict(list)
        for s_ in variants:
            if s_.ok:
                by[(s_.workload, s_.extra["variant"])].append(s_)
        for w in dict.fromkeys(s_.workload for s_ in variants):
            base = med([x.extra.get("publish_s") for x in by[(w, "as is")] if x.extra.get("publish_s") is not None])
            for variant in ("as is", *PUBLICATION_VARIANTS):
                runs = by.get((w, variant), [])
                pub = med([x.extra.get("publish_s") for x in runs if x.extra.get("publish_s") is not None])
                saves = "—" if variant == "as is" or pub is None or base is None else fmt(pub - base, 2)
                lines.append(
                    f"| {w} | {variant} | {len(runs)} | {fmt(med([x.wall_s for x in runs]))} | "
                    f"{fmt(pub, 2)} | {saves} |"
                )
    lines += ["", "## BI queries", ""]
    bi_rows = [(w, by["bi"]) for w, by in t.items() if "bi" in by and by["bi"]["n"]]
    if bi_rows:
        names = list(bi_rows[0][1]["extra"].get("queries", {}).keys())
        lines += [
            "Latency on one read-only DuckDB connection, each query run "
            f"{args.bi_times} times (the first run, cold, included): p50 / p95 in ms, and the rows returned "
            "(the synthetic series have no points system, so no standings: 0 rows there).",
            "",
            "| workload | queried | " + " | ".join(names) + " |",
            "|---|---|" + "---:|" * len(names),
        ]
        for w, c in bi_rows:
            q = c["extra"]["queries"]
            lines.append(
                f"| {w} | {info['workloads'][w].get('bi_target', '?')} | "
                + " | ".join(f"{fmt(q[n]['p50_ms'])} / {fmt(q[n]['p95_ms'])} ({q[n]['rows']:,} rows)" for n in names)
                + " |"
            )
    else:
        lines.append("Not measured in this run.")
    lines += ["", "## Targets", "", "| target | workload | measured | met |", "|---|---|---|---|"]
    lines += targets(t, info)
    lines += ["", "Raw samples: `" + os.path.relpath(info["json"], REPO) + "` (not committed).", ""]
    notes = list(info.get("notes", [])) + [
        f"{w}: {n}" for w, wi in info["workloads"].items() for n in wi.get("notes", [])
    ]
    notes += [f"{s_.workload}: {s_.contender} FAILED ({s_.note}); not in the medians" for s_ in samples if not s_.ok]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    # Sections measured apart (bench/fetch_latency.py; the real archive's ingestion, written by hand
    # from its own invocation): kept as they were.
    kept = kept_sections(path.read_text()) if path.exists() else ""
    path.write_text("\n".join(lines) + ("\n" + kept if kept else ""))


KEPT_HEADINGS = (
    "## Headline over time",
    "## Bespoke incrementals",
    "## PostgreSQL and DuckDB",
    "## Fetch latency",
    "## Real archive",
)


def kept_sections(text: str) -> str:
    """The sections of a RESULTS.md whose headings start with one of KEPT_HEADINGS, in order, or ''."""
    kept = []
    for heading in KEPT_HEADINGS:
        start = text.find("\n" + heading)
        if start >= 0:
            end = text.find("\n## ", start + 1)
            kept.append(text[start + 1 : end + 1 if end >= 0 else len(text)])
    return "\n".join(k.rstrip("\n") + "\n" for k in kept)


def targets(t: dict, info: dict) -> list[str]:
    rows = []

    def add(target, workload, measured, ok):
        rows.append(f"| {target} | {workload} | {measured} | {'yes' if ok else ('—' if ok is None else '**no**')} |")

    for w, by in t.items():
        lim, pdn, uni, ing = (by.get(k, {}).get("wall") for k in ("limit", "pandas", "union", "ingest"))
        if lim and ing:
            add("pitwall ingest ≤ 1.5 × limit", w, f"{ing / lim:.2f} ×", ing <= 1.5 * lim)
        if ing and pdn and uni:
            add(
                "pitwall ingest ≥ 3 × faster than both peers",
                w,
                f"pandas {pdn / ing:.2f} ×, union {uni / ing:.2f} ×",
                pdn >= 3 * ing and uni >= 3 * ing,
            )
        full, noop = by.get("refresh_full", {}).get("wall"), by.get("refresh_noop", {}).get("wall")
        if full and noop and lim:
            add("full refresh − fixed cost ≤ 3 × limit", w, f"{(full - noop) / lim:.2f} ×", full - noop <= 3 * lim)
        if noop:
            add("fixed cost ≤ 10 s", w, f"{noop:.1f} s", noop <= 10)
    for contender, how in (
        ("refresh_inc", "each in its workload's phase"),
        ("refresh_inc_paired", "paired, alternating"),
    ):
        inc = {w: by.get(contender, {}).get("wall") for w, by in t.items() if by.get(contender, {}).get("wall")}
        seasons = {w: info["workloads"][w].get("seasons") for w in inc}
        by_seasons = {s: inc[w] for w, s in seasons.items() if s}
        if by_seasons:
            small, big = min(by_seasons), max(by_seasons)
            if small != big:
                add(
                    f"one new event on {big} seasons ≤ 1.2 × on {small} ({how})",
                    f"s{big} vs s{small}",
                    f"{by_seasons[big]:.1f} s / {by_seasons[small]:.1f} s = {by_seasons[big] / by_seasons[small]:.2f} ×",
                    by_seasons[big] <= 1.2 * by_seasons[small],
                )
    for w, by in t.items():
        peaks = [c["rss"] for c in by.values() if c.get("rss") and c is not by.get("pandas")]
        pitwall_peaks = [
            by[c]["rss"]
            for c in ("ingest", "refresh_full", "refresh_noop", "refresh_inc", "refresh_inc_paired")
            if by.get(c, {}).get("rss")
        ]
        if pitwall_peaks:
            add("peak memory ≤ 4 GB (pitwall)", w, f"{max(pitwall_peaks) / 1024:.2f} GB", max(pitwall_peaks) <= 4096)
        bi = by.get("bi", {}).get("extra", {}).get("queries")
        if bi:
            p95 = max(bi[q]["p95_ms"] for q in ("standings", "career", "lap_chart"))
            add("BI p95 ≤ 100 ms (standings, career, lap chart)", w, f"{p95:.1f} ms", p95 <= 100)
        del peaks
    return rows


# ------------------------------------------------------------------------------------ main


def rewrite(json_path: Path, out: Path, args, argv: list[str]) -> int:
    """RESULTS.md again from an invocation's raw samples. Give the same flags as that invocation had
    (older sample files do not record them; newer ones do, and those win)."""
    data = json.loads(json_path.read_text())
    info, samples = data["info"], [Sample(**s) for s in data["samples"]]
    run = info.get("invocation") or {
        "argv": ["bench/run.py", *argv],
        "workloads": [f"raw:{Path(r).resolve().name}" for r in args.raw]
        + [f"s{int(n)}" for n in str(args.seasons).split(",") if n.strip()],
        "started": dt.datetime.strptime(json_path.stem.split("-", 1)[1], "%Y%m%d-%H%M%S").strftime("%Y-%m-%d %H:%M"),
        "finished": dt.datetime.fromtimestamp(json_path.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M"),
    }
    if "args" in run:
        args = argparse.Namespace(**run["args"])
    measured = {s.workload for s in samples}
    pending = [w for w in run["workloads"] if w not in measured]
    for w in pending:
        info["workloads"].pop(w, None)
    info.setdefault("load_end", "?")
    write_results(out, run["argv"], info, samples, run["started"], run["finished"], args, pending or None)
    print(f"written {out} from {json_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--raw", action="append", type=Path, default=[], help="an Al Kamel tree to load as it is (repeatable)"
    )
    parser.add_argument(
        "--seasons", default="1,5,20", help="synthetic trees: comma-separated season counts ('' for none)"
    )
    parser.add_argument("--events-per-season", type=int, default=GENERATOR["events_per_season"])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each light contender and of the fixed cost")
    parser.add_argument(
        "--repeat-heavy", type=int, default=None, help="runs of the full and incremental refresh (default: --repeat)"
    )
    parser.add_argument("--bi-times", type=int, default=20, help="runs of each BI query")
    parser.add_argument(
        "--single-from-seasons",
        type=int,
        default=20,
        help="synthetic workloads of this many seasons or more: one run of each contender "
        "but the one-new-event refresh (--repeat-heavy runs)",
    )
    parser.add_argument(
        "--pandas-max-mb",
        type=float,
        default=1000,
        help="skip the pandas peer on trees larger than this (it holds ~10x the data in memory)",
    )
    parser.add_argument("--quick", action="store_true", help="the raw/ tree and 1 synthetic season, 3 runs")
    parser.add_argument("--only", default=",".join(LIGHT), help="light contenders to run (default: all)")
    parser.add_argument("--no-refresh", action="store_true", help="ingestion contenders only")
    parser.add_argument(
        "--paired-rounds",
        type=int,
        default=2,
        help="rounds of the paired one-new-event refreshes (smallest and largest synthetic tree, "
        "alternating) after every workload; 0 for none",
    )
    parser.add_argument("--keep", action="store_true", help="keep the refreshed warehouses under bench/runs/work/")
    parser.add_argument(
        "--publication-variants",
        action="store_true",
        help="in the paired phase, also refresh with the seals or the whole previous copy "
        "taken away (what each publication mechanism saves)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="measure nothing: write --out again from the raw samples of an earlier invocation",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        args.repeat_heavy = args.repeat_heavy or args.repeat
        own = ("--from-json", "--out")
        flags = [a for i, a in enumerate(argv) if a not in own and (i == 0 or argv[i - 1] not in own)]
        return rewrite(args.from_json, args.out, args, flags)
    if args.quick:
        args.raw = args.raw or [REPO / "raw"]
        args.seasons = "1"
    args.repeat_heavy = args.repeat_heavy or args.repeat
    args.contenders_light = [c for c in args.only.split(",") if c]

    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    info: dict = {
        "machine": machine(),
        "load_start": " / ".join(f"{x:.2f}" for x in loadavg()),
        "workloads": {},
        "notes": [],
    }
    workloads: list[Workload] = []
    for raw in args.raw:
        raw = raw.resolve()
        workloads.append(Workload(f"raw:{raw.name}", raw))
    for n in [int(x) for x in args.seasons.split(",") if x.strip()]:
        root = synthetic_tree(n, args.events_per_season)
        for died in (RUNS / "held" / root.name).glob("*/*"):  # a previous run that died left these out
            died.rename(root / died.relative_to(RUNS / "held" / root.name))
        event, before = last_events(root, 2)
        w = Workload(
            f"s{n}",
            root,
            n,
            [(event, RUNS / "held" / root.name / event.relative_to(root))],
            [(before, RUNS / "held" / root.name / before.relative_to(root))],
        )
        workloads.append(w)
    info["invocation"] = {
        "argv": ["bench/run.py", *argv],
        "workloads": [w.name for w in workloads],
        "started": started,
        "finished": None,
        "args": {
            k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if k == "raw" else v)
            for k, v in vars(args).items()
        },
    }
    samples: list[Sample] = []
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    info["json"] = str(RUNS / f"results-{stamp}.json")
    for i, w in enumerate(workloads):
        wi = info["workloads"].setdefault(w.name, {"seasons": w.synthetic_seasons})
        if w.held:
            wi["held_out"] = str(w.held[0][0].relative_to(w.tree))
            wi["refreshed_before"] = str(w.earlier[0][0].relative_to(w.tree)) if w.earlier else None
        try:
            run_workload(w, args, samples, wi)
        finally:
            w.put_back()
        Path(info["json"]).write_text(json.dumps({"info": info, "samples": [asdict(s) for s in samples]}, indent=1))
        pending = [x.name for x in workloads[i + 1 :]]
        if pending:
            info["load_end"] = " / ".join(f"{x:.2f}" for x in loadavg())
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
            write_results(args.out, ["bench/run.py", *argv], info, samples, started, now, args, pending)
    run_paired(workloads, args, samples, info)
    info["load_end"] = " / ".join(f"{x:.2f}" for x in loadavg())
    finished = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    info["invocation"]["finished"] = finished
    Path(info["json"]).write_text(json.dumps({"info": info, "samples": [asdict(s) for s in samples]}, indent=1))
    write_results(args.out, ["bench/run.py", *argv], info, samples, started, finished, args)
    print(f"\nwritten {args.out}")
    return 0 if all(s.ok for s in samples) else 1


if __name__ == "__main__":
    sys.exit(main())
