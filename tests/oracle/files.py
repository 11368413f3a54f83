"""An independent reader of Al Kamel timing files: what the users' columns must hold, from the files.

Plain Python (`csv`, `json`, `decimal`), written from /work/shared/formats/alkamel.md and the files
themselves; nothing here imports the warehouse's ingestion (orchestration/ingest), so a mistake there
is not repeated here. Each function takes the bytes of one file and returns its rows as the marts
should show them, keyed by the row's number in its file (data rows counted from 1, empty lines
skipped; the entry's number in a JSON report), which the marts carry as `source_row_number`.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePosixPath

MAX_DRIVERS = 6


# ----------------------------------------------------------------------------------------- values


def text(value) -> str | None:
    """Trimmed text, empty as None (JSON numbers as their text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    value = str(value).strip()
    return value or None


def integer(value) -> int | None:
    value = text(value)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def number(value) -> float | None:
    value = text(value)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def ms(value) -> int | None:
    """'27.151', '1:51.568', '2:40:44.592', "1:40'37.481", '14:13:02.290' -> whole milliseconds
    (half a millisecond rounds away from zero: the files carry three decimals, so it never arises)."""
    value = text(value)
    if value is None:
        return None
    parts = value.replace("'", ":").split(":")
    if len(parts) > 3:
        return None
    try:
        seconds = Decimal(parts[-1])
        minutes = int(parts[-2]) if len(parts) >= 2 else 0
        hours = int(parts[-3]) if len(parts) == 3 else 0
    except (InvalidOperation, ValueError):
        return None
    total = (seconds * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP) + minutes * 60_000 + hours * 3_600_000
    return int(total)


def boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    value = text(value)
    if value is None:
        return None
    return {"true": True, "false": False, "1": True, "0": False}.get(value.lower())


def junior(last_name: str | None) -> tuple[str | None, bool]:
    """A surname with the Porsche junior marker '(J)' glued to it (alkamel.md) -> (surname, is_junior)."""
    if last_name is None:
        return None, False
    stripped = last_name.rstrip()
    if stripped.endswith("(J)"):
        return (stripped[:-3].strip() or None), True
    return last_name, False


def name_key(first: str | None, last: str | None) -> str:
    """How a person's name is compared: accents, case and punctuation left out."""
    raw = f"{first or ''} {last or ''}"
    plain = "".join(c for c in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


# ------------------------------------------------------------------------------------------ files


def csv_rows(data: bytes) -> tuple[list[str], list[dict[str, str | None]]]:
    """(header, rows) of an Al Kamel CSV: UTF-8 with BOM, ';', every line ending with ';', header
    names trimmed and upper-cased; rows shorter than the header padded with None; empty lines skipped."""
    body = data.decode("utf-8-sig")
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines:
        return [], []
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=";")
    header = [h.strip().upper() for h in next(reader)]
    while header and header[-1] == "":
        header.pop()  # the trailing ';'
    rows = []
    for cells in reader:
        cells = cells + [None] * (len(header) - len(cells))
        rows.append(dict(zip(header, cells)))
    return header, rows


def json_document(data: bytes) -> dict:
    return json.loads(data.decode("utf-8-sig"))


# ------------------------------------------------------------------------------------ what to expect


@dataclass
class Driver:
    order: int
    first_name: str | None
    last_name: str | None
    is_junior: bool
    imsa_id: str | None
    delivered_last_name: str | None


@dataclass
class Result:
    """One classification row: a car in a session."""

    row: int
    car_number: str
    finish_position: int | None
    status_delivered: str | None
    laps: int | None
    total_time_ms: int | None
    gap_first: str | None
    gap_previous: str | None
    best_lap_ms: int | None
    best_lap_number: int | None
    best_lap_kph: float | None
    class_delivered: str | None
    team_name: str | None
    vehicle: str | None
    pit_stops: int | None = None
    not_finished: bool | None = None
    drivers: list[Driver] = field(default_factory=list)


@dataclass
class Lap:
    row: int
    car_number: str
    driver_order: int | None
    lap_number: int | None
    lap_time_ms: int | None
    s1_ms: int | None
    s2_ms: int | None
    s3_ms: int | None
    kph: float | None
    top_speed_kph: float | None
    elapsed_ms: int | None
    time_of_day_ms: int | None
    in_pit: bool
    pit_time_ms: int | None
    flag: str | None
    lap_improvement: int | None
    class_delivered: str | None


@dataclass
class Sample:
    row: int
    utc_seconds: int | None
    air_temp_f: float | None
    track_temp_f: float | None
    humidity_pct: float | None
    pressure_inhg: float | None
    wind_speed: float | None
    wind_direction_deg: float | None
    rain: float | None


@dataclass
class GridSlot:
    row: int
    car_number: str
    position: int | None


def _drivers_of_csv_row(header: list[str], row: dict) -> list[Driver]:
    """The driver blocks of a classification row: `DRIVER_` (one driver) or `DRIVER1_` .. `DRIVER6_`."""
    prefixes = ["DRIVER_"] if "DRIVER_FIRSTNAME" in header else [f"DRIVER{n}_" for n in range(1, MAX_DRIVERS + 1)]
    drivers = []
    for order, prefix in enumerate(prefixes, start=1):
        first, last = text(row.get(prefix + "FIRSTNAME")), text(row.get(prefix + "SECONDNAME"))
        if first is None and last is None:
            continue
        surname, is_junior = junior(last)
        drivers.append(Driver(order, first, surname, is_junior, text(row.get(prefix + "IMSA_DRIVERID")), last))
    return drivers


def results_of_csv(data: bytes) -> list[Result]:
    """A race classification (POSITION, STATUS, TOTAL_TIME, FL_*) or a qualifying/practice one (POS,
    LAP, TIME, KPH, LAPS), told apart by their headers."""
    header, rows = csv_rows(data)
    race = "POSITION" in header
    out = []
    for index, row in enumerate(rows, start=1):
        if race:
            result = Result(
                index,
                text(row.get("NUMBER")),
                integer(row.get("POSITION")),
                text(row.get("STATUS")),
                integer(row.get("LAPS")),
                ms(row.get("TOTAL_TIME")),
                text(row.get("GAP_FIRST")),
                text(row.get("GAP_PREVIOUS")),
                ms(row.get("FL_TIME")),
                integer(row.get("FL_LAPNUM")),
                number(row.get("FL_KPH")),
                text(row.get("CLASS")),
                text(row.get("TEAM")),
                text(row.get("VEHICLE")),
            )
        else:
            result = Result(
                index,
                text(row.get("NUMBER")),
                integer(row.get("POS")),
                text(row.get("STATUS")),
                integer(row.get("LAPS")),
                None,
                text(row.get("GAP_FIRST")),
                text(row.get("GAP_PREVIOUS")),
                ms(row.get("TIME")),
                integer(row.get("LAP")),
                number(row.get("KPH")),
                text(row.get("CLASS")),
                text(row.get("TEAM")),
                text(row.get("VEHICLE")),
            )
        result.pit_stops = integer(row.get("PIT_STOPS"))
        result.drivers = _drivers_of_csv_row(header, row)
        out.append(result)
    return out


def results_of_json(data: bytes, race: bool) -> list[Result]:
    """The `classification` entries of a JSON results report (race: elapsed_time and fastest_lap_*;
    other sessions: time and fastest_lap_number of the best lap)."""
    out = []
    for index, entry in enumerate(json_document(data).get("classification") or [], start=1):
        drivers = []
        for position, d in enumerate(entry.get("drivers") or [], start=1):
            first, last = text(d.get("firstname")), text(d.get("surname"))
            if first is None and last is None:
                continue
            surname, is_junior = junior(last)
            drivers.append(
                Driver(d.get("number", position), first, surname, is_junior, text(d.get("imsa_driverid")), last)
            )
        out.append(
            Result(
                index,
                text(entry.get("number")),
                integer(entry.get("position")),
                text(entry.get("status")),
                integer(entry.get("laps")),
                ms(entry.get("elapsed_time")) if race else None,
                text(entry.get("gap_first")),
                text(entry.get("gap_previous")),
                ms(entry.get("fastest_lap_time") if race else entry.get("time")),
                integer(entry.get("fastest_lap_number")),
                number(entry.get("fastest_lap_kph") if race else entry.get("kph")),
                text(entry.get("class")),
                text(entry.get("team")),
                text(entry.get("vehicle")),
                integer(entry.get("pit_stops")),
                boolean(entry.get("not_finished")),
                sorted(drivers, key=lambda d: d.order),
            )
        )
    return out


def laps_of_csv(data: bytes) -> list[Lap]:
    header, rows = csv_rows(data)
    out = []
    for index, row in enumerate(rows, start=1):
        out.append(
            Lap(
                index,
                text(row.get("NUMBER")),
                integer(row.get("DRIVER_NUMBER")),
                integer(row.get("LAP_NUMBER")),
                ms(row.get("LAP_TIME")),
                ms(row.get("S1")),
                ms(row.get("S2")),
                ms(row.get("S3")),
                number(row.get("KPH")),
                number(row.get("TOP_SPEED")),
                ms(row.get("ELAPSED")),
                ms(row.get("HOUR")),
                text(row.get("CROSSING_FINISH_LINE_IN_PIT")) == "B",
                ms(row.get("PIT_TIME")),
                text(row.get("FLAG_AT_FL")),
                integer(row.get("LAP_IMPROVEMENT")),
                text(row.get("CLASS")),
            )
        )
    return out


def weather_of_csv(data: bytes) -> list[Sample]:
    header, rows = csv_rows(data)
    return [
        Sample(
            index,
            integer(row.get("TIME_UTC_SECONDS")),
            number(row.get("AIR_TEMP")),
            number(row.get("TRACK_TEMP")),
            number(row.get("HUMIDITY")),
            number(row.get("PRESSURE")),
            number(row.get("WIND_SPEED")),
            number(row.get("WIND_DIRECTION")),
            number(row.get("RAIN")),
        )
        for index, row in enumerate(rows, start=1)
    ]


def grid_of(data: bytes, is_json: bool) -> list[GridSlot]:
    if is_json:
        entries = json_document(data).get("grid") or []
        slots = [GridSlot(i, text(e.get("number")), integer(e.get("position"))) for i, e in enumerate(entries, start=1)]
    else:
        header, rows = csv_rows(data)
        slots = [GridSlot(i, text(r.get("NUMBER")), integer(r.get("POSITION"))) for i, r in enumerate(rows, start=1)]
    return [s for s in slots if s.car_number]  # an empty slot of a real grid holds no car


def is_json(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() == ".json"


# --------------------------------------------------------------------------- derived, per the rules


def class_positions(results: list[Result], status_of, class_of) -> dict[int, int | None]:
    """Position in class from the overall order (alkamel.md: no class-position column exists; cars
    that did not start, or have no overall position, are not counted). `status_of(result)` is the
    normalised status, `class_of(result)` the class. Returns {row: class position}."""
    counted: dict[str | None, int] = {}
    out: dict[int, int | None] = {}
    for result in sorted(results, key=lambda r: (r.finish_position is None, r.finish_position or 0, r.row)):
        if result.finish_position is None or status_of(result) == "not_started":
            out[result.row] = None
            continue
        cls = class_of(result)
        counted[cls] = counted.get(cls, 0) + 1
        out[result.row] = counted[cls]
    return out


def running_order(laps: list[Lap], class_of_car) -> dict[int, tuple[int, int]]:
    """The running order at the end of each lap (alkamel.md: the order of ELAPSED among the cars
    that completed a lap number; equal or missing times by car number): {row: (overall, in class)}."""
    by_lap: dict[int | None, list[Lap]] = {}
    for lap in laps:
        by_lap.setdefault(lap.lap_number, []).append(lap)
    out = {}
    for group in by_lap.values():
        group.sort(key=lambda lap: (lap.elapsed_ms is None, lap.elapsed_ms or 0, lap.car_number))
        in_class: dict[str | None, int] = {}
        for overall, lap in enumerate(group, start=1):
            cls = class_of_car(lap)
            in_class[cls] = in_class.get(cls, 0) + 1
            out[lap.row] = (overall, in_class[cls])
    return out


def round_half_even(value: float, places: int) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))
