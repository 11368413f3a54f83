"""Mirror the data files of the results site into the raw root, incrementally.

The site is walked from its root page: season folders (``26_2026``) of the chosen seasons, then
every folder under them (events, series, sessions, ``00_Starting Grids``, ``12_Hour 12``,
``Points Data - Official`` ...), keeping to the chosen events and series. Each data file (CSV,
JSON, any case; PDF too on request) lands under the raw root at the same path, URL-decoded,
byte for byte.

What the site said about each file (the listing's date and size, the ETag, Last-Modified and
length of the download) is kept in ``<raw root>/.pitwall-fetch.json``: a file whose listing shows
the same date and size as last time, and that is still on disk as downloaded, is not asked for
again. The listing shows dates to the minute and sizes rounded ("17K"), so a file that changed
within two minutes of its download is asked for once more (conditionally: 304 when unchanged)
until the server says it has been still for two minutes. A changed file is downloaded to a hidden
temporary name beside the old one, flushed to disk and renamed over it: ingestion (which ignores
hidden names) sees the old file or the new one, whole. Files that vanished from the site are kept.
"""

from __future__ import annotations

import contextlib
import email.utils
import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .listing import Entry, parse_listing

DEFAULT_SITE = "https://imsa.results.alkamelcloud.com/Results/"
STATE_FILE = ".pitwall-fetch.json"
LOCK_FILE = ".pitwall-fetch.lock"
DATA_EXTENSIONS = (".csv", ".json")
PDF_EXTENSION = ".pdf"
# A file whose Last-Modified is this close to the response's Date may change again unseen by the
# listing (dates to the minute, sizes rounded): it is checked again on the next fetch.
SETTLE_SECONDS = 120
RETRY_STATUSES = {429, 500, 502, 503, 504}
USER_AGENT = "pitwall-fetch/0.1 (results mirror)"

_SEASON = re.compile(r"^\d{2}_(?P<year>\d{4})$")
_SESSION = re.compile(r"^\d{12}_")
_NUMBERED = re.compile(r"^\d+_")

Progress = Callable[[str, int, "int | None"], None]  # (what is going on, done, total or None)


class FetchBusy(RuntimeError):
    """Another fetch is writing the same raw root."""


class FetchError(RuntimeError):
    """One request failed for good (after retries): the message says why, in one line."""


@dataclass(frozen=True)
class FetchOptions:
    """What to mirror and how politely. `seasons` None: every season folder of the site."""

    site: str = DEFAULT_SITE
    seasons: Sequence[int] | None = (date.today().year,)
    series: Sequence[str] = ()
    events: Sequence[str] = ()
    pdf: bool = False
    pause: float = 0.2  # seconds between two requests
    retries: int = 3  # after the first attempt, on connection errors and 429/5xx
    backoff: float = 1.0  # seconds before the first retry, doubled at each next one
    timeout: float = 30.0


@dataclass(frozen=True)
class Failure:
    path: str  # relative to the site root (a folder ends with '/'), or the link as written
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class FetchResult:
    """What a fetch did: folders read, data files listed, downloaded, unchanged and failed."""

    site: str
    raw_root: Path
    pages: int = 0
    listed: int = 0
    downloaded: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (
            f"{self.listed} data file{'s' * (self.listed != 1)} listed "
            f"in {self.pages} folder{'s' * (self.pages != 1)} of {self.site}: "
            f"{len(self.downloaded)} downloaded ({_human(self.bytes)}), {self.unchanged} unchanged, "
            f"{len(self.failed)} failed, in {self.seconds:.1f} s"
        )


def _human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"  # pragma: no cover


def site_root(url: str) -> str:
    """The site URL with its trailing slash; only http(s)."""
    split = urlsplit(url.strip())
    if split.scheme not in ("http", "https") or not split.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    path = split.path if split.path.endswith("/") else split.path + "/"
    return f"{split.scheme}://{split.netloc}{path}"


# ------------------------------------------------------------------------------------------ scope


def _matches(name: str, needles: Sequence[str]) -> bool:
    return any(n.lower() in name.lower() for n in needles)


def in_scope(parts: Sequence[str], is_dir: bool, options: FetchOptions) -> bool:
    """Whether a folder or file (its decoded path below the site root) is inside the chosen
    seasons, events and series. Without a series folder (``23_2023/22_PCCNA COTA/<session>``) the
    series filter is matched against the event folder's name, the only place the series is named."""
    season = _SEASON.match(parts[0])
    if not season or (len(parts) == 1 and not is_dir):
        return False
    if options.seasons is not None and int(season["year"]) not in set(options.seasons):
        return False
    if len(parts) >= 2 and options.events:
        if len(parts) == 2 and not is_dir:
            return False  # a file of the season folder belongs to no event
        if not _matches(parts[1], options.events):
            return False
    if len(parts) >= 2 and options.series:
        if len(parts) == 2:
            return is_dir  # the event folder: its series are chosen one level down
        third = parts[2]
        third_is_dir = len(parts) > 3 or is_dir
        is_series = third_is_dir and bool(_NUMBERED.match(third)) and not _SESSION.match(third)
        if not _matches(third if is_series else parts[1], options.series):
            return False
    return True


def is_wanted_file(name: str, options: FetchOptions) -> bool:
    lower = name.lower()
    return lower.endswith(DATA_EXTENSIONS) or (options.pdf and lower.endswith(PDF_EXTENSION))


# ------------------------------------------------------------------------------------------ state


def _load_state(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # no state yet (or unreadable): every file is checked against the site once
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


def _save_state(path: Path, site: str, files: dict[str, dict]) -> None:
    payload = json.dumps({"version": 1, "site": site, "files": files}, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=".pitwall-fetch.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _exclusive(raw_root: Path) -> Iterator[None]:
    """One fetch at a time per raw root (the CLI and the sensor's job may meet)."""
    with open(raw_root / LOCK_FILE, "a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchBusy(f"another pitwall fetch is writing {raw_root}") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _http_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _settled(headers: httpx.Headers, last_modified: str | None) -> bool:
    served, modified = _http_time(headers.get("date")), _http_time(last_modified)
    return served is not None and modified is not None and served - modified >= SETTLE_SECONDS


# ------------------------------------------------------------------------------------- the mirror


class _Mirror:
    def __init__(self, raw_root: Path, options: FetchOptions, client: httpx.Client, progress: Progress | None) -> None:
        self.raw_root = raw_root
        self.real_root = os.path.realpath(raw_root)
        self.options = options
        self.client = client
        self.progress = progress or (lambda *_: None)
        self.root = site_root(options.site)
        self.result = FetchResult(site=self.root, raw_root=raw_root)
        self.state = _load_state(raw_root / STATE_FILE)
        self._last_request = 0.0
        self._first = True

    # -- requests

    def _polite(self) -> None:
        if not self._first and self.options.pause > 0:
            wait = self.options.pause - (time.monotonic() - self._last_request)
            if wait > 0:
                time.sleep(wait)
        self._first = False

    def _with_retries(self, url: str, attempt_once: Callable[[], object]) -> object:
        """Run one request, again after connection errors and 429/5xx, with a doubling back-off."""
        delay = self.options.backoff
        for attempt in range(self.options.retries + 1):
            self._polite()
            try:
                return attempt_once()
            except _Retry as exc:
                last = f"HTTP {exc.status} {exc.phrase}".strip()
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc or 'no detail'}"
            finally:
                self._last_request = time.monotonic()
            if attempt < self.options.retries and delay > 0:
                time.sleep(delay)
                delay *= 2
        tries = self.options.retries + 1
        raise FetchError(f"{last} (after {tries} attempt{'s' if tries > 1 else ''})")

    def _page(self, url: str) -> str:
        def once() -> str:
            response = self.client.get(url)
            if response.status_code in RETRY_STATUSES:
                raise _Retry(response.status_code, response.reason_phrase)
            if response.status_code != 200:
                raise FetchError(_status_line(response))
            return response.text

        return self._with_retries(url, once)  # type: ignore[return-value]

    # -- walking

    def walk(self) -> list[Entry]:
        """Every wanted data file under the chosen folders, listing page by listing page."""
        files: list[Entry] = []
        pending: list[tuple[str, tuple[str, ...]]] = [(self.root, ())]
        seen = {self.root}
        while pending:
            url, parts = pending.pop()
            where = "/".join(parts) + "/" if parts else "/"
            self.progress(f"listing {where}", self.result.pages, None)
            try:
                html = self._page(url)
            except FetchError as exc:
                self.result.failed.append(Failure(where, f"folder not listed: {exc}"))
                continue
            self.result.pages += 1
            listing = parse_listing(html, url, self.root)
            for href, reason in listing.refused:
                self.result.failed.append(Failure(f"{where}{href}", f"link refused: {reason}"))
            folders = []
            for entry in listing.entries:
                if not in_scope(entry.parts, entry.is_dir, self.options):
                    continue
                if entry.is_dir:
                    if entry.url not in seen:
                        seen.add(entry.url)
                        folders.append((entry.url, entry.parts))
                elif is_wanted_file(entry.name, self.options):
                    files.append(entry)
            pending.extend(reversed(folders))  # depth first, in the listing's order
        unique = {e.parts: e for e in files}  # a plainer listing may link a file from two pages
        return list(unique.values())

    # -- files

    def _destination(self, parts: Sequence[str]) -> Path:
        """The file's path under the raw root, its folders created; refused if it would leave it."""
        folder = self.raw_root
        for name in parts[:-1]:
            folder = folder / name
            if folder.is_symlink():
                raise FetchError(f"folder {folder} is a symbolic link: not followed")
            if folder.exists() and not folder.is_dir():
                raise FetchError(f"{folder} is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / parts[-1]
        real = os.path.realpath(dest.parent)
        if os.path.commonpath([real, self.real_root]) != self.real_root:
            raise FetchError(f"{dest} would be outside the raw root")
        if dest.is_symlink() or (dest.exists() and not dest.is_file()):
            raise FetchError(f"{dest} is not a regular file: left alone")
        return dest

    def _download(self, entry: Entry, dest: Path, headers: dict[str, str]) -> tuple[str, httpx.Headers, str | None]:
        """GET the file into a hidden temporary file beside `dest`: ('304', headers, None) or
        ('200', headers, temporary path), its length checked against Content-Length."""

        def once() -> tuple[str, httpx.Headers, str | None]:
            # identity: the bytes as stored on the site, and a Content-Length that counts them
            with self.client.stream("GET", entry.url, headers={**headers, "Accept-Encoding": "identity"}) as response:
                if response.status_code in RETRY_STATUSES:
                    raise _Retry(response.status_code, response.reason_phrase)
                if response.status_code == 304:
                    return "304", response.headers, None
                if response.status_code != 200:
                    raise FetchError(_status_line(response))
                fd, tmp = _temporary_beside(dest)
                try:
                    size = 0
                    with os.fdopen(fd, "wb") as fh:
                        for chunk in response.iter_bytes():
                            fh.write(chunk)
                            size += len(chunk)
                        fh.flush()
                        os.fsync(fh.fileno())
                    expected = response.headers.get("content-length")
                    encoded = response.headers.get("content-encoding", "identity") != "identity"
                    if expected is not None and expected.isdigit() and not encoded and int(expected) != size:
                        raise httpx.ReadError(f"got {size} of {expected} bytes")
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
                return "200", response.headers, tmp

        return self._with_retries(entry.url, once)  # type: ignore[return-value]

    def mirror_file(self, entry: Entry) -> None:
        rel = "/".join(entry.parts)
        dest = self._destination(entry.parts)
        known = self.state.get(rel)
        listed = [entry.modified_text, entry.size_text]
        on_disk = known is not None and dest.is_file() and dest.stat().st_size == known.get("length")
        if on_disk and known.get("settled") and entry.modified_text and known.get("listed") == listed:
            self.result.unchanged += 1
            return
        headers: dict[str, str] = {}
        if on_disk:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        status, response_headers, tmp = self._download(entry, dest, headers)
        if status == "304":
            known.update(listed=listed, settled=_settled(response_headers, known.get("last_modified")))
            self.result.unchanged += 1
            return
        assert tmp is not None
        size = os.path.getsize(tmp)
        last_modified = response_headers.get("last-modified")
        self.state[rel] = {
            "listed": listed,
            "etag": response_headers.get("etag"),
            "last_modified": last_modified,
            "length": size,
            "settled": _settled(response_headers, last_modified),
        }
        if dest.is_file() and dest.stat().st_size == size and _same_bytes(dest, Path(tmp)):
            os.unlink(tmp)  # re-saved with the same bytes: the raw file (and ingestion) left alone
            self.result.unchanged += 1
            return
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
        self.result.downloaded.append(rel)
        self.result.bytes += size

    def run(self) -> FetchResult:
        started = time.perf_counter()
        try:
            files = self.walk()
            self.result.listed = len(files)
            for done, entry in enumerate(files):
                rel = "/".join(entry.parts)
                self.progress(rel, done, len(files))
                try:
                    self.mirror_file(entry)
                except (FetchError, OSError) as exc:
                    self.result.failed.append(Failure(rel, str(exc)))
                if self.result.downloaded and len(self.result.downloaded) % 200 == 0:
                    _save_state(self.raw_root / STATE_FILE, self.root, self.state)  # a long first mirror
            self.progress("done", len(files), len(files))
        finally:
            _save_state(self.raw_root / STATE_FILE, self.root, self.state)
            self.result.seconds = time.perf_counter() - started
        return self.result


class _Retry(Exception):
    def __init__(self, status: int, phrase: str) -> None:
        super().__init__(status)
        self.status, self.phrase = status, phrase


def _status_line(response: httpx.Response) -> str:
    line = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    location = response.headers.get("location")
    return f"{line} (redirected to {location}: not followed)" if location else line


def _temporary_beside(dest: Path) -> tuple[int, str]:
    """A new hidden file in dest's folder, open for writing, with the permissions the umask gives
    a new file (mkstemp's would be 0600: the raw files stay readable as if copied in)."""
    while True:
        tmp = dest.parent / f".{dest.name}.{os.urandom(6).hex()}.pitwall-part"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), str(tmp)
        except FileExistsError:
            continue


def _same_bytes(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            ca, cb = fa.read(1 << 20), fb.read(1 << 20)
            if ca != cb:
                return False
            if not ca:
                return True


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fetch(
    raw_root: str | os.PathLike[str],
    options: FetchOptions | None = None,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """Mirror the chosen part of the site into `raw_root` (created if missing) over one connection.

    Per-file failures (after retries) are collected in the result, not raised; FetchBusy is raised
    when another fetch holds the raw root, ValueError for a site URL that is not http(s).
    """
    options = options or FetchOptions()
    site_root(options.site)  # a bad URL fails before anything is created
    root = Path(os.path.abspath(os.fspath(raw_root)))
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root):
        client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=options.timeout,
            follow_redirects=False,  # a redirect could leave the site: reported, not followed
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            transport=transport,
            trust_env=False,  # no proxy or netrc from the environment: only the site named
        )
        with client:
            return _Mirror(root, options, client, progress).run()
