"""Concurrency: one writer at a time, refused with a clear message; readers of the published copy
never see an error while runs write.

The run lock (orchestration/warehouse/runlock.py) is a non-blocking `flock` on `<warehouse>.lock`, taken by
`pitwall refresh` and `pitwall ingest` for their whole run, by `ingest()` itself, and by the
warehouse resource of every Dagster run (so a run launched from the UI is covered). A second writer
stops at once with exit code 3 and says who holds the lock.

- fast: the lock's semantics; two `pitwall ingest` started at once; `pitwall refresh` while another
  writer holds the lock; a UI run's resource while the CLI holds it; readers during 6 publications;
- slow: two `pitwall refresh` started at once; readers on the published copy during 20 refreshes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import REPO, copy_real_imsa
from reliability.common import (
    PITWALL,
    build_file,
    checksums,
    kill_group,
    make_raw_roots,
    manifest_problems,
    pitwall_env,
    record,
    start,
)

from orchestration.ingest import ingest
from orchestration.warehouse import settings
from orchestration.warehouse.runlock import WarehouseBusy, holder_of, lock_path, warehouse_lock

READER = REPO / "tests" / "integration" / "published_reader.py"

HOLD = (
    "import sys, time; sys.path.insert(0, {repo!r}); from orchestration.warehouse.runlock import warehouse_lock\n"
    "with warehouse_lock(sys.argv[1], 'pitwall refresh'):\n"
    "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
)


def hold_in_another_process(warehouse: Path, seconds: float = 60) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(repo=str(REPO)), str(warehouse), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_lock_is_exclusive_reentrant_and_dies_with_its_process(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with warehouse_lock(warehouse, "first"):
        with warehouse_lock(warehouse, "nested"):  # the same process: re-entrant
            pass
        assert holder_of(warehouse)["what"] == "first"  # still held after the nested exit
    assert holder_of(warehouse) is None

    other = hold_in_another_process(warehouse)
    try:
        with pytest.raises(WarehouseBusy) as busy:
            with warehouse_lock(warehouse, "pitwall ingest"):
                pass
        message = str(busy.value)
        assert f"pid {other.pid}" in message and "pitwall refresh" in message and "did not start" in message
    finally:
        kill_group(other)  # kill -9: the kernel drops the lock with the process, no stale lock
    with warehouse_lock(warehouse, "after a kill -9"):  # free at once: no stale lock
        assert holder_of(warehouse)["pid"] == os.getpid()
    assert lock_path(warehouse).exists()


def test_two_ingests_started_at_once(tmp_path):
    raw = copy_real_imsa(tmp_path / "raw")
    reference = tmp_path / "reference.duckdb"
    ingest(raw, reference)
    outcomes = Counter()
    for round_ in range(2):
        warehouse = tmp_path / f"w{round_}" / "pitwall.duckdb"
        procs = [start(["ingest", "--raw", str(raw), "--warehouse", str(warehouse)]) for _ in range(2)]
        results = [(p.wait(timeout=300), p.stdout.read()) for p in procs]
        codes = sorted(code for code, _ in results)
        assert codes in ([0, 0], [0, 3]), results
        for code, output in results:
            if code == 3:
                assert "did not start" in output and "being written by pitwall ingest" in output, output
                assert "Traceback" not in output
        outcomes["one refused" if codes == [0, 3] else "ran one after the other"] += 1
        assert manifest_problems(warehouse) == []
        assert checksums(warehouse) == checksums(reference), "two ingests at once left another state than one"
    assert outcomes["one refused"] >= 1
    record("concurrency_ingest_fast", {"rounds": 2, "outcomes": dict(outcomes), "corruptions": 0})


def test_refresh_and_ingest_refuse_while_another_writer_runs(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    home = tmp_path / "dagster_home"
    other = hold_in_another_process(warehouse)
    try:
        for command in ("refresh", "ingest"):
            began = time.perf_counter()
            proc = start([command, "--raw", str(raw), "--warehouse", str(warehouse)], home)
            output, _ = proc.communicate(timeout=120)
            assert proc.returncode == 3, output
            assert f"pitwall {command} did not start" in output and f"pid {other.pid}" in output, output
            assert time.perf_counter() - began < 30  # refused at once, before Dagster or dbt start
        assert not warehouse.exists(), "a refused run touched the warehouse"
    finally:
        kill_group(other)


def test_a_dagster_run_takes_the_lock_through_its_resource(tmp_path):
    """A run launched from the UI (any Dagster run using the warehouse resource) holds the lock
    while it runs, and fails at once, saying why, while another process writes."""
    import dagster as dg

    from orchestration.defs.resources import WarehousePaths

    warehouse = tmp_path / "w.duckdb"
    paths = WarehousePaths(raw_dir=str(tmp_path), warehouse=str(warehouse))
    seen = {}

    @dg.asset(required_resource_keys={"paths"})
    def writes_the_warehouse(context) -> None:
        seen["holder"] = holder_of(context.resources.paths.warehouse_path)

    other = hold_in_another_process(warehouse)
    try:
        with pytest.raises(Exception) as failed:
            dg.materialize([writes_the_warehouse], resources={"paths": paths})
        text = repr(failed.value) + str(getattr(failed.value, "__cause__", ""))
        assert "did not start" in text and f"pid {other.pid}" in text, text[-2000:]
        assert "holder" not in seen  # the asset never ran
    finally:
        kill_group(other)
    result = dg.materialize([writes_the_warehouse], resources={"paths": paths})
    assert result.success
    assert seen["holder"]["what"].startswith("Dagster run") and seen["holder"]["pid"] == os.getpid()
    assert holder_of(warehouse) is None  # released when the run ended


# ------------------------------------------------------------------------------------------ readers


def start_readers(published: Path, warehouse: Path, out_dir: Path, stop: Path, modes=("duckdb", "pitwall", "parquet")):
    readers = {}
    for mode in modes:
        out = out_dir / f"reads_{mode}.jsonl"
        readers[mode] = (
            out,
            subprocess.Popen(
                [sys.executable, str(READER), mode, str(published), str(out), str(stop), str(PITWALL), str(warehouse)],
                cwd=REPO,
                env=pitwall_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
    return readers


def collect_reads(readers) -> dict[str, list[dict]]:
    reads = {}
    for mode, (out, proc) in readers.items():
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, (mode, output)
        reads[mode] = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return reads


def test_readers_during_publications(tmp_path):
    """Readers of the published copy while it is replaced 5 times: no error, never a torn copy."""
    from orchestration.publish import publish

    warehouse = tmp_path / "pitwall.duckdb"
    folder = settings.published_dir(warehouse)
    build_file(warehouse, 20_000, 1)
    publish(warehouse, folder, run_id="p0")
    published = settings.published_warehouse_path(warehouse)
    stop = tmp_path / "stop"
    readers = start_readers(published, warehouse, tmp_path, stop)
    time.sleep(2)
    for n in range(1, 6):
        build_file(warehouse, 20_000 + 1000 * n, n + 1)
        publish(warehouse, folder, run_id=f"p{n}")
        time.sleep(0.3)
    stop.touch()
    reads = collect_reads(readers)
    totals = check_reads(reads, {20_000 + 1000 * n for n in range(6)})
    record("concurrency_readers_fast", {"publications": 5, **totals})


def check_reads(reads: dict[str, list[dict]], allowed_counts: set[int] | None = None) -> dict:
    total, errors = 0, []
    for mode, rows in reads.items():
        errors += [f"{mode}: {r['error']}" for r in rows if "error" in r]
        for r in rows:
            if "error" in r:
                continue
            total += 1
            if mode != "parquet":
                assert r["meta"] == r["counts"], (mode, "a torn copy: meta.publication disagrees with the tables")
            if allowed_counts is not None:
                marts = {t: n for t, n in r["counts"].items() if t.startswith("marts.")}
                assert set(marts.values()) <= allowed_counts, (mode, marts)
    assert errors == [], errors[:5]
    return {"reads": total, "reads_per_mode": {m: len(r) for m, r in reads.items()}, "read_errors": 0}


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_readers_during_20_refreshes(tmp_path):
    """20 refreshes, alternating between two raw trees (so each one publishes a new copy), while
    readers query the published copy: every read succeeds and shows one whole publication."""
    v1, v2 = make_raw_roots(tmp_path)
    raw = tmp_path / "raw"
    home = tmp_path / "dagster_home"
    home.mkdir()
    warehouse = tmp_path / "warehouse" / "pitwall.duckdb"
    published = settings.published_warehouse_path(warehouse)
    shutil.copytree(v1, raw, copy_function=shutil.copy2)
    first = start(["refresh", "--raw", str(raw), "--warehouse", str(warehouse)], home)
    out, _ = first.communicate(timeout=1800)
    assert first.returncode == 0, out[-4000:]
    stop = tmp_path / "stop"
    readers = start_readers(published, warehouse, tmp_path, stop, modes=("duckdb", "held", "pitwall", "parquet"))
    time.sleep(3)
    seconds = []
    for n in range(20):
        shutil.rmtree(raw)
        shutil.copytree(v2 if n % 2 == 0 else v1, raw, copy_function=shutil.copy2)
        began = time.perf_counter()
        run = start(["refresh", "--raw", str(raw), "--warehouse", str(warehouse)], home)
        out, _ = run.communicate(timeout=1800)
        assert run.returncode == 0, f"refresh {n + 1} failed:\n{out[-4000:]}"
        seconds.append(round(time.perf_counter() - began, 1))
    stop.touch()
    reads = collect_reads(readers)
    totals = check_reads(reads)
    during = sum(1 for rows in reads.values() for r in rows if "error" not in r)
    record(
        "concurrency_readers_slow",
        {"refreshes": 20, "refresh_seconds": seconds, **totals, "reads_during_refreshes": during},
    )
    assert during >= 200


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_two_refreshes_started_at_once(tmp_path):
    _, raw = make_raw_roots(tmp_path)
    home = tmp_path / "dagster_home"
    home.mkdir()
    reference = tmp_path / "reference" / "pitwall.duckdb"
    ref = start(["refresh", "--raw", str(raw), "--warehouse", str(reference)], home)
    out, _ = ref.communicate(timeout=1800)
    assert ref.returncode == 0, out[-3000:]
    outcomes = Counter()
    for round_ in range(2):
        warehouse = tmp_path / f"w{round_}" / "pitwall.duckdb"
        procs = [start(["refresh", "--raw", str(raw), "--warehouse", str(warehouse)], home) for _ in range(2)]
        results = [(p.wait(timeout=1800), p.stdout.read()) for p in procs]
        codes = sorted(code for code, _ in results)
        assert codes == [0, 3], [(c, o[-2000:]) for c, o in results]
        refused = next(o for c, o in results if c == 3)
        assert "pitwall refresh did not start" in refused and "being written by pitwall refresh" in refused, refused
        outcomes["one refused, one succeeded"] += 1
        assert manifest_problems(warehouse) == []
        assert checksums(warehouse) == checksums(reference)
    record("concurrency_refresh_slow", {"rounds": 2, "outcomes": dict(outcomes), "corruptions": 0})
