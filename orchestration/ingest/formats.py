"""Report kinds of the Al Kamel CSV files: told apart by their header line.

Each kind has one raw table with its canonical columns (all text, values as delivered),
the header columns that identify it, and the value shapes checked before any row lands
(a file with a garbage value is set aside whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Value shapes. Checked on non-empty cells only; typing proper happens in dbt staging.
# Decimals take a point or, where a series writes one, a comma (`24,42`): staging reads both.
INTEGER = r"-?\d+"
DECIMAL = r"-?\d+([.,]\d+)?"
# 27.151 | 1:51.568 | 2:40:44.592 | 1:40'37.481 | 0:00:53.371 | 1:51,568
DURATION = r"\d+([:']\d{1,2}){0,2}([.,]\d+)?"
# - | +0.496 | +1:05.904 | 1 Lap | 2 Laps
GAP = r"-|\+?\d+([:']\d{1,2}){0,2}([.,]\d+)?|\d+ Laps?"

DRIVER_FIELDS = [
    "firstname",
    "secondname",
    "license",
    "hometown",
    "country",
    "shortname",
    "imsa_driverid",
    "imsa_driverplugid",
    "imsa_driverratinglong",
    "extra_4",
    "extra_5",
]
MAX_DRIVERS = 6
DRIVER_COLUMNS = [f"driver{n}_{f}" for n in range(1, MAX_DRIVERS + 1) for f in DRIVER_FIELDS]

ENTRY_COLUMNS = [
    "team",
    "class",
    "group",
    "division",
    "vehicle",
    "tires",
    "imsa_carid",
    "imsa_teamid",
    "imsa_classid",
    "imsa_cartypeid",
    "imsa_manufacturerid",
    "imsa_tireid",
    "imsa_sponsorid",
    "imsa_evententryid",
    "extra_9",
    "extra_10",
]


# Carried by JSON reports only (kept so every warehouse has the same columns, null for CSV rows).
JSON_RESULT_COLUMNS = [
    "not_finished",
    "not_finished_cause",
    "pit_stops",
    "fastest_lap_driver_number",
    "manufacturer",
    "manufacturer_country",
]


@dataclass(frozen=True)
class ReportKind:
    name: str  # also the raw table name
    description: str
    signature: frozenset[str]  # header columns (normalised) that identify the kind
    columns: list[str]  # canonical raw table columns, in order
    required: list[str] = field(default_factory=list)  # must be non-empty on every row
    shapes: dict[str, str] = field(default_factory=dict)  # column -> regex of a valid value
    has_driver_blocks: bool = False


RACE_RESULTS = ReportKind(
    name="race_results",
    description="Race classification: one row per car, finishing order, laps, total time, fastest lap.",
    signature=frozenset({"position", "number", "status", "laps", "total_time"}),
    columns=[
        "position",
        "number",
        "status",
        "laps",
        "total_time",
        "gap_first",
        "gap_previous",
        "fl_lapnum",
        "fl_time",
        "fl_kph",
        *ENTRY_COLUMNS,
        *DRIVER_COLUMNS,
        *JSON_RESULT_COLUMNS,
        "kph",
        "time",
    ],
    required=["number"],
    shapes={
        "position": INTEGER,
        "laps": INTEGER,
        "total_time": DURATION,
        "gap_first": GAP,
        "gap_previous": GAP,
        "fl_lapnum": INTEGER,
        "fl_time": DURATION,
        "fl_kph": DECIMAL,
    },
    has_driver_blocks=True,
)

CLASSIFICATIONS = ReportKind(
    name="classifications",
    description="Qualifying or practice classification: one row per car, best lap and laps run.",
    signature=frozenset({"pos", "number", "lap", "time", "laps"}),
    columns=[
        "pos",
        "number",
        "lap",
        "time",
        "gap_first",
        "gap_previous",
        "kph",
        "laps",
        *ENTRY_COLUMNS,
        *DRIVER_COLUMNS,
        "status",
        *JSON_RESULT_COLUMNS,
        "elapsed_time",
        "fastest_lap_time",
        "fastest_lap_kph",
    ],
    required=["number"],
    shapes={
        "pos": INTEGER,
        "lap": INTEGER,
        "time": DURATION,
        "gap_first": GAP,
        "gap_previous": GAP,
        "kph": DECIMAL,
        "laps": INTEGER,
    },
    has_driver_blocks=True,
)

TIME_CARDS = ReportKind(
    name="time_cards",
    description="Time cards: one row per lap of every car, sectors, pit crossings, flag at the line.",
    signature=frozenset({"number", "driver_number", "lap_number", "lap_time", "elapsed"}),
    columns=[
        "number",
        "driver_number",
        "lap_number",
        "lap_time",
        "lap_improvement",
        "crossing_finish_line_in_pit",
        "s1",
        "s1_improvement",
        "s2",
        "s2_improvement",
        "s3",
        "s3_improvement",
        "kph",
        "elapsed",
        "hour",
        "s1_large",
        "s2_large",
        "s3_large",
        "top_speed",
        "driver_name",
        "pit_time",
        "class",
        "group",
        "team",
        "manufacturer",
        "flag_at_fl",
    ],
    required=["number", "lap_number"],
    shapes={
        "driver_number": INTEGER,
        "lap_number": INTEGER,
        "lap_time": DURATION,
        "lap_improvement": INTEGER,
        "s1": DURATION,
        "s2": DURATION,
        "s3": DURATION,
        "kph": DECIMAL,
        "elapsed": DURATION,
        "hour": DURATION,
        "pit_time": DURATION,
        "top_speed": DECIMAL,
    },
)

WEATHER = ReportKind(
    name="weather",
    description="Weather samples through a session: air and track temperature, humidity, pressure, wind, rain.",
    signature=frozenset({"time_utc_seconds", "air_temp", "track_temp"}),
    columns=[
        "time_utc_seconds",
        "time_utc_str",
        "air_temp",
        "track_temp",
        "humidity",
        "pressure",
        "wind_speed",
        "wind_direction",
        "rain",
    ],
    required=["time_utc_seconds"],
    shapes={
        "time_utc_seconds": INTEGER,
        "air_temp": DECIMAL,
        "track_temp": DECIMAL,
        "humidity": DECIMAL,
        "pressure": DECIMAL,
        "wind_speed": DECIMAL,
        "wind_direction": DECIMAL,
        "rain": DECIMAL,
    },
)

GRIDS = ReportKind(
    name="grids",
    description="Starting grid: one row per car, grid position, starting and qualifying driver.",
    signature=frozenset({"position", "class", "number", "starting_driver"}),
    columns=[
        "position",
        "class",
        "number",
        "starting_driver",
        "qualifying_driver",
        "driver_1",
        "driver_2",
        "driver_3",
        "driver_4",
        "driver_5",
        "driver_6",
        "team",
        "car",
        "time",
        "kph",
        "starting_driver_number",
        "qualifying_driver_number",
        *[c for c in ENTRY_COLUMNS if c not in ("team", "class", "vehicle")],
        "manufacturer",
        "manufacturer_country",
    ],
    required=["number"],
    shapes={"position": INTEGER, "time": DURATION},
)

# Points and their `..._valid_for_net_points` flags, per session of a championship (json_reports.parse_standings).
STANDINGS_POINTS = [
    "race_points",
    "pole_points",
    "fastest_lap_points",
    "extra_points_1",
    "extra_points_2",
    "penalty_points",
    "extra_participation_points",
    "extra_not_started_points",
    "extra_not_classified_points",
]
BOOLEAN = r"true|false"

OFFICIAL_STANDINGS = ReportKind(
    name="official_standings",
    description=(
        "The officials' championship standings (`Points Data` folders, JSON): one row per championship file, "
        "competitor and session of the championship, with the competitor's totals and positions, the "
        "session's points by component, and the championship's names and its session list."
    ),
    signature=frozenset(),  # JSON only: never told by a CSV header
    columns=[
        "championship_name",
        "championship_main_title",
        "championship_sub_title",
        "championship_year",
        "championship_creation_date",
        "championship_group_name",
        "championship_report_message",
        "championship_code",
        "position",
        "total_points",
        "net_position",
        "total_net_points",
        "key",
        "team",
        "rookie",
        "session_index",
        "session_event_name",
        "session_name",
        "session_total_points",
        *[c for p in STANDINGS_POINTS for c in (p, f"{p}_valid_for_net_points")],
        "status",
    ],
    required=["key"],
    shapes={
        "position": INTEGER,
        "net_position": INTEGER,
        "total_points": DECIMAL,
        "total_net_points": DECIMAL,
        "session_index": INTEGER,
        "session_total_points": DECIMAL,
        "championship_year": INTEGER,
        **dict.fromkeys(STANDINGS_POINTS, DECIMAL),
        **{f"{p}_valid_for_net_points": BOOLEAN for p in STANDINGS_POINTS},
    },
)

# Most specific signatures first: a grid header also has POSITION and NUMBER.
KINDS: list[ReportKind] = [TIME_CARDS, GRIDS, RACE_RESULTS, CLASSIFICATIONS, WEATHER, OFFICIAL_STANDINGS]
KINDS_BY_NAME = {k.name: k for k in KINDS}

# Reports known to exist on the site that pitwall does not load (yet): skipped, not quarantined.
UNSUPPORTED_REPORTS = {"flagsanalysiswithrcmessages": "flags and race-control messages are not loaded yet"}

# Lineage columns every raw table carries after its canonical columns.
LINEAGE_COLUMNS = [
    "_file_path",
    "_file_sha256",
    "_row_number",
    "_season",
    "_event_folder",
    "_event_name",
    "_series_folder",
    "_series_name",
    "_session_folder",
    "_session_name",
    "_session_start_local",
    "_session_key",
    "_report",
    "_mark",
]


# Older or other series' spellings of a column, by normalised name: read as the canonical column.
COLUMN_SPELLINGS = {"lapnumber": "lap_number", "laptime": "lap_time", "drivernumber": "driver_number"}


def normalise_name(name: str) -> str:
    """' LAPS' -> 'laps', 'DRIVER1_*Extra 4' -> 'driver1_extra_4', 'IMSA_CarId' -> 'imsa_carid'."""
    text = re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
    return text


def column_of(name: str) -> str:
    """The raw-table column of a header cell: its normalised name, older spellings made canonical."""
    text = normalise_name(name)
    return COLUMN_SPELLINGS.get(text, text)


class HeaderError(ValueError):
    """The header line cannot be read as a known report."""


def split_header(line: str) -> list[str]:
    """Header cells, without the trailing empty cell after the last ';'."""
    cells = line.rstrip("\r\n").split(";")
    if cells and cells[-1].strip() == "":
        cells = cells[:-1]
    return cells


@dataclass(frozen=True)
class Header:
    kind: ReportKind
    columns: list[str]  # the raw-table column of each header cell, in file order
    variant: str  # which of the kind's header layouts the file uses


def classify(raw_cells: list[str]) -> Header:
    """The report kind of a header line's cells and the raw-table column of each cell."""
    names = [column_of(c) for c in raw_cells]
    if any(n == "" for n in names):
        position = names.index("") + 1
        raise HeaderError(f"header cell {position} is empty")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise HeaderError(f"header repeats column {', '.join(duplicates)}")
    present = set(names)
    for kind in KINDS:
        if kind.signature and kind.signature <= present:  # a kind without a signature is JSON only
            variant = "standard"
            if kind.has_driver_blocks:
                if any(n.startswith("driver_") for n in names):
                    # A single DRIVER_ block is the first driver of a multi-driver header.
                    names = [("driver1_" + n[len("driver_") :]) if n.startswith("driver_") else n for n in names]
                    variant = "single_driver_block"
                else:
                    blocks = {m.group(1) for n in names if (m := re.match(r"driver(\d)_", n))}
                    variant = f"{len(blocks)}_driver_blocks"
            elif kind is TIME_CARDS:
                variant = "with_flag_at_fl" if "flag_at_fl" in present else "without_flag_at_fl"
            return Header(kind, names, variant)
    raise HeaderError("header matches no known report (race or qualifying classification, time cards, weather, grid)")
