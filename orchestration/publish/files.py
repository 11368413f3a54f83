"""Atomic file replacement: write beside the target under a hidden temporary name, then rename.

On POSIX, ``os.replace`` swaps the directory entry in one step: a reader that opens the path gets
the old file or the new one, never a half-written one, and a reader that already has the old file
open keeps reading it (the old inode lives until its last handle closes).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TMP_SUFFIX = ".pitwall-tmp"


def temporary_sibling(target: Path) -> Path:
    """A fresh hidden name in the target's folder (same file system, so the rename is atomic)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}{TMP_SUFFIX}")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def commit(staged: Path, target: Path) -> None:
    """Flush the staged file to disk and rename it over the target."""
    fsync_file(staged)
    os.replace(staged, target)


def remove_leftovers(folder: Path) -> list[Path]:
    """Temporary files of an earlier publication that died before its rename."""
    removed = []
    if folder.is_dir():
        for path in folder.glob(f".*{TMP_SUFFIX}*"):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def discard(*paths: Path) -> None:
    for path in paths:
        for candidate in (path, path.with_name(path.name + ".wal")):
            candidate.unlink(missing_ok=True)
