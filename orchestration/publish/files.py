"""Atomic file replacement: write beside the target under a hidden temporary name, then rename.

On POSIX, ``os.replace`` swaps the directory entry in one step: a reader that opens the path gets
the old file or the new one, never a half-written one, and a reader that already has the old file
open keeps reading it (the old inode lives until its last handle closes).
"""

from __future__ import annotations

import json
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


def _identity(path: Path) -> dict[str, int]:
    # The inode's change time moves on every write and every metadata change and cannot be set
    # back from user space (unlike the modification time): with the inode number and the size,
    # it tells "the very file, untouched" apart from an edited or replaced one.
    st = path.stat()
    return {
        "device": st.st_dev,
        "inode": st.st_ino,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,
    }


def seal_path(target: Path) -> Path:
    return target.with_name(f"{'' if target.name.startswith('.') else '.'}{target.name}.seal")


def seal(target: Path) -> None:
    """Record the identity of `target` as it is now (after its rename into place), beside it."""
    path = seal_path(target)
    staged = temporary_sibling(path)
    staged.write_text(json.dumps(_identity(target)))
    commit(staged, path)


def is_sealed(target: Path) -> bool:
    """`target` is the file seal() last recorded, not written to or replaced since."""
    try:
        return json.loads(seal_path(target).read_text()) == _identity(target)
    except (OSError, ValueError):
        return False


def unseal(target: Path) -> None:
    seal_path(target).unlink(missing_ok=True)


def remove_leftovers(folder: Path) -> list[Path]:
    """Temporary files of an earlier publication that died before its rename, and a spare copy
    (``.<name>.spare`` and its seal) left by older versions of pitwall."""
    removed = []
    if folder.is_dir():
        for path in [*folder.glob(f".*{TMP_SUFFIX}*"), *folder.glob(".*.spare"), *folder.glob(".*.spare.seal")]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def discard(*paths: Path) -> None:
    for path in paths:
        for candidate in (path, path.with_name(path.name + ".wal")):
            candidate.unlink(missing_ok=True)
