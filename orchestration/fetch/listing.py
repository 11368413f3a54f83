"""Directory pages of the results site: the links of an HTML listing, sorted into the folders and
files under the page, with the size and date the listing shows for each.

Written for Apache's autoindex (a table: name, last modified, size, description; sort links
``?C=N;O=D``; a "Parent Directory" link) and tolerant of plainer listings (nginx's ``<pre>``
lines, a bare list of links): a link is kept when it leads below the page, and whatever text
follows it on its row is searched for a date and a size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

# Apache autoindex: "2023-03-22 19:59" (and with seconds); nginx: "22-Mar-2023 19:59".
_DATES = [
    (re.compile(r"\b(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\b"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"\b(\d{4}-\d{2}-\d{2} \d{2}:\d{2})\b"), "%Y-%m-%d %H:%M"),
    (re.compile(r"\b(\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}(?::\d{2})?)\b"), None),
]
# After the date: "17K", "1.2M", " 0 ", "2262" (nginx: exact bytes), "-" (a folder).
_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]?)(?:i?B)?\b", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


@dataclass(frozen=True)
class Entry:
    """A folder or file the listing shows under its page."""

    name: str  # decoded, without the trailing slash of a folder
    url: str  # absolute, as the server wrote it (percent-encoded)
    parts: tuple[str, ...]  # decoded path below the site root, this entry's name last
    is_dir: bool
    modified_text: str | None = None  # as shown (site local time, to the minute on Apache)
    modified: datetime | None = None
    size_text: str | None = None  # as shown ("17K"); None for folders and listings without sizes
    size_bytes: int | None = None  # the shown size in bytes (rounded by the listing: approximate)


@dataclass
class Listing:
    """A parsed directory page: its entries, and the links refused (with why)."""

    url: str
    entries: list[Entry] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (href, reason)

    @property
    def folders(self) -> list[Entry]:
        return [e for e in self.entries if e.is_dir]

    @property
    def files(self) -> list[Entry]:
        return [e for e in self.entries if not e.is_dir]


class _Links(HTMLParser):
    """Every <a href> of a page, its text, and the text after it up to the next link or row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []
        self._in_anchor = False
        self._current: dict[str, str] | None = None  # the link whose text or tail is being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            self._current = {"href": href, "text": "", "tail": ""} if href is not None else None
            if self._current is not None:
                self.links.append(self._current)
            self._in_anchor = self._current is not None
        elif tag in ("tr", "li", "br", "p", "div", "table"):
            self._current = None  # a new row: what follows belongs to no link
        elif tag in ("td", "th") and self._current is not None and not self._in_anchor:
            self._current["tail"] += " | "

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_anchor = False
        elif tag in ("tr", "li", "ul", "ol", "table", "pre"):
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is None:
            return
        if self._in_anchor:
            self._current["text"] += data
        else:
            # nginx-style <pre>: one entry per line, so the line's end closes the tail.
            head, newline, _ = data.partition("\n")
            self._current["tail"] += head
            if newline:
                self._current = None


def _date_and_size(tail: str) -> tuple[str | None, datetime | None, str | None, int | None]:
    """The first date in the text after a link, and the size that follows it (or the first size)."""
    modified_text = modified = None
    rest = tail
    for pattern, fmt in _DATES:
        match = pattern.search(tail)
        if match:
            modified_text = match.group(1)
            try:
                if fmt:
                    modified = datetime.strptime(modified_text, fmt)
                else:
                    with_seconds = modified_text.count(":") == 2
                    modified = datetime.strptime(modified_text, "%d-%b-%Y %H:%M" + (":%S" if with_seconds else ""))
            except ValueError:
                modified = None
            rest = tail[match.end() :]
            break
    size_text = size_bytes = None
    if modified_text is None:
        return None, None, None, None  # no date: the numbers near the link are not a listing's columns
    for cell in rest.split("|"):
        match = _SIZE.match(cell)
        if match and cell.strip() != "-":
            size_text = cell.strip()
            size_bytes = int(float(match["number"]) * _UNITS[match["unit"].upper()])
            break
    return modified_text, modified, size_text, size_bytes


def decoded_parts(path: str) -> list[str]:
    """'/Results/26_2026/07_Long%20Beach/' -> ['Results', '26_2026', '07_Long Beach']."""
    return [unquote(p) for p in path.split("/") if p]


def _normalised(url: str) -> str:
    """A folder URL with its trailing slash, without query or fragment."""
    scheme, netloc, path, _, _ = urlsplit(url)
    return urlunsplit((scheme.lower(), netloc.lower(), path if path.endswith("/") else path + "/", "", ""))


def bad_name(name: str) -> str | None:
    """Why a decoded path segment may not become a file or folder name under the raw root, or None."""
    if name in ("", ".", ".."):
        return f"path segment {name!r} would leave its folder"
    if "/" in name or "\\" in name or "\x00" in name:
        return f"name {name!r} holds a path separator"
    if name.startswith("."):
        return f"hidden name {name!r} (the raw root's hidden files are pitwall's own)"
    return None


def parse_listing(html: str, page_url: str, root_url: str) -> Listing:
    """The entries of a directory page at `page_url` under the site root `root_url`.

    Kept: links to folders and files below the page (folders end with '/'). Skipped without a word:
    sort links (a query string), fragments, links to the page itself or to a folder above it
    ("Parent Directory", "/"). Refused, with the reason: links to another host or scheme, to a
    path outside the site root, or beside the page, and names that decode to '..', a separator or
    a hidden name.
    """
    page = _normalised(page_url)
    root = _normalised(root_url)
    parser = _Links()
    parser.feed(html)
    parser.close()
    listing = Listing(url=page)
    seen: set[str] = set()
    for link in parser.links:
        href = (link["href"] or "").strip()
        if not href or href.startswith(("#", "?")):
            continue  # sort links and anchors: this same page
        target = urljoin(page, href)
        below, reason = _below_root(target, page, root)
        if reason:
            listing.refused.append((href, reason))
            continue
        split = urlsplit(target)
        url = urlunsplit((split.scheme, split.netloc, split.path, "", ""))
        if below is None or url in seen:
            continue  # Apache links each name once; other listings may link it from name and icon
        seen.add(url)
        is_dir = split.path.endswith("/")
        modified_text, modified, size_text, size_bytes = _date_and_size(link["tail"])
        listing.entries.append(
            Entry(
                name=below[-1],
                url=url,
                parts=tuple(below),
                is_dir=is_dir,
                modified_text=modified_text,
                modified=modified,
                size_text=None if is_dir else size_text,
                size_bytes=None if is_dir else size_bytes,
            )
        )
    return listing


def _below_root(target: str, page: str, root: str) -> tuple[list[str] | None, str | None]:
    """Where a link of the page at `page` leads: (its path parts below the site root `root`, None)
    for an entry of the page; (None, None) for a link to skip (the page itself, a folder above
    it); (None, the reason) for a link to refuse."""
    split, page_split = urlsplit(target), urlsplit(page)
    if (
        split.scheme.lower() not in ("http", "https")
        or split.netloc.lower() != page_split.netloc
        or (split.scheme.lower() != page_split.scheme)
    ):
        return None, f"link to another site: {target}"
    if (split.query or split.fragment) and split.path == page_split.path:
        return None, None  # a sort link written out in full
    parts, page_parts = decoded_parts(split.path), decoded_parts(page_split.path)
    root_parts = decoded_parts(urlsplit(root).path)
    if len(parts) <= len(page_parts) and parts == page_parts[: len(parts)]:
        return None, None  # the page itself or a folder above it: "Parent Directory"
    if parts[: len(root_parts)] != root_parts:
        return None, f"link outside the site root {root}: {target}"
    if parts[: len(page_parts)] != page_parts:
        return None, f"link beside this folder, not under it: {target}"
    below = parts[len(root_parts) :]
    reason = next((r for r in (bad_name(p) for p in below) if r), None)
    return (None, reason) if reason else (below, None)
