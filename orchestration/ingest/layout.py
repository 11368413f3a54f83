"""Where a file sits in the results site's folder layout, and what that says about it.

    <YY>_<YYYY>/<NN>_<Event>/[<NN>_<Series>/]<YYYYMMDDHHMM>_<Session>/[<subfolder>/]<NN>_<Report>_<Session>[_<Mark>].<EXT>
    <YY>_<YYYY>/<NN>_<Event>/[<NN>_<Series>/]<Points Data folder>/<championship>.<EXT>

A session folder may hold one level of subfolders: `00_Starting Grids` (the session's grid: its
files belong to the session) and checkpoints such as `12_Hour 12` (the classification and time
cards at that hour of a race: a session of its own, named `<session> - Hour 12`, keyed by both
folders). A `Points Data` folder holds the officials' standings after the round, one file per
championship: its JSON files are data files of their own kind (`RawFile.standings`), keyed by the
championship (season, series, file name) rather than by a session, so that a later round's file
of the same championship replaces the earlier one; their CSV twins are skipped (no example of
their layout yet).

Nothing here reads file contents and nothing here types a session: a session's type comes from
its name through the dbt seed `session_types` (the whole rule set in one place).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

DATA_EXTENSIONS = {".csv", ".json"}
POINTS_DATA_CSV_REASON = (
    "official standings as CSV (Points Data folder): layout unknown, no example file yet; its JSON twin is loaded"
)

_SEASON = re.compile(r"^\d{2}_(?P<year>\d{4})$")
_NUMBERED = re.compile(r"^(?P<number>\d+)_(?P<name>.+)$")
_SESSION = re.compile(r"^(?P<stamp>\d{12})_(?P<name>.+)$")
# Subfolders of a session that hold the session's own reports (its grid), not a checkpoint.
_SAME_SESSION_SUBFOLDER = re.compile(r"grid", re.IGNORECASE)
# `Points Data - Official`, `Points Data - Offiical`, `POINTS DATA`, `Points Data - Provisional`.
_POINTS_FOLDER = re.compile(r"^(\d+_)?points\s*data\b", re.IGNORECASE)

# Mark words in the order they supersede each other; a modifier (Amended/Revised) on a
# mark ranks it above the plain mark and below the next one.
_MARK_RANKS = {"unofficial": 10, "provisional": 20, "official": 30}
_MARK_MODIFIERS = {"amended", "revised"}
# Misspelt mark words seen on the site (`Points Data - Offiical`).
_MARK_SPELLINGS = {"offiical": "official"}


class LayoutError(ValueError):
    """The path does not follow the results site's layout."""


@dataclass(frozen=True)
class RawFile:
    """A data file found under the raw root, with what its path tells."""

    path: str  # relative to the raw root, POSIX separators
    absolute_path: str
    size_bytes: int
    mtime_ns: int
    season: int
    event_folder: str
    event_number: int
    event_name: str
    series_folder: str | None
    series_name: str | None
    session_folder: str  # a standings file: its Points Data folder
    session_name: str  # a standings file: the championship (the file name without extension)
    session_start_local: datetime | None  # None for a standings file
    report_number: str
    report: str
    mark: str | None
    mark_rank: int
    extension: str
    standings: bool = False  # a file of a Points Data folder: the officials' standings of a championship

    @property
    def session_key(self) -> str:
        """Stable identity of the session: season, event folder, series folder, session folder.

        A standings file's key is its championship's: season, series name (series folder numbers
        differ from round to round) and file name, the same after every round, so the rounds'
        files supersede each other. Without a series folder the event folder stands in for it
        (the series is only in that folder's name): such files are not matched across rounds.
        """
        if self.standings:
            series = " ".join((self.series_name or self.event_folder).lower().split())
            parts = [str(self.season), "standings", series, " ".join(self.report.lower().split())]
        else:
            parts = [str(self.season), self.event_folder, self.series_folder or "", self.session_folder]
        return hashlib.md5("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class OtherFile:
    """A file that is not ingested (PDF, XML, notes, symlinks): listed in the manifest as skipped."""

    path: str
    absolute_path: str
    size_bytes: int
    mtime_ns: int
    reason: str


def parse_mark(text: str | None) -> tuple[str | None, int]:
    """'Provisional_Amended' -> ('Provisional Amended', 25); None -> (None, 0)."""
    if not text:
        return None, 0
    words = [_MARK_SPELLINGS.get(w.lower(), w) for w in re.split(r"[\s_]+", text.strip()) if w]
    base = next((w.lower() for w in words if w.lower() in _MARK_RANKS), None)
    modified = any(w.lower() in _MARK_MODIFIERS for w in words)
    rank = _MARK_RANKS.get(base, 30 if modified else 0) + (5 if modified else 0)
    return " ".join(w.capitalize() if w.isupper() or w.islower() else w for w in words), rank


def parse_report_name(stem: str, session_name: str) -> tuple[str, str, str | None]:
    """'03_Results_Race 1_Official' + 'Race 1' -> ('03', 'Results', 'Official')."""
    match = _NUMBERED.match(stem)
    if not match:
        raise LayoutError(f"file name '{stem}' does not start with a report number")
    number, rest = match["number"], match["name"]
    marker = f"_{session_name}"
    idx = rest.lower().rfind(marker.lower())
    if idx > 0:
        report = rest[:idx]
        mark = rest[idx + len(marker) :].lstrip("_ ") or None
        return number, report, mark
    # The session name is not in the file name: the last word is a mark only if it reads as one.
    head, _, tail = rest.rpartition("_")
    if head and parse_mark(tail)[1] > 0:
        return number, head, tail
    return number, rest, None


def describe(root: Path, file: Path, stat: os.stat_result) -> RawFile:
    return _describe(file.relative_to(root).as_posix(), str(file), stat)


def _suffix(name: str) -> str:
    """Path(name).suffix, without building a Path."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


@dataclass(frozen=True)
class _Folders:
    """What the folders of a session say (the same for all the files of a session folder)."""

    season: int
    event_folder: str
    event_number: int
    event_name: str
    series_folder: str | None
    series_name: str | None
    session_folder: str
    session_name: str
    session_start_local: datetime
    file_session_name: str  # the session name file names carry (a checkpoint's files use its race's)


@functools.lru_cache(maxsize=4096)
def _folders(parts: tuple[str, ...]) -> _Folders:
    """Parse the folder levels of a path (cached: a session folder holds several files)."""
    stamped = [i for i in (2, 3) if i < len(parts) and _SESSION.match(parts[i])]
    if not stamped and len(parts) in (3, 4):
        raise LayoutError(f"session folder '{parts[-1]}' is not <YYYYMMDDHHMM>_<Session>")
    if not stamped or len(parts) > stamped[0] + 2:
        raise LayoutError(
            "path is not <season>/<event>/[<series>/]<stamp>_<session>/[<subfolder>/]<file> (found "
            f"{len(parts)} folder levels)"
        )
    at = stamped[0]
    season_m = _SEASON.match(parts[0])
    event_m = _NUMBERED.match(parts[1])
    session_m = _SESSION.match(parts[at])
    series_folder = parts[2] if at == 3 else None
    series_m = _NUMBERED.match(series_folder) if series_folder else None
    if not season_m:
        raise LayoutError(f"season folder '{parts[0]}' is not <YY>_<YYYY>")
    if not event_m:
        raise LayoutError(f"event folder '{parts[1]}' is not <NN>_<Event>")
    if series_folder and not series_m:
        raise LayoutError(f"series folder '{series_folder}' is not <NN>_<Series>")
    try:
        start = datetime.strptime(session_m["stamp"], "%Y%m%d%H%M")
    except ValueError as exc:
        raise LayoutError(f"session stamp '{session_m['stamp']}' is not a date and time") from exc
    session_folder = parts[at]
    session_name = file_session_name = session_m["name"].strip()
    if len(parts) == at + 2:  # a subfolder of the session
        sub = parts[at + 1]
        sub_m = _NUMBERED.match(sub)
        sub_name = (sub_m["name"] if sub_m else sub).strip()
        if not _SAME_SESSION_SUBFOLDER.search(sub_name):
            session_folder = f"{session_folder}/{sub}"
            session_name = f"{session_name} - {sub_name}"
    return _Folders(
        season=int(season_m["year"]),
        event_folder=parts[1],
        event_number=int(event_m["number"]),
        event_name=event_m["name"].strip(),
        series_folder=series_folder,
        series_name=series_m["name"].strip() if series_m else None,
        session_folder=session_folder,
        session_name=session_name,
        session_start_local=start,
        file_session_name=file_session_name,
    )


def is_points_data(rel: str) -> bool:
    """Is this path (relative, POSIX) a file of a `Points Data` folder (the officials' standings)?"""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    return len(parts) in (4, 5) and bool(_POINTS_FOLDER.match(parts[-2])) and bool(_SEASON.match(parts[0]))


def _describe_standings(parts: tuple[str, ...], absolute: str, stat: os.stat_result) -> RawFile:
    """A file of a Points Data folder: `<season>/<event>/[<series>/]<Points Data folder>/<championship>.<EXT>`.

    The folder gives the mark (`Points Data - Provisional` -> Provisional; `POINTS DATA` none).
    """
    season_m, event_m = _SEASON.match(parts[0]), _NUMBERED.match(parts[1])
    if not event_m:
        raise LayoutError(f"event folder '{parts[1]}' is not <NN>_<Event>")
    series_folder = parts[2] if len(parts) == 5 else None
    series_m = _NUMBERED.match(series_folder) if series_folder else None
    if series_folder and not series_m:
        raise LayoutError(f"series folder '{series_folder}' is not <NN>_<Series>")
    folder, name = parts[-2], parts[-1]
    suffix = _suffix(name)
    stem = (name[: len(name) - len(suffix)] if suffix else name).strip()
    mark, rank = parse_mark(_POINTS_FOLDER.sub("", folder).strip(" -_"))
    return RawFile(
        path="/".join(parts),
        absolute_path=absolute,
        size_bytes=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        season=int(season_m["year"]),
        event_folder=parts[1],
        event_number=int(event_m["number"]),
        event_name=event_m["name"].strip(),
        series_folder=series_folder,
        series_name=series_m["name"].strip() if series_m else None,
        session_folder=folder,
        session_name=stem,
        session_start_local=None,
        report_number="",
        report=stem,
        mark=mark,
        mark_rank=rank,
        extension=suffix.lower(),
        standings=True,
    )


def _describe(rel: str, absolute: str, stat: os.stat_result) -> RawFile:
    """describe() of a path relative to the raw root (POSIX separators) and its absolute path."""
    parts = tuple(p for p in rel.split("/") if p not in ("", "."))  # as PurePosixPath(rel).parts
    if is_points_data(rel):
        return _describe_standings(parts, absolute, stat)
    folders = _folders(parts[:-1])
    name = parts[-1]
    suffix = _suffix(name)
    stem = name[: len(name) - len(suffix)] if suffix else name
    number, report, mark_text = parse_report_name(stem, folders.file_session_name)
    mark, rank = parse_mark(mark_text)
    return RawFile(
        path="/".join(parts),
        absolute_path=absolute,
        size_bytes=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        **{k: v for k, v in vars(folders).items() if k != "file_session_name"},  # RawFile's fields of the same names
        report_number=number,
        report=report.strip(),
        mark=mark,
        mark_rank=rank,
        extension=suffix.lower(),
    )


class Discovery(NamedTuple):
    data: list[RawFile]  # data files, described
    skipped: list[OtherFile]  # not data: other extensions, symbolic links
    misplaced: list[OtherFile]  # data files whose path breaks the layout
    unchanged: list[str]  # paths whose size and modification time are as `known` says: not described


def discover(root: Path, known: Mapping[str, tuple[int, int]] | None = None) -> Discovery:
    """Walk the raw root and sort what is there.

    `known` maps paths (relative, POSIX) to the (size, modification time in ns) the caller already
    holds; a file that still has them is listed in `unchanged` and not described, which is most of
    the walk's cost on a large tree where little is new.
    Symbolic links are listed and never followed, so nothing outside the raw root is read.
    Hidden files and folders (names starting with '.') are ignored.
    """
    known = known or {}
    found = Discovery([], [], [], [])
    # os.scandir's entries know their type from the folder listing (no stat) and cache their lstat:
    # one system call per file, where os.walk and os.path.islink took two.
    pending = [(str(Path(root).resolve()), "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
        subfolders = []
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                subfolders.append((entry.path, rel + "/"))
                continue
            st = entry.stat(follow_symlinks=False)
            if entry.is_symlink():
                what = "symbolic link to a folder: not followed" if entry.is_dir() else "symbolic link: not followed"
                found.skipped.append(OtherFile(rel, entry.path, 0, st.st_mtime_ns, what))
                continue
            if known.get(rel) == (st.st_size, st.st_mtime_ns):
                found.unchanged.append(rel)
                continue
            suffix = _suffix(entry.name).lower()
            if suffix not in DATA_EXTENSIONS:
                what = suffix.lstrip(".").upper() or "no extension"
                found.skipped.append(
                    OtherFile(rel, entry.path, st.st_size, st.st_mtime_ns, f"not a data file ({what})")
                )
                continue
            if suffix != ".json" and is_points_data(rel):
                found.skipped.append(OtherFile(rel, entry.path, st.st_size, st.st_mtime_ns, POINTS_DATA_CSV_REASON))
                continue
            try:
                found.data.append(_describe(rel, entry.path, st))
            except LayoutError as exc:
                found.misplaced.append(OtherFile(rel, entry.path, st.st_size, st.st_mtime_ns, str(exc)))
        pending.extend(reversed(subfolders))  # depth first, in name order, as before
    return found


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def listing_digest(root: Path) -> tuple[str, int]:
    """A digest of every file's path, size and modification time under the raw root, and the file count.

    Cheap (no file is read): it changes when a file is added, removed, replaced or re-saved, which is
    when a refresh has something to do. Hidden files and symbolic links are left out, as in discover().
    """
    root = Path(root).resolve()
    digest = hashlib.sha256()
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            st = os.lstat(os.path.join(dirpath, name))
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            count += 1
    return digest.hexdigest(), count
