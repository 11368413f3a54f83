"""Al Kamel CSV conventions: header lines, value formats and the file writer.

Header strings are copied from real published files (see /work/shared/formats/alkamel.md).
Every line ends with ';', lines end with CRLF, files start with a UTF-8 BOM.
Times are integers of milliseconds everywhere in this package; the functions below turn
them into the site's text forms.
"""

from __future__ import annotations

import os
from pathlib import Path

BOM = "\ufeff"
EOL = "\r\n"

DRIVER_FIELDS = [
    "FIRSTNAME",
    "SECONDNAME",
    "LICENSE",
    "HOMETOWN",
    "COUNTRY",
    "SHORTNAME",
    "IMSA_DriverId",
    "IMSA_DriverPlugId",
    "IMSA_DriverRatingLong",
    "*Extra 4",
    "*Extra 5",
]
ENTRY_FIELDS = [
    "TEAM",
    "CLASS",
    "GROUP",
    "DIVISION",
    "VEHICLE",
    "TIRES",
    "IMSA_CarId",
    "IMSA_TeamId",
    "IMSA_ClassId",
    "IMSA_CarTypeId",
    "IMSA_ManufacturerId",
    "IMSA_TireId",
    "IMSA_SponsorId",
    "IMSA_EventEntryId",
    "*Extra 9",
    "*Extra 10",
]
RACE_HEAD_FIELDS = [
    "POSITION",
    "NUMBER",
    "STATUS",
    "LAPS",
    "TOTAL_TIME",
    "GAP_FIRST",
    "GAP_PREVIOUS",
    "FL_LAPNUM",
    "FL_TIME",
    "FL_KPH",
]
# Note the space before LAPS: it is in the real files.
CLASSIFICATION_HEAD_FIELDS = ["POS", "NUMBER", "LAP", "TIME", "GAP_FIRST", "GAP_PREVIOUS", "KPH", " LAPS"]

MAX_DRIVER_BLOCKS = 6
# Multi-driver rows on the real site stop 20 cells short of the header (the last blocks are
# left out); single-driver (Carrera Cup) rows are complete.
MULTI_DRIVER_ROW_SHORTFALL = 20


def driver_block_names(n_drivers: int) -> list[str]:
    """One `DRIVER_` block for single-driver series, `DRIVER1_`..`DRIVER6_` otherwise."""
    if n_drivers == 1:
        return [f"DRIVER_{f}" for f in DRIVER_FIELDS]
    return [f"DRIVER{n}_{f}" for n in range(1, MAX_DRIVER_BLOCKS + 1) for f in DRIVER_FIELDS]


def race_results_header(n_drivers: int = 1) -> str:
    return ";".join(RACE_HEAD_FIELDS + ENTRY_FIELDS + driver_block_names(n_drivers)) + ";"


def classification_header(n_drivers: int = 1) -> str:
    return ";".join(CLASSIFICATION_HEAD_FIELDS + ENTRY_FIELDS + driver_block_names(n_drivers)) + ";"


TIME_CARDS_HEADER = (
    "NUMBER; DRIVER_NUMBER; LAP_NUMBER; LAP_TIME; LAP_IMPROVEMENT; CROSSING_FINISH_LINE_IN_PIT; "
    "S1; S1_IMPROVEMENT; S2; S2_IMPROVEMENT; S3; S3_IMPROVEMENT; KPH; ELAPSED; HOUR;"
    "S1_LARGE;S2_LARGE;S3_LARGE;TOP_SPEED;DRIVER_NAME;PIT_TIME;CLASS;GROUP;TEAM;MANUFACTURER;FLAG_AT_FL;"
)
WEATHER_HEADER = "TIME_UTC_SECONDS;TIME_UTC_STR;AIR_TEMP;TRACK_TEMP;HUMIDITY;PRESSURE;WIND_SPEED;WIND_DIRECTION;RAIN;"
GRID_HEADER = (
    "POSITION;CLASS;NUMBER;STARTING_DRIVER;QUALIFYING_DRIVER;DRIVER_1;DRIVER_2;DRIVER_3;"
    "DRIVER_4;DRIVER_5;DRIVER_6;TEAM;CAR;TIME;"
)


# --------------------------------------------------------------------------- time formats
#
# A time text is "<whole seconds part><milliseconds>", so the hot loops split a value once
# with divmod(ms, 1000) and glue two table entries: TABLES.<kind>[seconds] + MS3[millis].

MS3 = [f"{i:03d}" for i in range(1000)]


def _compact_prefix(s: int) -> str:
    if s < 60:
        return f"{s}."
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}:{s:02d}."
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}."


def _large_prefix(s: int) -> str:
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}:{s:02d}."
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}."


def _hour_prefix(s: int) -> str:
    s %= 86_400
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}."


def _pit_prefix(s: int) -> str:
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}."


class _Tables:
    """Prefix tables indexed by whole seconds, grown on demand (a process builds each once)."""

    def __init__(self) -> None:
        self.compact: list[str] = []
        self.large: list[str] = []
        self.pit: list[str] = []
        self.hour: list[str] = [""] * (2 * 86_400)  # filled an hour block at a time
        self._hour_blocks: set[int] = set()

    def ensure(self, seconds: int, hour_from: int = 0, hour_to: int = 0) -> None:
        """Cover durations 0..seconds and times of day hour_from..hour_to (seconds, < 2 days)."""
        n = len(self.compact)
        if seconds >= n:
            top = max(seconds + 1, 2 * n, 3600)
            self.compact.extend(_compact_prefix(s) for s in range(n, top))
            self.large.extend(_large_prefix(s) for s in range(n, top))
            self.pit.extend(_pit_prefix(s) for s in range(n, top))
        for block in range(hour_from // 3600, min(hour_to, 2 * 86_400 - 1) // 3600 + 1):
            if block not in self._hour_blocks:
                lo = block * 3600
                self.hour[lo : lo + 3600] = [_hour_prefix(s) for s in range(lo, lo + 3600)]
                self._hour_blocks.add(block)


TABLES = _Tables()


def fmt_time(ms: int) -> str:
    """Compact duration: 11.872 | 1:07.916 | 1:10:17.031 (lap, sector, elapsed, total)."""
    s, frac = divmod(ms, 1000)
    return _compact_prefix(s) + MS3[frac]


def fmt_large(ms: int) -> str:
    """Sector in the *_LARGE columns: always minutes, 0:11.872 | 1:09.413."""
    s, frac = divmod(ms, 1000)
    return _large_prefix(s) + MS3[frac]


def fmt_hour(ms_of_day: int) -> str:
    """Time of day: 14:13:02.290 (two-digit hour, wraps at midnight)."""
    s, frac = divmod(ms_of_day, 1000)
    return _hour_prefix(s) + MS3[frac]


def fmt_pit(ms: int) -> str:
    """PIT_TIME: 0:00:53.371."""
    s, frac = divmod(ms, 1000)
    return _pit_prefix(s) + MS3[frac]


def fmt_gap_time(ms: int) -> str:
    """+0.390 | +1:05.904."""
    return "+" + fmt_time(ms)


def fmt_gap_laps(laps: int) -> str:
    return "1 Lap" if laps == 1 else f"{laps} Laps"


def fmt_kph(length_m: int, ms: int) -> str:
    """Average speed over a lap, one decimal (length in metres, time in ms)."""
    return f"{length_m * 3600 / ms:.1f}" if ms > 0 else ""


# --------------------------------------------------------------------------- writing


def write_csv(path: Path, header: str, lines: list[str]) -> int:
    """Write header + lines (each already ending with ';', no EOL) as the site does.

    One buffered write per file. Returns the number of data lines written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = BOM + header + EOL + (EOL.join(lines) + EOL if lines else "")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return len(lines)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def safe_name(text: str) -> str:
    """Folder-safe: the site uses names as they are; only path separators are not allowed."""
    return text.replace(os.sep, "-").replace("/", "-")
