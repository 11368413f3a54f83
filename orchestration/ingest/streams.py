"""One stream per header layout: the data lines of many files in one file, for one read_csv.
DuckDB's multi-file read_csv pays a fixed cost per file (docs/decisions.md): with thousands of small
Al Kamel files that cost dominates. Ingestion reads every new
file anyway (sha256, text checks), so it also appends the file's data lines, each prefixed with the
file's number in its group and the line's row number in its file (``<n>;<row>;``), to its group's
stream; DuckDB then reads one file per group, in parallel (no window over the whole stream is needed
to number the rows: that was single-threaded and half the load time). The stream holds exactly the
lines DuckDB would turn into rows (empty lines, which read_csv skips, are left out), in file order.
load.py checks that after the load (rows per file, first and last row number) and, on any
difference or any row rejected, loads the group file by file instead, as before.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stream:
    path: Path
    # Per file, in the order added (its number in the group is its index): its rows in the stream.
    rows_per_file: list[int] = field(default_factory=list)


def data_lines(data: bytes) -> bytes:
    """The lines after the header, without empty ones, each ending with a line feed."""
    start = data.find(b"\n")
    body = b"" if start < 0 else data[start + 1 :]
    if body and not body.endswith(b"\n"):
        body += b"\n"  # a last line ended by a lone CR (checked to be the only kind left)
    if body.startswith((b"\n", b"\r\n")) or b"\n\n" in body or b"\n\r\n" in body:
        body = b"".join(line + b"\n" for line in body.split(b"\n") if line not in (b"", b"\r"))
    return body


class Streams:
    """The streams of one ingestion run, in a temporary folder next to the warehouse."""

    def __init__(self, parent: Path):
        self.parent = Path(parent)
        self.folder: Path | None = None  # made when the first file is added
        self.streams: dict[object, Stream] = {}
        self._handles: dict[object, object] = {}

    def add(self, key, data: bytes) -> None:
        stream = self.streams.get(key)
        if stream is None:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix=".pitwall-ingest-", dir=self.parent))
            stream = self.streams[key] = Stream(self.folder / f"group-{len(self.streams)}.csv")
            self._handles[key] = open(stream.path, "wb", buffering=1 << 20)
        body = data_lines(data)
        rows = body.count(b"\n")
        number = len(stream.rows_per_file)
        if rows:
            prefix = b"%d;" % number
            lines = body[:-1].split(b"\n")
            self._handles[key].write(
                b"".join([prefix + b"%d;" % row + line + b"\n" for row, line in enumerate(lines, 1)])
            )
        stream.rows_per_file.append(rows)

    def get(self, key) -> Stream | None:
        handle = self._handles.pop(key, None)
        if handle is not None:
            handle.close()
        return self.streams.get(key)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Streams:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
