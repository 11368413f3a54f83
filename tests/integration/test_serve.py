"""`pitwall serve`: Dagster as a deployment, for real. The code server (gRPC), the webserver and the
daemon run as separate processes, Dagster's storage in the PostgreSQL of `pitwall db start`; two runs
of the same warehouse submitted together wait in the queue and run one after the other, each in a
process of its own; SIGINT to pitwall stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psycopg2
import pytest
from apache_site import free_port
from dagster_graphql import DagsterGraphQLClient
from helpers import RAW, REPO
from integration.conftest import PITWALL
from pg_server import db, server_env

pytestmark = pytest.mark.integration

DONE = {"SUCCESS", "FAILURE", "CANCELED"}
RUNNING = {"STARTING", "STARTED"}


def _wait_for_webserver(port: int, process: subprocess.Popen, timeout: float = 300) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "pitwall serve ended"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the webserver never answered")


def _dagster_processes() -> list[str]:
    """Command lines of the Dagster processes running now."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "dagster" in line and "postgres:" not in line]


@pytest.mark.timeout(900)
def test_serve_runs_queued_runs_one_per_warehouse_in_postgres_storage(tmp_path):
    with server_env() as env:
        db(env, "start")
        port, grpc_port = free_port(), free_port()
        env = {
            **env,
            "PITWALL_SERVER_HOME": str(tmp_path / "server"),
            "PITWALL_WAREHOUSE": str(tmp_path / "warehouse" / "pitwall.duckdb"),
            "PITWALL_RAW_DIR": str(RAW),
        }
        log = open(tmp_path / "serve.log", "w+")  # a file, not a pipe: nobody must read it for serve to go on
        serve = subprocess.Popen(
            [str(PITWALL), "serve", "--port", str(port), "--grpc-port", str(grpc_port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_webserver(port, serve)
            processes = "\n".join(_dagster_processes())
            for part in ("dagster code-server start", "dagster-webserver", "dagster-daemon run"):
                assert part in processes, processes

            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            runs = [client.submit_job_execution("refresh_warehouse") for _ in range(2)]
            overlapping, deadline = [], time.monotonic() + 600
            while time.monotonic() < deadline:
                states = [client.get_run_status(run).value for run in runs]
                if sum(state in RUNNING for state in states) > 1:
                    overlapping.append(states)
                if all(state in DONE for state in states):
                    break
                time.sleep(0.5)
            assert states == ["SUCCESS", "SUCCESS"], states
            assert overlapping == []  # the same warehouse: one run at a time

            # The runs and their events are in PostgreSQL, tagged with the warehouse they wrote.
            dagster_url = db(env, "url").rsplit("/", 1)[0] + "/dagster"
            conn = psycopg2.connect(dagster_url)
            with conn, conn.cursor() as cur:
                cur.execute("select count(*) from runs where run_id = any(%s) and status = 'SUCCESS'", [runs])
                assert cur.fetchone()[0] == 2
                cur.execute("select count(*) from event_logs where run_id = any(%s)", [runs])
                assert cur.fetchone()[0] > 100
                cur.execute("select distinct value from run_tags where key = 'pitwall/warehouse' and run_id = any(%s)",
                            [runs])  # fmt: skip
                assert [r[0] for r in cur.fetchall()] == [env["PITWALL_WAREHOUSE"]]
            conn.close()
        finally:
            serve.send_signal(signal.SIGINT)
            serve.wait(timeout=120)
            log.seek(0)
            output = log.read()
            log.close()
        assert serve.returncode == 0, output[-3000:]
        time.sleep(1)
        left = [line for line in _dagster_processes() if str(tmp_path) in line or f" {grpc_port}" in line]
        assert left == [], left
        assert os.path.exists(tmp_path / "warehouse" / "published" / "pitwall.duckdb")
