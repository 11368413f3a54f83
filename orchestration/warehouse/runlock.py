"""One writer at a time: the run lock ``<warehouse>.lock`` next to the DuckDB file.

`pitwall refresh` and `pitwall ingest` take it for their whole run; ingestion (`ingest()`) and the
dbt asset take it too, so a run launched from the UI or a schedule is covered as well. The lock is
non-blocking: a second writer does not wait, it stops at once with `WarehouseBusy`, whose message
says who holds the lock (pid, command, since when). Waiting was not chosen: the run already going
picks up every file a second refresh would, and a command that hangs without a word looks broken.

It is an advisory ``flock`` on the lock file: the kernel releases it when its process ends, however
it ends (kill -9 included), so a crash never leaves a stale lock behind and no clean-up is needed.
The lock is re-entrant within a process: `pitwall refresh` holds it, and the assets it runs in the
same process take it again without blocking themselves. Plain Python, no Dagster import.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_SUFFIX = ".lock"

_held: dict[str, list] = {}  # lock path -> [fd, depth]: the locks this process holds
_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse."""

    def __init__(self, message: str, holder: dict | None = None):
        super().__init__(message)
        self.holder = holder or {}


def lock_path(warehouse: str | os.PathLike[str]) -> Path:
    warehouse = Path(os.path.abspath(os.fspath(warehouse)))
    return warehouse.with_name(warehouse.name + LOCK_SUFFIX)


def holder_of(warehouse: str | os.PathLike[str]) -> dict | None:
    """Who holds the lock (pid, what, since, host), or None when it is free."""
    path = lock_path(warehouse)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


HOLDER_WAITS, HOLDER_WAIT_S = 20, 0.01  # at most 0.2 s for a new holder to write who it is


def _read_holder(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        return json.loads(data.decode() or "{}")
    except (OSError, ValueError):
        return {}


def _busy_message(warehouse: Path, what: str, holder: dict) -> str:
    who = holder.get("what") or "another run"
    pid = holder.get("pid")
    since = holder.get("since")
    details = ", ".join(x for x in (f"pid {pid}" if pid else "", f"since {since}" if since else "") if x)
    return (
        f"{what} did not start: the warehouse {warehouse} is being written by {who}"
        + (f" ({details})" if details else "")
        + ". Nothing was changed; run it again when that one has finished (the lock is released as soon as "
        "its process ends, even if it is killed)."
    )


@contextmanager
def warehouse_lock(warehouse: str | os.PathLike[str], what: str) -> Iterator[Path]:
    """Hold the warehouse's run lock, or raise `WarehouseBusy` at once if another process holds it."""
    warehouse = Path(os.path.abspath(os.fspath(warehouse)))
    path = lock_path(warehouse)
    key = str(path)
    with _guard:
        entry = _held.get(key)
        if entry is not None:  # this process holds it already: re-entrant
            entry[1] += 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                # The holder writes who it is just after taking the lock: a refusal in between reads
                # an empty file. Wait for it briefly, so the message names the other run.
                for _ in range(HOLDER_WAITS):
                    if holder:
                        break
                    time.sleep(HOLDER_WAIT_S)
                    holder = _read_holder(fd)
                os.close(fd)
                raise WarehouseBusy(_busy_message(warehouse, what, holder), holder) from None
            except BaseException:
                os.close(fd)
                raise
            info = {
                "pid": os.getpid(),
                "what": what,
                "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                "host": socket.gethostname(),
                "argv": sys.argv[:6],
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
            _held[key] = [fd, 1]
    try:
        yield path
    finally:
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                fd = entry[0]
                try:
                    os.ftruncate(fd, 0)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
